"""The `callwise` command line. Each module registers one command group over library functions."""

from __future__ import annotations

import typer

from callwise.cli import demo, features, ingest, lists, model, synth, train

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="callwise: who to call, about what, when and by whom — inside the rules.",
)
for module in (synth, ingest, features, train, model, lists, demo):
    module.register(app)


def main() -> None:
    app()
