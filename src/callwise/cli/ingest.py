"""CLI: ingest (to be filled in)."""

import typer


def register(app: typer.Typer) -> None:
    pass
