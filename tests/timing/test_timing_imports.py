"""The answer model and its store do not import each other: the model saves itself, the store reads it back."""

from __future__ import annotations

import ast
from pathlib import Path

import callwise.timing

TIMING = Path(callwise.timing.__file__).parent


def imported(module: str) -> set[str]:
    """Every callwise module ``timing/<module>.py`` imports, at the top or inside a function."""
    tree = ast.parse((TIMING / f"{module}.py").read_text(encoding="utf-8"))
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return {name for name in names if name.startswith("callwise")}


def test_the_model_does_not_import_the_store():
    assert "callwise.timing.model" in imported("store")  # the store builds an AnswerModel from the files
    assert "callwise.timing.store" not in imported("model")
