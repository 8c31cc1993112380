"""The `callwise` command line. Each module registers one command group over library functions."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise import __version__
from callwise.cli import (
    attribution,
    audit,
    campaigns,
    customers,
    db,
    demo,
    experiments,
    features,
    ingest,
    journeys,
    keys,
    lake,
    lists,
    model,
    moments,
    monitor,
    outbox,
    outcomes,
    policy,
    quarantine,
    results,
    segments,
    serve,
    synth,
    tags,
    timing,
    train,
    uplift,
    users,
)
from callwise.cli.help import LocalisedGroup

app = typer.Typer(
    cls=LocalisedGroup,
    no_args_is_help=True,
    add_completion=False,
    help="help.callwise",
)


def _print_version(show: bool) -> None:
    if show:
        typer.echo(f"callwise {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="help.callwise.version"),
    ] = False,
) -> None:
    """The options before any command."""


for module in (
    synth,
    ingest,
    lake,
    features,
    train,
    model,
    uplift,
    timing,
    policy,
    quarantine,
    experiments,
    lists,
    campaigns,
    demo,
    db,
    serve,
    users,
    keys,
    audit,
    customers,
    outcomes,
    outbox,
    journeys,
    results,
    attribution,
    monitor,
    tags,
    segments,
    moments,
):
    module.register(app)


def main() -> None:
    app()
