"""CLI: `callwise uplift fit|score|eval` — uplift models on one experiment table (treated and control rows)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from callwise.cli._output import emit, fail
from callwise.cli.model import DropOpt, JsonOpt, PositiveOpt, SeedOpt, TableOpt, TargetOpt, _drop, _fail_on, _lang
from callwise.i18n import t

if TYPE_CHECKING:
    from callwise.uplift.widetable import ExperimentTable

LEARNER_CHOICES = ("auto", "t", "s", "x", "dr")  # callwise.uplift.CHOICES, said here without importing LightGBM

TreatmentOpt = Annotated[str, typer.Option("--treatment", help="help.uplift.opt.treatment")]
TreatedOpt = Annotated[str, typer.Option("--treated", help="help.uplift.opt.treated")]
ControlOpt = Annotated[str, typer.Option("--control", help="help.uplift.opt.control")]
PropensityOpt = Annotated[
    float | None, typer.Option("--propensity", min=0.0, max=1.0, help="help.uplift.opt.propensity")
]


def known_learner(value: str) -> str:
    """Refuse a learner that is not one of ``LEARNER_CHOICES`` before any file is read."""
    if value not in LEARNER_CHOICES:
        fail(t("uplift.unknown_learner", _lang(), name=repr(value), choices=", ".join(LEARNER_CHOICES)))
    return value


def known_language(value: str) -> str:
    """Refuse a language of the reasons that callwise does not speak, before the model is read."""
    from callwise.i18n import LANGUAGES

    if value not in LANGUAGES:
        fail(t("uplift.cli.unknown_lang", _lang(), language=repr(value), choices=", ".join(LANGUAGES)))
    return value


LearnerOpt = Annotated[str, typer.Option("--learner", help="help.uplift.opt.learner", callback=known_learner)]


def _load(
    table: Path, target: str, positive: str | None, treatment: str, treated: str, control: str, drop: list[str] | None
) -> ExperimentTable:
    from callwise.ingest.readers import SourceError
    from callwise.models.widetable import WideTableError
    from callwise.uplift.widetable import load_experiment_table

    try:
        return load_experiment_table(table, target, positive, treatment, treated, control, _drop(drop))
    except (SourceError, WideTableError) as exc:
        fail(exc)


def _reports(result: dict[str, Any], directory: Path) -> dict[str, str]:
    from callwise.uplift.report import write_uplift_reports

    return write_uplift_reports(result, directory, name=f"uplift_{result['learner']}_cv")


def register(app: typer.Typer) -> None:
    uplift = typer.Typer(no_args_is_help=True, help="help.uplift")
    app.add_typer(uplift, name="uplift")

    @uplift.command("fit", help="help.uplift.fit")
    def fit(
        table: TableOpt,
        target: TargetOpt,
        treatment: TreatmentOpt,
        treated: TreatedOpt,
        control: ControlOpt,
        out: Annotated[Path, typer.Option("--out", help="help.uplift.fit.out")],
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        learner: LearnerOpt = "auto",
        cv: Annotated[int, typer.Option("--cv", min=0, help="help.uplift.fit.cv")] = 3,
        seed: SeedOpt = 0,
        propensity: PropensityOpt = None,
        report: Annotated[Path | None, typer.Option("--report", help="help.uplift.fit.report")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Fit on every row (``auto``: the learner with the best cross-validated Qini) and save it with its card."""
        from callwise.uplift.errors import UpliftInputError
        from callwise.uplift.widetable import fit_experiment

        if report is not None and cv == 0:  # the report shows out-of-fold figures: there would be none
            fail(t("uplift.cli.report_needs_cv", _lang()))
        experiment = _load(table, target, positive, treatment, treated, control, drop)
        try:
            model, card = fit_experiment(experiment, learner, cv, seed, propensity)
        except UpliftInputError as exc:
            _fail_on(table, exc)
        model.save(out, card=card)
        summary: dict[str, Any] = dict(card, learner=model.name, out=str(out), propensity=model.propensity_info_)
        evaluation = card["selection"]["evaluation"]
        if report is not None:
            result = dict(evaluation, **experiment.facts(), learner=model.name, folds=cv)
            result["cv_qini"], result["card"] = card["selection"]["cv_qini"], _card(out)
            summary["reports"] = _reports(result, report)
        from callwise.uplift.text import fit_text

        emit(summary, as_json, human=fit_text(summary, _lang()))

    @uplift.command("score", help="help.uplift.score")
    def score(
        model_dir: Annotated[Path, typer.Option("--model", help="help.uplift.score.model_dir")],
        table: TableOpt,
        out: Annotated[Path, typer.Option("--out", help="help.uplift.score.out")],
        lang: Annotated[str, typer.Option("--lang", help="help.model.score.lang", callback=known_language)] = "zh",
        as_json: JsonOpt = False,
    ) -> None:
        """Every input row and column in order, plus uplift, p_treated, p_control, rank and reasons in words."""
        from callwise.ingest.readers import SourceError, read_cells, read_frame
        from callwise.models.errors import ModelInputError
        from callwise.models.score import write_table
        from callwise.uplift import UpliftFileError, UpliftInputError, load_uplift
        from callwise.uplift.score import score_uplift

        try:
            model = load_uplift(model_dir)
            frame, cells = read_frame(table), read_cells(table)  # typed for the model, as written for the file
            label = f"{model.name} ({model_dir})"
            scored = score_uplift(model, frame, lang, cells=cells, table=str(table), model_label=label)
            path = write_table(scored, out)
        except (SourceError, UpliftFileError, ModelInputError) as exc:
            fail(exc)
        except UpliftInputError as exc:
            _fail_on(table, exc)
        summary = {
            "rows": len(scored),
            "out": str(path),
            "learner": model.name,
            "mean_uplift": round(float(scored["uplift"].mean()), 6),
            "negative": int((scored["uplift"] < 0).sum()),
        }
        from callwise.uplift.text import score_text

        emit(summary, as_json, human=score_text(summary, _lang()))

    @uplift.command("eval", help="help.uplift.eval")
    def evaluate(
        table: TableOpt,
        target: TargetOpt,
        treatment: TreatmentOpt,
        treated: TreatedOpt,
        control: ControlOpt,
        positive: PositiveOpt = None,
        drop: DropOpt = None,
        learner: LearnerOpt = "auto",
        cv: Annotated[int, typer.Option("--cv", min=2, help="help.uplift.eval.cv")] = 5,
        seed: SeedOpt = 0,
        propensity: PropensityOpt = None,
        report: Annotated[Path | None, typer.Option("--report", help="help.uplift.eval.report")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Shuffled k-fold cross-validation: Qini, AUUC, uplift at k, ATE, deciles with intervals, calibration."""
        from callwise.uplift.errors import UpliftInputError
        from callwise.uplift.widetable import evaluate_experiment

        experiment = _load(table, target, positive, treatment, treated, control, drop)
        try:
            result = evaluate_experiment(experiment, learner, cv, seed, propensity)
        except UpliftInputError as exc:
            _fail_on(table, exc)
        if report is not None:
            result["reports"] = _reports(result, report)
        from callwise.uplift.text import evaluation_text

        emit(result, as_json, human=evaluation_text(result, _lang()))


def _card(directory: Path) -> dict[str, Any]:
    from callwise.jsonfile import read_json
    from callwise.uplift import UpliftFileError

    return dict(read_json(directory / "model_card.json", UpliftFileError, "model"))
