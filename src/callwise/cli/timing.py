"""CLI: `callwise timing fit | eval | heatmap` — the best time to call each customer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(t("cli.timing.bad_date", get_settings().lang, option=option, value=repr(value)))
        raise  # unreachable: fail() exits


def _columns(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip())


def register(app: typer.Typer) -> None:
    timing = typer.Typer(no_args_is_help=True, help="help.timing")
    app.add_typer(timing, name="timing")

    @timing.command("fit", help="help.timing.fit")
    def fit(
        as_of: Annotated[str, typer.Option(help="help.timing.fit.as_of")],
        out: Annotated[Path, typer.Option(help="help.timing.fit.out")],
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        segments: Annotated[str, typer.Option(help="help.opt.segments")] = "occupation,age_band",
        evaluate: Annotated[bool, typer.Option(help="help.timing.fit.evaluate")] = True,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.opt.json_card")] = False,
    ) -> None:
        """Fit the answer model on past call attempts and save it with its model card."""
        from callwise.settings import get_settings
        from callwise.timing import TimingError, fit_from_lake
        from callwise.timing.evaluate import evaluate_from_lake
        from callwise.timing.text import fit_text

        cutoff = _date(as_of, "--as-of")
        store = lake_on(lake, engine)
        try:
            evaluation = evaluate_from_lake(store, _columns(segments), before=cutoff) if evaluate else None
            model = fit_from_lake(store, cutoff, segment_columns=_columns(segments))
        except (TimingError, FileNotFoundError) as exc:
            fail(exc)
        if evaluation is not None:
            model.card["evaluation"] = evaluation
        model.save(out)
        summary = {**model.model_card(), "path": str(out)}
        emit(summary, as_json, human=fit_text(summary, get_settings().lang))

    @timing.command("eval", help="help.timing.eval")
    def evaluate(
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        holdout_days: Annotated[float | None, typer.Option(help="help.timing.eval.holdout_days")] = None,
        segments: Annotated[str, typer.Option(help="help.opt.segments")] = "occupation,age_band",
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.timing.eval.as_json")] = False,
    ) -> None:
        """Fit on earlier attempts, score the held-out ones: log loss, Brier, AUC, calibration vs baselines."""
        from callwise.settings import get_settings
        from callwise.timing import TimingError
        from callwise.timing.evaluate import evaluate_from_lake
        from callwise.timing.text import eval_text

        try:
            result = evaluate_from_lake(lake_on(lake, engine), _columns(segments), holdout_days=holdout_days)
        except (TimingError, FileNotFoundError) as exc:
            fail(exc)
        emit(result, as_json, human=eval_text(result, get_settings().lang))

    @timing.command("heatmap", help="help.timing.heatmap")
    def heatmap(
        model: Annotated[Path, typer.Option(help="help.timing.heatmap.model")],
        out: Annotated[Path, typer.Option(help="help.timing.heatmap.out")],
        segment: Annotated[str | None, typer.Option(help="help.timing.heatmap.segment")] = None,
        customer: Annotated[str | None, typer.Option(help="help.timing.heatmap.customer")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.timing.heatmap.as_json")] = False,
    ) -> None:
        """Write a weekday × hour grid of p(answer) for one segment or one customer."""
        from callwise.settings import get_settings
        from callwise.timing import AnswerModelFileError, TimingError, load_answer_model
        from callwise.timing.store import write_heatmap
        from callwise.timing.text import heatmap_text

        lang = get_settings().lang
        try:
            fitted = load_answer_model(model)
            summary = write_heatmap(fitted, out, segment=segment, customer=customer, lang=lang)
        except (TimingError, AnswerModelFileError) as exc:
            fail(exc)
        emit(summary, as_json, human=heatmap_text(summary, lang))
