"""CLI: `callwise train` — a response model (or, `--uplift`, an uplift model) from the lake's past campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._choices import EngineName, ModelName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.model_kinds import DEFAULT_MODEL
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    @app.command("train", help="help.train")
    def train(
        out: Annotated[Path, typer.Option(help="help.train.out")],
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        model: ModelName = DEFAULT_MODEL,
        uplift: Annotated[bool, typer.Option("--uplift", help="help.train.uplift")] = False,
        learner: Annotated[str | None, typer.Option(help="help.train.learner")] = None,
        horizon_days: Annotated[int, typer.Option(min=1, help="help.train.horizon_days")] = 30,
        seed: Annotated[int, typer.Option(help="help.opt.seed")] = 0,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_card")] = False,
    ) -> None:
        """Train on past campaign members (features as of each campaign start, label after it)."""
        from callwise.pipeline import train_from_lake, train_uplift_from_lake

        lang = get_settings().lang
        if learner is not None and not uplift:
            fail(t("train.uplift.learner_needs_uplift", lang))
        try:
            if uplift:
                _, card = train_uplift_from_lake(lake_on(lake, engine), learner or "auto", out, horizon_days, seed)
            else:
                _, card = train_from_lake(lake_on(lake, engine), model, out, horizon_days, seed)
        except (FileNotFoundError, ValueError) as exc:
            fail(exc)
        from callwise.models.text import fit_text

        name = f"uplift ({card['selection']['learner']})" if uplift else model
        summary = dict(card, model=name, out=str(out))
        human = fit_text(summary, lang) + (_uplift_text(card, lang) if uplift else "")
        emit(summary, as_json, human=human)


def _uplift_text(card: dict[str, Any], lang: str) -> str:
    """The groups the uplift model learnt from and, when it chose, each learner's cross-validated Qini."""
    lines = [
        t(
            "train.uplift.text",
            lang,
            learner=card["selection"]["learner"],
            treated=f"{card['treated']:,}",
            control=f"{card['control']:,}",
            buyers_treated=f"{card['positives_treated']:,}",
            buyers_control=f"{card['positives_control']:,}",
        )
    ]
    qini = card["selection"].get("cv_qini") or {}
    if qini:
        shown = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} —" for k, v in qini.items())
        lines.append(t("train.uplift.cv_qini", lang, qini=shown))
    return "\n" + "\n".join(lines)
