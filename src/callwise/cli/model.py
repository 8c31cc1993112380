"""CLI: `callwise model eval|backtest|fit|score` — the wide-table path (one row per customer, a target)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from callwise.cli._choices import ModelName as ModelOpt
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.i18n.errors import message
from callwise.model_kinds import DEFAULT_MODEL
from callwise.settings import get_settings

TableOpt = Annotated[Path, typer.Option("--table", help="help.model.opt.table")]
TargetOpt = Annotated[str, typer.Option("--target", help="help.model.opt.target")]
PositiveOpt = Annotated[str | None, typer.Option("--positive", help="help.model.opt.positive")]
DropOpt = Annotated[list[str] | None, typer.Option("--drop", help="help.model.opt.drop")]
SeedOpt = Annotated[int, typer.Option("--seed", help="help.opt.seed")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="help.model.opt.report")]
ContextOpt = Annotated[list[str] | None, typer.Option("--context-columns", help="help.model.opt.context_columns")]
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


def _load(
    table: Path, target: str, positive: str | None, drop: list[str] | None, context: list[str] | None = None
) -> Any:
    from callwise.ingest.readers import SourceError
    from callwise.models.widetable import WideTableError, load_wide_table

    try:
        return load_wide_table(table, target, positive, _drop(drop), _drop(context))
    except (SourceError, WideTableError) as exc:
        fail(exc)


def _finish(result: dict[str, Any], wide: Any, report: Path | None, model_name: str, seed: int, as_json: bool) -> None:
    result = dict(result, source=wide.source, target=wide.target, dropped_no_target=wide.dropped_no_target)
    if report is not None:
        from callwise.models import has_points_table, make_model
        from callwise.report import render_model_report

        report.mkdir(parents=True, exist_ok=True)
        points = has_points_table(model_name)  # the report shows the points, so it needs a fitted one
        fitted = make_model(model_name, random_state=seed).fit(wide.X, wide.y) if points else None
        written = {}
        for lang in ("zh", "en"):
            path = report / f"model_{model_name}_{result['protocol']}_{lang}.html"
            path.write_text(render_model_report(result, fitted, lang, source=wide.source), encoding="utf-8")
            written[lang] = str(path)
        result["report"] = str(report)
        result["reports"] = written
    from callwise.models.text import evaluation_text

    lang = _lang()
    where = [t("cli.model.reports", lang, path=path) for path in result.get("reports", {}).values()]
    emit(result, as_json, human="\n".join([evaluation_text(result, lang), *where]))


def register(app: typer.Typer) -> None:
    model = typer.Typer(no_args_is_help=True, help="help.model")
    app.add_typer(model, name="model")

    @model.command("eval", help="help.model.eval")
    def evaluate(
        table: TableOpt,
        target: TargetOpt,
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        model_name: ModelOpt = DEFAULT_MODEL,
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
        model_name: ModelOpt = DEFAULT_MODEL,
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
        context: ContextOpt = None,
        model_name: ModelOpt = DEFAULT_MODEL,
        cv: Annotated[int, typer.Option("--cv", min=0, help="help.model.fit.cv")] = 5,
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
                fail(t("models.on_table", _lang(), path=model_dir, problem=message(exc, _lang())))
            # The model reads typed values; the file's own cells are what is written back.
            frame, cells = read_frame(table), read_cells(table)
            label = f"{fitted.name} ({model_dir})"
            scored = score_frame(fitted, frame, lang, cells=cells, table=str(table), model_label=label)
            path = write_table(scored, out)
        except (SourceError, ModelFileError, ValueError) as exc:
            fail(exc)
        summary = {
            "rows": len(scored),
            "out": str(path),
            "model": fitted.name,
            "context_columns": list(fitted.context_columns),
            "mean_score": round(float(scored["score"].mean()), 6),
        }
        from callwise.models.text import score_text

        emit(summary, as_json, human=score_text(summary, _lang()))
