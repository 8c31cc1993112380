"""Shared output helpers: every command that produces numbers can print them as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NoReturn

import typer


def emit(result: Mapping[str, object], as_json: bool, human: str | None = None) -> None:
    """Print ``result`` as JSON (machine use) or ``human`` text (defaults to indented JSON)."""
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, sort_keys=True, default=str))
    else:
        typer.echo(human if human is not None else json.dumps(result, ensure_ascii=False, indent=2, default=str))


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with one clear sentence on stderr."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
