"""The `callwise` command line. Each module registers one command group over library functions."""

from __future__ import annotations

import typer

from callwise.cli import (
    audit,
    campaigns,
    customers,
    db,
    demo,
    experiments,
    features,
    ingest,
    keys,
    lists,
    model,
    outbox,
    outcomes,
    policy,
    quarantine,
    serve,
    synth,
    timing,
    train,
    users,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="callwise: who to call, about what, when and by whom — inside the rules.",
)
for module in (
    synth,
    ingest,
    features,
    train,
    model,
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
):
    module.register(app)


def main() -> None:
    app()
