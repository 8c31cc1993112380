"""What the uplift commands print for people, in zh-CN or English (``--json`` prints the data instead)."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t
from callwise.models.text import _join, _table

DECILE_COLUMNS = ("decile", "treated", "control", "predicted", "observed", "interval")


def _pp(value: float | None) -> str:
    """An uplift in percentage points (``+1.23 pp``), or a dash where there is none."""
    return "—" if value is None else f"{value * 100:+.2f} pp"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _groups(result: dict[str, Any], lang: str) -> str:
    return t(
        "uplift.text.rows",
        lang,
        rows=f"{result['rows']:,}",
        treated=f"{result['treated']:,}",
        control=f"{result['control']:,}",
        positives=f"{result['positives']:,}",
    )


def _figures(result: dict[str, Any], lang: str) -> list[str]:
    """Qini, AUUC, the average effect and uplift at each share: the evaluation's headline."""
    shares = [
        t("uplift.text.at_share", lang, share=f"{float(k) * 100:g}%", uplift=_pp(v))
        for k, v in result["uplift_at"].items()
    ]
    return [
        t(
            "uplift.text.figures",
            lang,
            qini=_number(result["qini"]),
            auuc=_number(result["auuc"]),
            ate=_pp(result["ate"]),
        ),
        t("uplift.text.uplift_at", lang, shares=_join(shares, lang)),
    ]


def _selection(cv_qini: dict[str, float | None], chosen: str, lang: str) -> str:
    tried = [f"{name} {_number(q)}{' ←' if name == chosen else ''}" for name, q in cv_qini.items()]
    return t("uplift.text.cv_qini", lang, learners=_join(tried, lang))


def _reports(result: dict[str, Any], lang: str) -> list[str]:
    return [t("cli.model.reports", lang, path=path) for path in result.get("reports", {}).values()]


def evaluation_text(result: dict[str, Any], lang: str) -> str:
    """``evaluate_experiment``'s result as lines: the table, the figures, the learners tried, the deciles."""
    lines = [
        t("uplift.text.cv_title", lang, folds=result["folds"], learner=result["learner"], source=result["source"]),
        _groups(result, lang),
    ]
    if result.get("dropped_no_target"):
        lines.append(t("models.text.dropped", lang, rows=f"{result['dropped_no_target']:,}"))
    lines += _figures(result, lang)
    if len(result.get("cv_qini", {})) > 1:
        lines.append(_selection(result["cv_qini"], result["learner"], lang))
    lines.append(t("uplift.text.deciles", lang))
    header = [t(f"uplift.decile.{c}", lang) for c in DECILE_COLUMNS]
    rows = [
        [
            str(d["decile"]),
            f"{d['treated']:,}",
            f"{d['control']:,}",
            _pp(d["predicted"]),
            _pp(d["observed"]),
            f"{_pp(d['low'])} … {_pp(d['high'])}",
        ]
        for d in result["deciles"]
    ]
    lines += _table(header, rows)
    lines.append(t("models.text.seconds", lang, seconds=result["seconds"]))
    return "\n".join(lines + _reports(result, lang))


def fit_text(summary: dict[str, Any], lang: str) -> str:
    """A saved uplift model: where it went, what it learned from, how it was chosen and how well it ranked."""
    lines = [t("uplift.text.saved", lang, learner=summary["learner"], out=summary["out"]), _groups(summary, lang)]
    propensity = summary["propensity"]
    lines.append(t(f"uplift.text.propensity.{propensity['source']}", lang, value=f"{propensity['value']:.4f}"))
    selection = summary["selection"]
    if selection["cv_qini"]:
        lines.append(_selection(selection["cv_qini"], summary["learner"], lang))
    evaluation = selection["evaluation"]
    if evaluation is not None:
        lines.append(t("uplift.text.card_figures", lang, folds=selection["folds"]))
        lines += ["  " + line for line in _figures(evaluation, lang)]
    return "\n".join(lines + _reports(summary, lang))


def score_text(summary: dict[str, Any], lang: str) -> str:
    """A scored table: how many rows, by which learner, the mean uplift, how many below zero, where the file is."""
    return t(
        "uplift.text.scored",
        lang,
        rows=f"{summary['rows']:,}",
        learner=summary["learner"],
        mean=_pp(summary["mean_uplift"]),
        negative=f"{summary['negative']:,}",
        out=summary["out"],
    )
