"""The uplift report: one HTML file per language from an evaluation's figures (``evaluate_uplift`` and facts).

The Qini curve of the model against random targeting and the perfect order, observed uplift by decile with its
interval beside the predicted one, their calibration, the learners' cross-validated Qini and, for a saved model,
the facts of its card. Inline SVG, no scripts: the file opens anywhere, and the same figures give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from callwise.i18n import LANGUAGES
from callwise.models.reasons import feature_label
from callwise.report.render import _render, _translator
from callwise.report.svg import hbar_chart, interval_chart, line_chart

TOP_FEATURES = 10


def _charts(result: dict[str, Any], lang: str) -> dict[str, str]:
    tr = _translator(lang)
    curve = result["curve"]
    share = [s or 0.0 for s in curve["share"]]
    lines: dict[str, tuple[Sequence[float], Sequence[float]]] = {
        tr("upliftreport.model"): (share, [v or 0.0 for v in curve["qini"]]),
        tr("upliftreport.random"): (share, [v or 0.0 for v in curve["random"]]),
        tr("upliftreport.perfect"): (share, [v or 0.0 for v in curve["perfect"]]),
    }
    deciles = result["deciles"]
    both = [v for d in deciles for v in (d["predicted"], d["observed"]) if v is not None]
    lo, hi = min([0.0, *both]), max([0.0, *both]) or 1.0
    calibrated = [d for d in deciles if d["predicted"] is not None and d["observed"] is not None]
    charts = {
        "qini": line_chart(
            lines,
            tr("upliftreport.share_targeted"),
            tr("upliftreport.incremental_buyers"),
            dashed=[tr("upliftreport.random"), tr("upliftreport.perfect")],
            y_fmt="{:,.0f}",
        ),
        "deciles": interval_chart(
            [str(d["decile"]) for d in deciles],
            [d["observed"] for d in deciles],
            [d["low"] for d in deciles],
            [d["high"] for d in deciles],
            [d["predicted"] for d in deciles],
            tr("upliftreport.decile"),
            tr("upliftreport.uplift"),
            names=(tr("upliftreport.observed"), tr("upliftreport.predicted")),
        ),
        "calibration": line_chart(
            {
                tr("upliftreport.observed"): (
                    [d["predicted"] for d in calibrated],
                    [d["observed"] for d in calibrated],
                ),
                tr("upliftreport.ideal"): ([lo, hi], [lo, hi]),
            },
            tr("upliftreport.predicted"),
            tr("upliftreport.observed"),
            x_range=(lo, hi),
            y_range=(lo, hi),
            fmt="{:.1%}",
            dashed=[tr("upliftreport.ideal")],
        ),
    }
    shares = (result.get("card") or {}).get("top_features", {})
    top = sorted(shares.items(), key=lambda item: -float(item[1]))[:TOP_FEATURES]  # the card's JSON sorts by name
    if top:
        charts["importance"] = hbar_chart([feature_label(k, lang) for k, _ in top], [float(v) for _, v in top])
    return charts


def render_uplift_report(result: dict[str, Any], lang: str = "zh") -> str:
    """The report of ``result``: an evaluation with the table's facts, ``cv_qini`` and (optional) ``card``."""
    return _render("uplift.html.j2", lang, r=result, card=result.get("card"), charts=_charts(result, lang))


def write_uplift_reports(result: dict[str, Any], directory: str | Path, name: str = "uplift") -> dict[str, str]:
    """``<name>_<lang>.html`` in ``directory`` for each language; their paths by language."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for lang in LANGUAGES:
        path = out / f"{name}_{lang}.html"
        path.write_text(render_uplift_report(result, lang), encoding="utf-8")
        written[lang] = str(path)
    return written
