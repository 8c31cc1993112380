"""The attribution page (``metrics:read``): every attribution method's share per channel side by side (table and bar
chart), each method's total against the control group's increment and interval, the campaigns one by one, where last
touch is off, and the report's warnings. ``?campaign=ID`` attributes one campaign; ``?lookback_days=N`` the window.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.attribution.paths import MAX_LOOKBACK_DAYS
from callwise.attribution.text import method_name, warning_texts
from callwise.board.attribution import Found, board_report, campaign_ids
from callwise.i18n.errors import say
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, Tile, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("attribution", "/board/attribution", "metrics:read")
router = APIRouter(include_in_schema=False)
MetricsRead = Annotated[Viewer, viewer_for(PAGE.permission)]
COLOURS = {
    "first_touch": "#b0bec5",
    "last_touch": "#b03a2e",
    "linear_touch": "#90a4ae",
    "markov": "#e08a1e",
    "shapley": "#c9a227",
    "markov_causal": "#2e7d32",
    "shapley_causal": "#1f4e79",
    "regression": "#6a3d9a",
}
CONTROL_COLOUR = "#444444"


def _filters(request: Request) -> tuple[str | None, int]:
    """``?campaign`` (printable, at most 200 characters) and ``?lookback_days`` (1–365); anything else is refused."""
    campaign = request.query_params.get("campaign") or None
    if campaign is not None and (len(campaign) > 200 or not campaign.isprintable()):
        raise BoardError(422, "board.error.bad_filter", field="campaign")
    raw = request.query_params.get("lookback_days") or "30"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LOOKBACK_DAYS:
        raise BoardError(422, "board.error.bad_filter", field="lookback_days")
    return campaign, int(raw)


def tables(report: dict[str, Any], lang: str) -> dict[str, Table]:
    """Every table of the page, as shown and as exported."""
    methods = report["methods"]
    names = list(methods)
    shares = [
        {
            "channel": channel,
            "touches": report["touches"].get(channel),
            **{name: methods[name]["share"][channel] for name in names},
        }
        for channel in report["channels"]
    ]
    share_columns = [("channel", "board.attribution.col.channel"), ("touches", "board.attribution.col.touches")]
    share_columns += [(name, f"attribution.method.{name}") for name in names]
    yes, no = say("board.attribution.yes", lang), say("board.attribution.no", lang)
    totals = [
        {"method": method_name(name, lang), "causal": yes if methods[name]["causal"] else no, "total": found["total"]}
        for name, found in methods.items()
    ]
    campaigns = []
    for row in report["campaigns"]:
        control = row["control"] or {}
        campaigns.append(
            {
                "campaign_id": row["campaign_id"] or "—",
                "paths": row["paths"],
                "conversions": row["conversions"],
                "control_incremental": control.get("incremental"),
                "low": control.get("low"),
                "high": control.get("high"),
                **row["totals"],
            }
        )
    campaign_columns = [
        ("campaign_id", "board.attribution.col.campaign"),
        ("paths", "board.attribution.col.paths"),
        ("conversions", "board.attribution.col.conversions"),
        ("control_incremental", "board.attribution.col.control_incremental"),
        ("low", "board.attribution.col.low"),
        ("high", "board.attribution.col.high"),
    ] + [(name, f"attribution.method.{name}") for name in names]
    flags = [
        {
            "channel": f["channel"],
            "last_touch": f["last_touch"],
            "reference": f["reference"],
            "gap": 100 * f["gap"],
        }
        for f in report["last_touch_flags"]
    ]
    number = dict.fromkeys(["control_incremental", "low", "high", *names], "num")
    return {
        "shares": Table("shares", share_columns, shares, formats=dict.fromkeys(names, "pct")),
        "totals": Table(
            "totals",
            [
                ("method", "board.attribution.col.method"),
                ("causal", "board.attribution.col.causal"),
                ("total", "board.attribution.col.total"),
            ],
            totals,
            formats={"total": "num"},
        ),
        "campaigns": Table("campaigns", campaign_columns, campaigns, formats=number),
        "flags": Table(
            "flags",
            [
                ("channel", "board.attribution.col.channel"),
                ("last_touch", "board.attribution.col.last_touch"),
                ("reference", "board.attribution.col.reference"),
                ("gap", "board.attribution.col.gap"),
            ],
            flags,
            formats={"last_touch": "pct", "reference": "pct", "gap": "signed"},
        ),
    }


def charts(report: dict[str, Any], tabs: dict[str, Table], lang: str) -> list[Chart]:
    methods = report["methods"]
    channels = report["channels"]
    shares = {
        "grid": {"left": 60, "right": 20, "top": 70, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [method_name(n, lang) for n in methods]},
        "xAxis": {"type": "category", "data": channels},
        "yAxis": {"type": "value", "name": say("board.attribution.chart.share", lang)},
        "series": [
            {
                "name": method_name(name, lang),
                "type": "bar",
                "data": [round(100 * found["share"][c], 2) for c in channels],
                "itemStyle": {"color": COLOURS.get(name, "#888888")},
            }
            for name, found in methods.items()
        ],
    }
    control = report["control"]["total"]
    lines = []
    if control is not None:
        for key, value in (("low", control["low"]), ("high", control["high"])):
            lines.append({"name": say(f"board.attribution.chart.{key}", lang), "yAxis": round(value, 1)})
    totals = {
        "grid": {"left": 70, "right": 150, "top": 30, "bottom": 90},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [method_name(n, lang) for n in methods],
            "axisLabel": {"rotate": 30, "interval": 0},
        },
        "yAxis": {"type": "value", "name": say("board.attribution.chart.total", lang)},
        "series": [
            {
                "name": say("board.attribution.chart.total", lang),
                "type": "bar",
                "data": [
                    {"value": round(found["total"], 1), "itemStyle": {"color": COLOURS.get(name, "#888888")}}
                    for name, found in methods.items()
                ],
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"type": "dashed", "color": CONTROL_COLOUR},
                    "label": {"formatter": "{b}"},
                    "data": lines,
                },
            }
        ],
    }
    days = {"days": report["lookback_days"]}
    return [
        Chart(
            "shares",
            "board.attribution.chart.shares_title",
            "board.attribution.chart.shares_source",
            shares,
            tabs["shares"],
            height=380,
            values=days,
        ),
        Chart(
            "totals",
            "board.attribution.chart.totals_title",
            "board.attribution.chart.totals_source",
            totals,
            tabs["totals"],
            height=340,
        ),
    ]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def tiles(report: dict[str, Any], lang: str) -> list[Tile]:
    """Paths, converted paths, the control group's increment (its interval as the hint) and the default method's."""
    control = report["control"]["total"]
    default = report["methods"][report["default_method"]]
    level = f"{100 * (1 - report['alpha']):.0f}%"
    if control is None:
        control_tile = Tile("board.attribution.tile.control", say("board.attribution.tile.no_control", lang))
    else:
        low, high = _count(control["low"]), _count(control["high"])
        hint = say("board.attribution.tile.interval", lang, level=level, low=low, high=high)
        control_tile = Tile("board.attribution.tile.control", _count(control["incremental"]), hint=hint)
    return [
        Tile("board.attribution.tile.paths", _count(report["paths"])),
        Tile("board.attribution.tile.conversions", _count(report["conversions"])),
        control_tile,
        Tile(
            "board.attribution.tile.default",
            _count(default["total"]),
            hint=method_name(report["default_method"], lang),
        ),
    ]


def _page_data(svc: Any, request: Request) -> tuple[str | None, int, Found]:
    campaign, lookback = _filters(request)
    return campaign, lookback, board_report(svc.lake, campaign, lookback)


@router.get(PAGE.path, response_class=HTMLResponse)
def attribution_page(request: Request, viewer: MetricsRead, svc: ServicesDep) -> HTMLResponse:
    campaign, lookback, found = _page_data(svc, request)
    report = found.report
    context: dict[str, Any] = {
        "page_name": PAGE.name,
        "campaign": campaign or "",
        "lookback_days": lookback,
        "report": report,
        "campaigns": campaign_ids(svc.lake),
        "reason": None if found.reason_key is None else say(found.reason_key, viewer.lang, **found.reason_values),
        "computing": found.computing,
        "query": lambda **_: "&".join(
            part for part in (f"campaign={campaign}" if campaign else "", f"lookback_days={lookback}") if part
        ),
    }
    if report is not None:
        tabs = tables(report, viewer.lang)
        context.update(
            tabs=tabs,
            charts=charts(report, tabs, viewer.lang),
            warnings=warning_texts(report["warnings"], viewer.lang),
            default_name=method_name(report["default_method"], viewer.lang),
            tiles=tiles(report, viewer.lang),
        )
    return render(request, viewer, "pages/attribution.html.j2", **context)


@router.get(PAGE.path + "/export/{filename}")
def attribution_export(request: Request, filename: str, viewer: MetricsRead, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    campaign, _, found = _page_data(svc, request)
    if found.report is None:
        raise BoardError(404, "board.error.not_found")
    tabs = tables(found.report, viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    name = f"attribution-{table_id}" if campaign is None else f"attribution-{campaign}-{table_id}"
    return export_response(tabs[table_id], fmt, viewer.lang, name, svc.bank_timezone)
