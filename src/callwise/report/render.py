"""Render the model report and the call-list report from the numbers the stages already produced."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from callwise.i18n import LANGUAGES, catalog, t
from callwise.lists.figures import list_figures
from callwise.lists.measured_text import control_group_text
from callwise.models.reasons import feature_label, format_value
from callwise.report.svg import bar_chart, hbar_chart, line_chart

if TYPE_CHECKING:
    from callwise.lists.build import ListResult

TOP_FEATURES = 15
LIST_ROWS = 50
LANGS: tuple[str, ...] = tuple(LANGUAGES)


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("callwise.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _translator(lang: str) -> Callable[..., str]:
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
            bin_is_data=~points["bin"].isin(list(words)),  # a bin of the bank's values (教师, 北京 …), not our words
            bin=points["bin"].map(lambda b: words.get(b, b)),
        )
        points = points.astype(object).where(points.notna(), None)  # the base row has no count, rate or WOE
    points_rows = None if points is None else points.to_dict("records")
    return _render("model.html.j2", lang, r=result, charts=charts, source=source, points=points_rows)


def reason_words(codes: pd.DataFrame | None, listed: pd.DataFrame, lang: str) -> list[list[tuple[str, str]]]:
    """Each listed customer's reasons as (feature in ``lang``, value) pairs; the value is the customer's data."""
    if codes is None:  # a list built without codes: its words (in the campaign's language) are all there is
        return [[("", x) for x in row if x] for row in listed[["reason_1", "reason_2", "reason_3"]].to_numpy()]
    out = []
    for row in codes.itertuples(index=False):  # a report shows at most LIST_ROWS customers
        pairs = []
        for i in (1, 2, 3):
            name = getattr(row, f"reason_{i}")
            if isinstance(name, str):
                pairs.append((feature_label(name, lang), format_value(getattr(row, f"value_{i}"), lang)))
        out.append(pairs)
    return out


def render_list_report(result: ListResult, truth: dict[str, Any] | None = None, lang: str = "zh") -> str:
    """The list's report: funnel, calls per day against capacity, team and agent load, experiment, top rows."""
    tr = _translator(lang)
    summary = result.summary
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
    figures = list_figures(result)
    days_svg = hbar_chart([d["date"] for d in figures["days"]], [d["load"] or 0.0 for d in figures["days"]], "{:.0%}")
    top = result.listed.head(LIST_ROWS)
    codes = None if result.reason_codes is None else result.reason_codes.head(LIST_ROWS)
    words = reason_words(codes, top, lang)
    rows: list[dict[Any, Any]] = [{**r, "reasons": w} for r, w in zip(top.to_dict("records"), words, strict=True)]
    category = summary.get("product_category")
    return _render(
        "call_list.html.j2",
        lang,
        s=summary,
        truth=truth,
        rows=rows,
        figures=figures,
        category=tr(f"category.{category}") if f"category.{category}" in catalog() else (category or ""),
        control_text=control_group_text(summary["experiment"], lang),
        funnel_svg=funnel_svg,
        truth_svg=truth_svg,
        days_svg=days_svg,
    )


def write_list_reports(
    result: ListResult, out_dir: str | Path, truth: dict[str, Any] | None = None, langs: tuple[str, ...] = LANGS
) -> dict[str, str]:
    """``call_list_<lang>.html`` in ``out_dir`` for each language; their paths by ``call_list_<lang>``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for lang in langs:
        path = out / f"call_list_{lang}.html"
        path.write_text(render_list_report(result, truth, lang), encoding="utf-8")
        files[f"call_list_{lang}"] = str(path)
    return files
