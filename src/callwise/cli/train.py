"""CLI: `callwise train` — a response model from the lake's past campaigns (the multi-table path)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._choices import EngineName, ModelName, lake_on
from callwise.cli._output import emit, fail
from callwise.model_kinds import DEFAULT_MODEL
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    @app.command("train", help="help.train")
    def train(
        out: Annotated[Path, typer.Option(help="help.train.out")],
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        model: ModelName = DEFAULT_MODEL,
        horizon_days: Annotated[int, typer.Option(min=1, help="help.train.horizon_days")] = 30,
        seed: Annotated[int, typer.Option(help="help.opt.seed")] = 0,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_card")] = False,
    ) -> None:
        """Train on past campaign members (features as of each campaign start, label after it)."""
        from callwise.pipeline import train_from_lake

        try:
            _, card = train_from_lake(lake_on(lake, engine), model, out, horizon_days, seed)
        except (FileNotFoundError, ValueError) as exc:
            fail(exc)
        from callwise.models.text import fit_text

        summary = dict(card, model=model, out=str(out))
        emit(summary, as_json, human=fit_text(summary, get_settings().lang))
