"""The campaign results report: one HTML file in zh-CN or English, from ``campaign_results``' dict.

Every word comes from the catalogue (``i18n/results_stats.yaml``); data values (cell names such as a province or
a team) are marked ``class="data"``. The report holds counts and rates only, never a customer's id or contact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callwise.i18n import t
from callwise.report.render import _render
from callwise.results.charts import interval_chart

DIMENSION_ORDER = ("arm", "score_decile", "product_id", "province", "age_band", "segment", "team")
VARIANTS = ("unadjusted", "post_stratified", "cuped", "cuped_stratified")


def _fmt(kind: str) -> Callable[[Any], str]:
    def pct(v: Any) -> str:
        return "—" if v is None else f"{100 * v:.2f}%"

    def pp(v: Any) -> str:
        return "—" if v is None else f"{100 * v:+.2f}"

    def num(v: Any) -> str:
        return "—" if v is None else f"{v:,.1f}"

    def money(v: Any) -> str:
        return "—" if v is None else f"{v:,.0f}"

    def ratio(v: Any) -> str:
        return "—" if v is None else f"{v:.2f}"

    return {"pct": pct, "pp": pp, "num": num, "money": money, "ratio": ratio}[kind]


def _ci(d: dict[str, Any] | None, kind: str) -> str:
    if not d or (d.get("low") is None and d.get("high") is None):
        return "—"
    f = _fmt(kind)
    return f"[{f(d.get('low'))}, {'∞' if d.get('high') is None else f(d.get('high'))}]"


def _charts(result: dict[str, Any], lang: str) -> dict[str, str]:
    out = {}
    for dim, block in result["breakdowns"].items():
        cells = [c for c in block["cells"] if c["lift"]["estimate"] is not None]
        if not cells:
            continue
        labels = [t("resultsreport.missing_value", lang) if c["value"] is None else str(c["value"]) for c in cells]
        out[dim] = interval_chart(
            labels,
            [c["lift"]["estimate"] for c in cells],
            [c["lift"]["low"] for c in cells],
            [c["lift"]["high"] for c in cells],
            [c["small_cell"] for c in cells],
            fmt="{:+.1%}",
            data=[c["value"] is not None for c in cells],
        )
    return out


def render_results(result: dict[str, Any], lang: str = "zh") -> str:
    """The report of one campaign's results in ``lang`` (``zh`` or ``en``)."""
    t("resultsreport.title", lang)  # an unknown language is refused here, before anything is rendered
    return _render(
        "results.html.j2",
        lang,
        r=result,
        charts=_charts(result, lang),
        dims=[d for d in DIMENSION_ORDER if d in result["breakdowns"]],
        variants=[v for v in VARIANTS if v in result["adjusted"]["variants"]],
        f={k: _fmt(k) for k in ("pct", "pp", "num", "money", "ratio")},
        ci=_ci,
        level=f"{100 * (1 - result['alpha']):.0f}%",
    )
