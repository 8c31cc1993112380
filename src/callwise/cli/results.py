"""CLI: `callwise results …` — what the calls earned: campaign results, agent performance."""

from __future__ import annotations

import typer

from callwise.cli.results_agents import register_agents


def register(app: typer.Typer) -> None:
    results = typer.Typer(no_args_is_help=True, help="help.results")
    app.add_typer(results, name="results")
    register_agents(results)
