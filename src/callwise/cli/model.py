"""CLI: `callwise model eval|backtest|fit|score` — the wide-table path (one row per customer, a target)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

TableOpt = Annotated[Path, typer.Option("--table", help="Wide table: CSV (any encoding/delimiter), XLSX or Parquet.")]
TargetOpt = Annotated[str, typer.Option("--target", help="Target column (1/0, yes/no, 是/否 …).")]
PositiveOpt = Annotated[str | None, typer.Option("--positive", help="The target value that means 'bought'.")]
DropOpt = Annotated[list[str] | None, typer.Option("--drop", help="Columns to leave out (repeat, or a,b,c).")]
ContextOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--context-columns",
        help="Columns about the market or period, not the customer: used by the model, never a reason (a,b,c).",
    ),
]
ModelOpt = Annotated[str, typer.Option("--model", help="lightgbm, scorecard or logistic.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Directory for HTML reports (zh and en).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]
HEADLINE = ("auc", "pr_auc", "ks", "brier", "log_loss", "alift", "capture", "rows", "positives")


def _drop(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _load(
    table: Path, target: str, positive: str | None, drop: list[str] | None, context: list[str] | None = None
) -> Any:
    from callwise.ingest.readers import SourceError
    from callwise.models.widetable import WideTableError, load_wide_table

    try:
        return load_wide_table(table, target, positive, _drop(drop), _drop(context))
    except (SourceError, WideTableError) as exc:
        fail(str(exc))


def _finish(result: dict[str, Any], wide: Any, report: Path | None, model_name: str, seed: int, as_json: bool) -> None:
    result = dict(result, source=wide.source, target=wide.target, dropped_no_target=wide.dropped_no_target)
    if report is not None:
        from callwise.models import make_model
        from callwise.report import render_model_report

        report.mkdir(parents=True, exist_ok=True)
        fitted = make_model(model_name, random_state=seed).fit(wide.X, wide.y) if model_name == "scorecard" else None
        written = {}
        for lang in ("zh", "en"):
            path = report / f"model_{model_name}_{result['protocol']}_{lang}.html"
            path.write_text(render_model_report(result, fitted, lang, source=wide.source), encoding="utf-8")
            written[lang] = str(path)
        result["report"] = str(report)
        result["reports"] = written
    headline = "  ".join(f"{k}={result[k]}" for k in HEADLINE if k in result and k != "capture")
    lang = get_settings().lang
    where = [t("cli.model.reports", lang, path=path) for path in result.get("reports", {}).values()]
    emit(result, as_json, human="\n".join([headline, f"capture={result['capture']}", *where]))


def register(app: typer.Typer) -> None:
    model = typer.Typer(no_args_is_help=True, help="Models on a wide table: evaluate, backtest, fit, score.")
    app.add_typer(model, name="model")

    @model.command("eval")
    def evaluate(
        table: TableOpt,
        target: TargetOpt,
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        model_name: ModelOpt = "lightgbm",
        cv: Annotated[int, typer.Option("--cv", min=2, help="Number of shuffled stratified folds.")] = 5,
        seed: SeedOpt = 0,
        report: ReportOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Shuffled k-fold cross-validation: AUC, PR-AUC, KS, Brier, log loss, ALIFT, capture, deciles."""
        from callwise.models.evaluation import cross_validate

        wide = _load(table, target, positive, drop)
        try:
            result = cross_validate(model_name, wide.X, wide.y, folds=cv, seed=seed)
        except ValueError as exc:
            fail(f"{table}: {exc}")
        _finish(result, wide, report, model_name, seed, as_json)

    @model.command("backtest")
    def backtest(
        table: TableOpt,
        target: TargetOpt,
        window: Annotated[int, typer.Option("--window", min=1, help="Training rows before each block (W).")],
        step: Annotated[int, typer.Option("--step", min=1, help="Rows predicted per block (K).")],
        test_last: Annotated[
            int | None, typer.Option("--test-last", min=1, help="Predict only the last T rows.")
        ] = None,
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        model_name: ModelOpt = "lightgbm",
        seed: SeedOpt = 0,
        report: ReportOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Rolling-window backtest in file (time) order: train on W rows, predict the next K, slide."""
        from callwise.models.evaluation import rolling_backtest

        wide = _load(table, target, positive, drop)
        try:
            result = rolling_backtest(model_name, wide.X, wide.y, window, step, test_last, seed=seed)
        except ValueError as exc:
            fail(f"{table}: {exc}")
        _finish(result, wide, report, model_name, seed, as_json)

    @model.command("fit")
    def fit(
        table: TableOpt,
        target: TargetOpt,
        out: Annotated[Path, typer.Option("--out", help="Directory for the saved model and model card.")],
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        context: ContextOpt = None,
        model_name: ModelOpt = "lightgbm",
        cv: Annotated[int, typer.Option("--cv", min=0, help="Folds for the card's metrics (0: none).")] = 5,
        seed: SeedOpt = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Fit on the whole table and save it (no pickle) with a model card of out-of-sample metrics."""
        from callwise.models import make_model
        from callwise.models.evaluation import cross_validate

        wide = _load(table, target, positive, drop, context)
        card: dict[str, Any] = {
            "data_window": {"source": wide.source, "target": target, "dropped_no_target": wide.dropped_no_target},
            "rows": len(wide.y),
            "positives": int(wide.y.sum()),
            "context_columns": list(wide.context),
        }
        try:
            if cv:
                metrics = cross_validate(model_name, wide.X, wide.y, folds=cv, seed=seed)
                card["metrics"] = {k: metrics[k] for k in HEADLINE} | {"protocol": f"{cv}-fold cv"}
            fitted = make_model(model_name, random_state=seed).fit(wide.X, wide.y).mark_context(wide.context)
        except ValueError as exc:
            fail(f"{table}: {exc}")
        fitted.save(out, card=card)
        emit(dict(card, model=model_name, out=str(out)), as_json)

    @model.command("score")
    def score(
        model_dir: Annotated[Path, typer.Option("--model", help="A saved model directory.")],
        table: TableOpt,
        out: Annotated[Path, typer.Option("--out", help="Output file: .csv, .parquet or .xlsx.")],
        lang: Annotated[str, typer.Option("--lang", help="Language of the reasons: zh or en.")] = "zh",
        context: ContextOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Write every input row with score, rank (1 = best) and the top 3 reasons in words."""
        from callwise.ingest.readers import SourceError, read_cells, read_frame
        from callwise.models import ModelFileError, load_model
        from callwise.models.score import score_frame, write_table

        try:
            fitted = load_model(model_dir)
            try:  # besides those saved with the model
                fitted.mark_context(_drop(context))
            except ValueError as exc:
                raise ValueError(f"{model_dir}: {exc}") from None
            # The model reads typed values; the file's own cells are what is written back.
            scored = score_frame(fitted, read_frame(table), lang, cells=read_cells(table))
            path = write_table(scored, out)
        except (SourceError, ModelFileError, ValueError) as exc:
            fail(str(exc))
        summary = {
            "rows": len(scored),
            "out": str(path),
            "model": fitted.name,
            "context_columns": list(fitted.context_columns),
            "mean_score": round(float(scored["score"].mean()), 6),
        }
        emit(summary, as_json)
