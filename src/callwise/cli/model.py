"""CLI: `callwise model eval|backtest|fit|score` — the wide-table path (one row per customer, a target)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.i18n.errors import message
from callwise.settings import get_settings

TableOpt = Annotated[Path, typer.Option("--table", help="help.model.opt.table")]
TargetOpt = Annotated[str, typer.Option("--target", help="help.model.opt.target")]
PositiveOpt = Annotated[str | None, typer.Option("--positive", help="help.model.opt.positive")]
DropOpt = Annotated[list[str] | None, typer.Option("--drop", help="help.model.opt.drop")]
ModelOpt = Annotated[str, typer.Option("--model", help="help.opt.model_kind")]
SeedOpt = Annotated[int, typer.Option("--seed", help="help.opt.seed")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="help.model.opt.report")]
JsonOpt = Annotated[bool, typer.Option("--json", help="help.model.opt.json")]
HEADLINE = ("auc", "pr_auc", "ks", "brier", "log_loss", "alift", "capture", "rows", "positives")


def _drop(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _lang() -> str:
    return get_settings().lang


def _fail_on(table: Path, error: ValueError) -> NoReturn:
    """Stop with ``error`` said of ``table``, in the language of ``CALLWISE_LANG``."""
    lang = _lang()
    fail(t("models.on_table", lang, path=table, problem=message(error, lang)))


def _load(table: Path, target: str, positive: str | None, drop: list[str] | None):
    from callwise.ingest.readers import SourceError
    from callwise.models.widetable import WideTableError, load_wide_table

    try:
        return load_wide_table(table, target, positive, _drop(drop))
    except (SourceError, WideTableError) as exc:
        fail(exc)


def _finish(result: dict[str, Any], wide: Any, report: Path | None, model_name: str, seed: int, as_json: bool) -> None:
    result = dict(result, source=wide.source, target=wide.target, dropped_no_target=wide.dropped_no_target)
    if report is not None:
        from callwise.models import make_model
        from callwise.report import render_model_report

        report.mkdir(parents=True, exist_ok=True)
        fitted = make_model(model_name, random_state=seed).fit(wide.X, wide.y) if model_name == "scorecard" else None
        for lang in ("zh", "en"):
            path = report / f"model_{model_name}_{result['protocol']}_{lang}.html"
            path.write_text(render_model_report(result, fitted, lang, source=wide.source), encoding="utf-8")
        result["report"] = str(report)
    from callwise.models.text import evaluation_text

    emit(result, as_json, human=evaluation_text(result, _lang()))


def register(app: typer.Typer) -> None:
    model = typer.Typer(no_args_is_help=True, help="help.model")
    app.add_typer(model, name="model")

    @model.command("eval", help="help.model.eval")
    def evaluate(
        table: TableOpt,
        target: TargetOpt,
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        model_name: ModelOpt = "lightgbm",
        cv: Annotated[int, typer.Option("--cv", min=2, help="help.model.eval.cv")] = 5,
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
            _fail_on(table, exc)
        _finish(result, wide, report, model_name, seed, as_json)

    @model.command("backtest", help="help.model.backtest")
    def backtest(
        table: TableOpt,
        target: TargetOpt,
        window: Annotated[int, typer.Option("--window", min=1, help="help.model.backtest.window")],
        step: Annotated[int, typer.Option("--step", min=1, help="help.model.backtest.step")],
        test_last: Annotated[
            int | None, typer.Option("--test-last", min=1, help="help.model.backtest.test_last")
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
            _fail_on(table, exc)
        _finish(result, wide, report, model_name, seed, as_json)

    @model.command("fit", help="help.model.fit")
    def fit(
        table: TableOpt,
        target: TargetOpt,
        out: Annotated[Path, typer.Option("--out", help="help.model.fit.out")],
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        model_name: ModelOpt = "lightgbm",
        cv: Annotated[int, typer.Option("--cv", min=0, help="help.model.fit.cv")] = 5,
        seed: SeedOpt = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Fit on the whole table and save it (no pickle) with a model card of out-of-sample metrics."""
        from callwise.models import make_model
        from callwise.models.evaluation import cross_validate

        wide = _load(table, target, positive, drop)
        card: dict[str, Any] = {
            "data_window": {"source": wide.source, "target": target, "dropped_no_target": wide.dropped_no_target},
            "rows": len(wide.y),
            "positives": int(wide.y.sum()),
        }
        try:
            if cv:
                metrics = cross_validate(model_name, wide.X, wide.y, folds=cv, seed=seed)
                card["metrics"] = {k: metrics[k] for k in HEADLINE} | {"protocol": f"{cv}-fold cv"}
            fitted = make_model(model_name, random_state=seed).fit(wide.X, wide.y)
        except ValueError as exc:
            _fail_on(table, exc)
        fitted.save(out, card=card)
        summary = dict(card, model=model_name, out=str(out))
        from callwise.models.text import fit_text

        emit(summary, as_json, human=fit_text(summary, _lang(), folds=cv))

    @model.command("score", help="help.model.score")
    def score(
        model_dir: Annotated[Path, typer.Option("--model", help="help.model.score.model_dir")],
        table: TableOpt,
        out: Annotated[Path, typer.Option("--out", help="help.model.score.out")],
        lang: Annotated[str, typer.Option("--lang", help="help.model.score.lang")] = "zh",
        as_json: JsonOpt = False,
    ) -> None:
        """Write every input row with score, rank (1 = best) and the top 3 reasons in words."""
        from callwise.ingest.readers import SourceError, read_cells, read_frame
        from callwise.models import ModelFileError, load_model
        from callwise.models.score import score_frame, write_table

        try:
            fitted = load_model(model_dir)
            # The model reads typed values; the file's own cells are what is written back.
            scored = score_frame(fitted, read_frame(table), lang, cells=read_cells(table))
            path = write_table(scored, out)
        except (SourceError, ModelFileError, ValueError) as exc:
            fail(exc)
        summary = {
            "rows": len(scored),
            "out": str(path),
            "model": fitted.name,
            "mean_score": round(float(scored["score"].mean()), 6),
        }
        from callwise.models.text import score_text

        emit(summary, as_json, human=score_text(summary, _lang()))
