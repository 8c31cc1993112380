"""CLI: `callwise timing fit | eval | heatmap` — the best time to call each customer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail

SEGMENTS_HELP = "Customer columns that define segments, coarse to fine, comma-separated (age_band is derived)."


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
        raise  # unreachable: fail() exits


def _columns(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip())


def register(app: typer.Typer) -> None:
    timing = typer.Typer(no_args_is_help=True, help="Best time to call: p(answer) per customer and hour of the week.")
    app.add_typer(timing, name="timing")

    @timing.command("fit")
    def fit(
        as_of: Annotated[str, typer.Option(help="Learn from call attempts strictly before this date (YYYY-MM-DD).")],
        out: Annotated[Path, typer.Option(help="Directory for the saved answer model (Parquet + JSON).")],
        lake: Annotated[Path | None, typer.Option(help="Lake directory (default: $CALLWISE_DATA_DIR/lake).")] = None,
        segments: Annotated[str, typer.Option(help=SEGMENTS_HELP)] = "occupation,age_band",
        evaluate: Annotated[
            bool, typer.Option(help="Also evaluate on held-out attempts first and put the figures in the model card.")
        ] = True,
        as_json: Annotated[bool, typer.Option("--json", help="Print the model card as JSON.")] = False,
    ) -> None:
        """Fit the answer model on past call attempts and save it with its model card."""
        from callwise.lake import open_lake
        from callwise.settings import get_settings
        from callwise.timing import TimingError, fit_from_lake
        from callwise.timing.evaluate import evaluate_from_lake
        from callwise.timing.text import fit_text

        cutoff = _date(as_of, "--as-of")
        store = open_lake(lake)
        try:
            evaluation = evaluate_from_lake(store, _columns(segments), before=cutoff) if evaluate else None
            model = fit_from_lake(store, cutoff, segment_columns=_columns(segments))
        except (TimingError, FileNotFoundError) as exc:
            fail(str(exc))
        if evaluation is not None:
            model.card["evaluation"] = evaluation
        model.save(out)
        summary = {**model.model_card(), "path": str(out)}
        emit(summary, as_json, human=fit_text(summary, get_settings().lang))

    @timing.command("eval")
    def evaluate(
        lake: Annotated[Path | None, typer.Option(help="Lake directory (default: $CALLWISE_DATA_DIR/lake).")] = None,
        holdout_days: Annotated[
            float | None, typer.Option(help="Hold out the last N days (default: the most recent campaign).")
        ] = None,
        segments: Annotated[str, typer.Option(help=SEGMENTS_HELP)] = "occupation,age_band",
        as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation as JSON.")] = False,
    ) -> None:
        """Fit on earlier attempts, score the held-out ones: log loss, Brier, AUC, calibration vs baselines."""
        from callwise.lake import open_lake
        from callwise.settings import get_settings
        from callwise.timing import TimingError
        from callwise.timing.evaluate import evaluate_from_lake
        from callwise.timing.text import eval_text

        try:
            result = evaluate_from_lake(open_lake(lake), _columns(segments), holdout_days=holdout_days)
        except (TimingError, FileNotFoundError) as exc:
            fail(str(exc))
        emit(result, as_json, human=eval_text(result, get_settings().lang))

    @timing.command("heatmap")
    def heatmap(
        model: Annotated[Path, typer.Option(help="Directory of a saved answer model (from `timing fit`).")],
        out: Annotated[Path, typer.Option(help="CSV file to write: one row per weekday, one column per hour.")],
        segment: Annotated[
            str | None, typer.Option(help="Segment label, e.g. 退休人员 or 退休人员|60+ ('all' = global).")
        ] = None,
        customer: Annotated[str | None, typer.Option(help="Customer id.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the best slots as JSON.")] = False,
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
            fail(str(exc))
        emit(summary, as_json, human=heatmap_text(summary, lang))
