"""Render the model report and the call-list report from the numbers the stages already produced."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from callwise.i18n import t
from callwise.models.reasons import feature_label
from callwise.report.svg import bar_chart, hbar_chart, line_chart

if TYPE_CHECKING:
    from callwise.lists.summary import ListSummary

TOP_FEATURES = 15
LIST_ROWS = 50


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("callwise.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _translator(lang: str):
    return lambda key, **values: t(key, lang, **values)


def _render(template: str, lang: str, **context: Any) -> str:
    return _env().get_template(template).render(t=_translator(lang), lang=lang, **context)


def render_model_report(result: dict[str, Any], model: Any = None, lang: str = "zh", source: str = "") -> str:
    """Metrics, gains, lift, calibration, importance and (for a scorecard) the points table."""
    tr = _translator(lang)
    deciles = result["deciles"]
    gains_x = [0.0] + [(i + 1) / len(deciles) for i in range(len(deciles))]
    gains_y = [0.0] + [d["cum_capture"] for d in deciles]
    calibration = result["calibration"]
    top = max(max(c["mean_predicted"], c["observed"]) for c in calibration) or 1.0
    charts = {
        "gains": line_chart(
            {tr("modelreport.model"): (gains_x, gains_y), tr("modelreport.random"): ([0, 1], [0, 1])},
            tr("modelreport.share_called"),
            tr("modelreport.share_captured"),
            y_range=(0, 1),
            dashed=[tr("modelreport.random")],
        ),
        "lift": bar_chart(
            [str(d["decile"]) for d in deciles],
            [d["lift"] or 0 for d in deciles],
            tr("modelreport.decile"),
            tr("modelreport.lift"),
            fmt="{:.2f}",
        ),
        "calibration": line_chart(
            {
                tr("modelreport.observed"): (
                    [c["mean_predicted"] for c in calibration],
                    [c["observed"] for c in calibration],
                ),
                tr("modelreport.perfect"): ([0, top], [0, top]),
            },
            tr("modelreport.predicted"),
            tr("modelreport.observed"),
            x_range=(0, top),
            y_range=(0, top),
            fmt="{:.0%}",
            dashed=[tr("modelreport.perfect")],
        ),
    }
    importance = list(result.get("importance", {}).items())[:TOP_FEATURES]
    total = sum(v for _, v in importance) or 1.0
    charts["importance"] = hbar_chart(
        [feature_label(k, lang) for k, _ in importance], [v / total for _, v in importance]
    )
    points = model.points_table() if model is not None and hasattr(model, "points_table") else None
    if points is not None:
        words = {
            "(base)": tr("modelreport.base"),
            "missing": tr("modelreport.missing"),
            "unseen": tr("modelreport.unseen"),
        }
        points = points.assign(
            feature=points["feature"].map(lambda f: words.get(f) or feature_label(f, lang)),
            bin=points["bin"].map(lambda b: words.get(b, b)),
        )
        points = points.astype(object).where(points.notna(), None)  # the base row has no count, rate or WOE
    points_rows = None if points is None else points.to_dict("records")
    return _render("model.html.j2", lang, r=result, charts=charts, source=source, points=points_rows)


def render_list_report(
    summary: ListSummary, listed: pd.DataFrame, truth: dict[str, Any] | None, lang: str = "zh"
) -> str:
    tr = _translator(lang)
    funnel = [s for s in summary["funnel"][1:] if s["removed"]]
    funnel_svg = hbar_chart(
        [tr(f"exclusion.{s['step']}") for s in funnel], [s["removed"] for s in funnel], fmt="{:,.0f}"
    )
    truth_svg = ""
    if truth:
        names = list(truth["lists"])
        truth_svg = hbar_chart(
            [tr(f"listreport.list_{n}") for n in names],
            [truth["lists"][n]["true_conversions"] for n in names],
            fmt="{:,.1f}",
        )
    rows = listed.head(LIST_ROWS).to_dict("records")
    charts = {"funnel_svg": funnel_svg, "truth_svg": truth_svg}
    return _render("call_list.html.j2", lang, s=summary, truth=truth, rows=rows, **charts)
