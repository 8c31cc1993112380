"""The overview page: KPI tiles that refresh every 10 s, the daily volumes, incremental conversions by campaign with
their intervals, and the campaign table. The numbers are ``callwise.board.overview``'s; this module only lays them
out in the viewer's language (tiles, charts with their tables, exports)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board.filters import Filters
from callwise.board.overview import HIGHER_IS_BETTER, PRODUCT_VALUES, TEAMS, Kpi, Overview, filter_options, overview
from callwise.clock import utcnow
from callwise.i18n import t as translate
from callwise.web.deps import ServicesDep
from callwise.web.ui.fmt import Formatter
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, Tile, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, FiltersDep, Viewer, viewer_for

PAGE = Page("overview", "/board/", "metrics:read")
router = APIRouter()
ViewerDep = Annotated[Viewer, viewer_for(PAGE.permission)]
PAGE_SIZE = 50
RATES = ("connect_rate", "conversion_per_connect")
PER_1K = ("complaints_per_1k", "dnc_per_1k")
K = "board.overview."


def _view(svc: Any, filters: Filters) -> tuple[Overview, list[str], list[str], list[str]]:
    teams = TEAMS.teams(svc.lake)
    agents = teams.get(filters.team, []) if filters.team else None
    today = utcnow().astimezone(Formatter("zh", svc.bank_timezone).zone).date()
    with svc.factory() as session:
        view = overview(session, filters, today, svc.bank_timezone, agents, PRODUCT_VALUES.values(svc.lake))
        campaigns, products = filter_options(session)
    return view, campaigns, products, sorted(teams)


def _value(kpi: Kpi, value: float | None, fmt: Formatter) -> str:
    if kpi.name in RATES or kpi.name == "roi":
        return fmt.pct(value)
    if kpi.name in PER_1K:
        return fmt.num(value, 2)
    return fmt.num(value, 1 if kpi.name == "incremental" else 0)


def tiles(view: Overview, lang: str, fmt: Formatter) -> list[Tile]:
    """One tile per KPI: value, change against the previous period, trend, and the interval where estimated."""
    out = []
    for kpi in view.kpis:
        delta = good = None
        if kpi.value is not None and kpi.previous is not None:
            diff = kpi.value - kpi.previous
            if kpi.name in RATES or kpi.name == "roi":
                delta = translate(K + "points", lang, value=fmt.signed(100 * diff, 1))
            else:
                delta = fmt.signed(diff, 2 if kpi.name in PER_1K else 0)
            good = None if diff == 0 else (diff > 0) == HIGHER_IS_BETTER[kpi.name]
        hint = None
        if kpi.low is not None and kpi.high is not None:
            hint = translate(K + "interval", lang, low=_value(kpi, kpi.low, fmt), high=_value(kpi, kpi.high, fmt))
        elif kpi.note:
            hint = translate(K + "note." + kpi.note, lang)
        out.append(Tile(K + "kpi." + kpi.name, _value(kpi, kpi.value, fmt), delta, good, kpi.trend, hint))
    return out


def tables(view: Overview) -> dict[str, Table]:
    """Every table of the page (the charts' and the campaigns'), by id: the page and the exports read these."""
    daily = [
        {
            "day": day,
            "dials": int(view.daily["dials"][i]),
            "connects": int(view.daily["connects"][i]),
            "conversions": int(view.daily["conversions"][i]),
            "incremental": round(view.daily["incremental"][i], 2),
        }
        for i, day in enumerate(view.days)
    ]
    measured = [r for r in view.campaigns if r["incremental"] is not None]
    return {
        "daily": Table(
            "daily",
            [(f, K + "col." + f) for f in ("day", "dials", "connects", "conversions", "incremental")],
            daily,
            formats={"day": "date", "incremental": "signed"},
        ),
        "incremental": Table(
            "incremental",
            [(f, K + "col." + f) for f in ("campaign_id", "incremental", "incremental_low", "incremental_high")],
            [
                {k: r[k] for k in ("campaign_id", "incremental", "incremental_low", "incremental_high")}
                for r in measured
            ],
        ),
        "campaigns": Table(
            "campaigns",
            [
                (f, K + "col." + f)
                for f in (
                    "campaign_id",
                    "name",
                    "status",
                    "dials",
                    "connect_rate",
                    "conversions",
                    "incremental",
                    "incremental_low",
                    "incremental_high",
                    "roi",
                    "complaints_per_1k",
                )
            ],
            view.campaigns,
            total=len(view.campaigns),
            page_size=PAGE_SIZE,
            formats={"connect_rate": "pct", "roi": "pct"},
        ),
    }


def charts(view: Overview, table: dict[str, Table], lang: str, fmt: Formatter) -> list[Chart]:
    def word(key: str) -> str:
        return translate(K + key, lang)

    days = [fmt.date(d) for d in view.days]
    daily = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [word("col.dials"), word("col.conversions")]},
        "xAxis": {"type": "category", "data": days},
        "yAxis": [{"type": "value", "name": word("col.dials")}, {"type": "value", "name": word("col.conversions")}],
        "series": [
            {"name": word("col.dials"), "type": "bar", "data": view.daily["dials"]},
            {"name": word("col.conversions"), "type": "line", "yAxisIndex": 1, "data": view.daily["conversions"]},
        ],
    }
    rows = table["incremental"].rows
    names = [r["campaign_id"] for r in rows]
    incremental = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [word("col.incremental"), word("chart.interval")]},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "name": word("col.incremental")},
        "series": [
            {  # a box from the interval's low to its high end (candlestick: open, close, lowest, highest)
                "name": word("chart.interval"),
                "type": "candlestick",
                "data": [
                    [r["incremental_low"], r["incremental_high"], r["incremental_low"], r["incremental_high"]]
                    for r in rows
                ],
                "itemStyle": {
                    "color": "#9ecae1",
                    "borderColor": "#3182bd",
                    "color0": "#9ecae1",
                    "borderColor0": "#3182bd",
                },
            },
            {"name": word("col.incremental"), "type": "scatter", "data": [r["incremental"] for r in rows]},
        ],
    }
    return [
        Chart("daily", K + "chart.daily", K + "source.daily", daily, table["daily"]),
        Chart("incremental", K + "chart.incremental", K + "source.incremental", incremental, table["incremental"]),
    ]


def _context(request: Request, viewer: Viewer, svc: Any, filters: Filters) -> dict[str, Any]:
    view, campaigns, products, teams = _view(svc, filters)
    fmt = Formatter(viewer.lang, svc.bank_timezone)
    table = tables(view)
    page = table["campaigns"]
    first = (filters.page - 1) * PAGE_SIZE
    page.rows = page.rows[first : first + PAGE_SIZE]
    for row in page.rows:
        row["url"] = f"/board/campaigns/{row['campaign_id']}"
    return {
        "view": view,
        "tiles": tiles(view, viewer.lang, fmt),
        "charts": charts(view, table, viewer.lang, fmt),
        "campaign_table": page,
        "campaign_options": campaigns,
        "product_options": products,
        "team_options": teams,
        "filters": filters,
        "refreshed_at": utcnow(),
        "page_name": PAGE.name,
        "export_base": "/board",
    }


@router.get("/board/", response_class=HTMLResponse)
def page(request: Request, viewer: ViewerDep, svc: ServicesDep, filters: FiltersDep) -> Response:
    return render(request, viewer, "pages/overview.html.j2", **_context(request, viewer, svc, filters))


@router.get("/board/tiles", response_class=HTMLResponse)
def tiles_fragment(request: Request, viewer: ViewerDep, svc: ServicesDep, filters: FiltersDep) -> Response:
    """The tiles alone, for the page's 10-second refresh (HTMX swaps them in place)."""
    view, *_ = _view(svc, filters)
    fmt = Formatter(viewer.lang, svc.bank_timezone)
    context: dict[str, Any] = {"view": view, "tiles": tiles(view, viewer.lang, fmt), "filters": filters}
    context["refreshed_at"] = utcnow()
    return render(request, viewer, "pages/overview_tiles.html.j2", **context)


@router.get("/board/export/{name}")
def export(name: str, viewer: ViewerDep, svc: ServicesDep, filters: FiltersDep) -> Response:
    """A table of the page as CSV or XLSX, for the same filters (the campaign table whole, not one page)."""
    table_id, _, fmt = name.rpartition(".")
    view, *_ = _view(svc, filters)
    table = tables(view).get(table_id)
    if table is None:
        raise BoardError(404, "board.error.not_found")
    return export_response(table, fmt, viewer.lang, f"overview-{table_id}-{view.start}-{view.end}", svc.bank_timezone)
