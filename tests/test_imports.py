"""The package's import graph keeps its direction: production code never needs the synthetic bank, and the CLI
builds its objects through ``callwise.wiring``, never through the web server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# Who may import the synthetic bank: itself, the end-to-end pipeline and demo (its board too), and the command line.
MAY_IMPORT_SYNTH = ("callwise.synth", "callwise.pipeline", "callwise.demo", "callwise.demo_board", "callwise.cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as absolute dotted names."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from callwise import synth`
    return found


def graph() -> dict[str, set[str]]:
    return {_module_name(path): imports_of(path) for path in sorted(SRC.rglob("*.py"))}


def test_the_graph_is_read_from_the_sources():
    modules = graph()
    assert "callwise.wiring" in modules and "callwise.cli.serve" in modules
    assert "callwise.wiring" in modules["callwise.cli.serve"]


@pytest.mark.parametrize("rule", ["synth", "cli"])
def test_import_direction(rule):
    bad = []
    for module, imported in graph().items():
        if rule == "synth":
            allowed = any(_within(module, p) for p in MAY_IMPORT_SYNTH)
            bad += [f"{module} imports {name}" for name in imported if _within(name, "callwise.synth") and not allowed]
        else:
            if _within(module, "callwise.cli"):
                bad += [f"{module} imports {name}" for name in imported if _within(name, "callwise.web.server")]
    assert not bad, "; ".join(sorted(bad))
