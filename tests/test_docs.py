"""Docs cannot fall behind: every CLI command has help text and appears in the README or docs/."""

from pathlib import Path

import typer.main

from callwise.cli import app

ROOT = Path(__file__).resolve().parents[1]


def command_paths(group, prefix: str = "callwise") -> list[tuple[str, object]]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):  # a command group
            out.extend(command_paths(command, path))
        else:
            out.append((path, command))
    return out


def all_docs() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(parts)


def test_every_command_has_help_and_is_documented():
    docs = all_docs()
    commands = command_paths(typer.main.get_command(app))
    assert commands, "the CLI has no commands"
    for path, command in commands:
        assert (command.help or "").strip(), f"`{path}` has no help text"
        assert f"`{path}" in docs or f"{path} " in docs, f"`{path}` is not documented in README.md or docs/"
        for param in command.params:
            if type(param).__name__.endswith("Option") and param.name != "help":
                assert (param.help or "").strip(), f"`{path}` option {param.opts[0]} has no help text"
