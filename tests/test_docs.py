"""Docs cannot fall behind: every CLI command has help text and appears in the README or docs/; every API route
is in docs/api.md or docs/service.md; every CALLWISE_* setting is in the docs."""

import re
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


# --- API routes: every route of the app's OpenAPI spec is in docs/api.md or docs/service.md --------------------
METHODS = "GET|POST|PUT|PATCH|DELETE"


def _route_key(method: str, path: str) -> tuple[str, str]:
    """``("GET", "/campaigns/{}")``: without the /api/v1 prefix or a query, path parameters unnamed."""
    path = path.split("?")[0].removeprefix("/api/v1")
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or "/"


def _expand(path: str) -> list[str]:
    """``/campaigns[/{id}]`` is both ``/campaigns`` and ``/campaigns/{id}``."""
    optional = re.search(r"\[([^\]]*)\]", path)
    if optional is None:
        return [path]
    before, after = path[: optional.start()], path[optional.end() :]
    return _expand(before + after) + _expand(before + optional.group(1) + after)


def documented_routes(text: str) -> set[tuple[str, str]]:
    """Routes named in code spans as ``GET /path``, ``GET/POST /path`` or ``GET /path[/{id}]``."""
    found = set()
    for span in re.findall(r"`([^`]+)`", text):
        for methods, path in re.findall(rf"((?:{METHODS})(?:/(?:{METHODS}))*)\s+(/[^\s`·,]*)", span):
            found |= {_route_key(m, p) for m in methods.split("/") for p in _expand(path)}
    return found


def app_routes() -> set[tuple[str, str]]:
    from callwise.web.app import create_app
    from callwise.web.deps import Services

    spec = create_app(Services(engine=None, factory=None, pii=None)).openapi()  # type: ignore[arg-type]
    return {_route_key(method, path) for path, operations in spec["paths"].items() for method in operations}


def test_the_route_reader_reads_the_forms_the_docs_use():
    text = "`GET/POST /models` · `POST /campaigns` · `GET /campaigns[/{id}]` · `DELETE /auth/tokens/{id}?x=1`"
    assert documented_routes(text) == {
        ("GET", "/models"),
        ("POST", "/models"),
        ("POST", "/campaigns"),
        ("GET", "/campaigns"),
        ("GET", "/campaigns/{}"),
        ("DELETE", "/auth/tokens/{}"),
    }
    assert ("GET", "/jobs/{}") not in documented_routes("the job (`/jobs/{id}`, no method)")


def test_every_api_route_is_documented():
    routes = app_routes()
    assert len(routes) > 20, "the app's spec lists too few routes: is it read?"
    docs = "\n".join((ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("api.md", "service.md"))
    missing = sorted(f"{method} {path}" for method, path in routes - documented_routes(docs))
    assert not missing, f"API routes not documented in docs/api.md or docs/service.md: {', '.join(missing)}"


# --- settings: every field of the settings class, as its CALLWISE_* variable, is in the docs -------------------
def test_every_setting_is_documented():
    from callwise.settings import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    assert prefix == "CALLWISE_"
    variables = [f"{prefix}{name.upper()}" for name in Settings.model_fields]
    assert len(variables) > 10, "the settings class has too few fields: is it read?"
    docs = all_docs()
    missing = [v for v in variables if not re.search(rf"`{v}`|\b{v}\b(?!_)", docs)]
    assert not missing, f"settings not documented in README.md or docs/: {', '.join(missing)}"
