"""The `callwise` command line. Each module registers one command group over library functions."""

from __future__ import annotations

import typer

from callwise.cli import demo, experiments, features, ingest, lists, model, policy, synth, timing, train

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="callwise: who to call, about what, when and by whom — inside the rules.",
)
for module in (synth, ingest, features, train, model, timing, policy, experiments, lists, demo):
    module.register(app)


def main() -> None:
    app()
