"""The agents and teams page: the fair score with its interval, calls per hour, contact rate and talk time.

Who sees which agents is ``callwise.board.agents``'s decision (``reach_for``), taken from the viewer's roles,
agent id and teams; the page and its exports both go through ``agents_board``, so neither shows more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board.agents import AgentsBoard, Reach, agents_board, reach_for
from callwise.board.filters import Filters
from callwise.i18n import t
from callwise.ops.users import roles_of
from callwise.web.deps import Services, ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, Tile, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, FiltersDep, Viewer, viewer_for

PAGE = Page("agents", "/board/agents", "outcomes:read")
router = APIRouter()
SeeAgents = Annotated[Viewer, viewer_for(PAGE.permission)]

SCORE_COLUMNS = [
    ("agent_id", "board.agents.col.agent"),
    ("team", "board.agents.col.team"),
    ("connects", "board.agents.col.connects"),
    ("fair_score", "board.agents.col.fair_score"),
    ("fair_lower", "board.agents.col.fair_lower"),
    ("fair_upper", "board.agents.col.fair_upper"),
]
AGENT_COLUMNS = [
    ("agent_id", "board.agents.col.agent"),
    ("team", "board.agents.col.team"),
    ("dials", "board.agents.col.dials"),
    ("connects", "board.agents.col.connects"),
    ("contact_rate", "board.agents.col.contact_rate"),
    ("calls_per_hour", "board.agents.col.calls_per_hour"),
    ("talk_minutes", "board.agents.col.talk_minutes"),
    ("aht_seconds", "board.agents.col.aht_seconds"),
    ("conversions", "board.agents.col.conversions"),
    ("conversion_per_connect", "board.agents.col.conversion_per_connect"),
    ("complaints", "board.agents.col.complaints"),
    ("fair_score", "board.agents.col.fair_score"),
    ("fair_lower", "board.agents.col.fair_lower"),
    ("fair_upper", "board.agents.col.fair_upper"),
    ("fair_rank", "board.agents.col.fair_rank"),
    ("raw_rank", "board.agents.col.raw_rank"),
    ("few_connects", "board.agents.col.few_connects"),
]
TEAM_COLUMNS = [
    ("team", "board.agents.col.team"),
    ("agents", "board.agents.col.agents"),
    ("dials", "board.agents.col.dials"),
    ("connects", "board.agents.col.connects"),
    ("contact_rate", "board.agents.col.contact_rate"),
    ("calls_per_hour", "board.agents.col.calls_per_hour"),
    ("talk_minutes", "board.agents.col.talk_minutes"),
    ("conversions", "board.agents.col.conversions"),
    ("ratio", "board.agents.col.ratio"),
    ("ratio_lower", "board.agents.col.ratio_lower"),
    ("ratio_upper", "board.agents.col.ratio_upper"),
]
FORMATS = {"contact_rate": "pct", "conversion_per_connect": "pct", "talk_minutes": "num", "aht_seconds": "num"}
TWO_DIGITS = ("fair_score", "fair_lower", "fair_upper", "ratio", "ratio_lower", "ratio_upper", "calls_per_hour")


def board_for(viewer: Viewer, svc: Services, filters: Filters) -> AgentsBoard:
    """The viewer's board: their reach from their roles and links, then the data function (page and exports)."""
    with svc.factory() as session:
        roles = roles_of(session, viewer.principal.user_id) if viewer.principal.user_id is not None else []
    reach = reach_for(roles, viewer.agent_id, viewer.teams)
    if svc.lake is None:
        return AgentsBoard(reach, (filters.date_from, filters.date_to), None, None)
    return agents_board(svc.lake, reach, filters)


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the scores at two decimals, as the table shows them (the export keeps numbers as numbers)."""
    return [{k: round(v, 2) if k in TWO_DIGITS and isinstance(v, float) else v for k, v in r.items()} for r in rows]


def tables(board: AgentsBoard, lang: str) -> dict[str, Table]:
    agents = _rounded(board.agents)
    for row in agents:
        row["team"] = row["team"] or t("board.agents.no_team", lang)
        row["few_connects"] = t("board.agents.yes" if row["few_connects"] else "board.agents.no", lang)
    teams = _rounded(board.teams)
    for row in teams:
        row["team"] = row["team"] or t("board.agents.no_team", lang)
    return {
        "score": Table("score", SCORE_COLUMNS, agents),
        "agents": Table("agents", AGENT_COLUMNS, agents, formats=FORMATS),
        "teams": Table("teams", TEAM_COLUMNS, teams, formats=FORMATS),
    }


def interval_option(
    labels: list[str], points: list[Any], lows: list[Any], highs: list[Any], names: tuple[str, str], reference: float
) -> dict[str, Any]:
    """A horizontal chart of estimates with interval bars: an invisible bar to the lower bound, a pale bar on to
    the upper one, the estimate as a dot, and a line at the reference (1 = as the customers predicted)."""
    base = [None if low is None else round(low, 3) for low in lows]
    width = [
        None if low is None or high is None else round(high - low, 3) for low, high in zip(lows, highs, strict=True)
    ]
    return {
        "grid": {"left": 110, "right": 30, "top": 30, "bottom": 30},
        "tooltip": {"trigger": "item"},
        "legend": {"top": 0, "data": list(names)},
        "xAxis": {"type": "value", "scale": True},
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [
            {
                "type": "bar",
                "stack": "interval",
                "data": base,
                "itemStyle": {"color": "transparent"},
                "tooltip": {"show": False},
                "silent": True,
            },
            {"name": names[1], "type": "bar", "stack": "interval", "data": width, "itemStyle": {"color": "#9ec5e8"}},
            {
                "name": names[0],
                "type": "scatter",
                "data": [None if p is None else round(p, 3) for p in points],
                "symbolSize": 10,
                "itemStyle": {"color": "#1f4e79"},
                "markLine": {
                    "symbol": "none",
                    "data": [{"xAxis": round(reference, 3)}],
                    "lineStyle": {"type": "dashed"},
                },
            },
        ],
    }


def charts(board: AgentsBoard, tabs: dict[str, Table], lang: str) -> list[Chart]:
    level = f"{100 * (1 - board.alpha):.0f}%"
    names = (t("board.agents.chart.score", lang), t("board.agents.chart.interval", lang, level=level))
    a = board.agents
    score = interval_option(
        [r["agent_id"] for r in a],
        [r["fair_score"] for r in a],
        [r["fair_lower"] for r in a],
        [r["fair_upper"] for r in a],
        names,
        board.prior.get("mean") or 1.0,
    )
    out = [
        Chart(
            "score",
            "board.agents.chart.score_title",
            "board.agents.chart.score_source",
            score,
            tabs["score"],
            height=max(240, 34 * len(a) + 80),
            values={"level": level},
        )
    ]
    if board.teams:
        tm = board.teams
        team_names = (t("board.agents.chart.ratio", lang), names[1])
        option = interval_option(
            [r["team"] or t("board.agents.no_team", lang) for r in tm],
            [r["ratio"] for r in tm],
            [r["ratio_lower"] for r in tm],
            [r["ratio_upper"] for r in tm],
            team_names,
            1.0,
        )
        out.append(
            Chart(
                "teams",
                "board.agents.chart.teams_title",
                "board.agents.chart.teams_source",
                option,
                tabs["teams"],
                height=max(200, 40 * len(tm) + 80),
                values={"level": level},
            )
        )
    return out


def tiles(board: AgentsBoard, fmt: Any) -> list[Tile]:
    a = board.agents
    dials = sum(r["dials"] for r in a)
    connects = sum(r["connects"] for r in a)
    hours = sum(r["active_hours"] for r in a)
    talk = sum(r["talk_minutes"] for r in a)
    return [
        Tile("board.agents.tile.agents", fmt.num(len(a))),
        Tile("board.agents.tile.dials", fmt.num(dials)),
        Tile("board.agents.tile.contact_rate", fmt.pct(connects / dials if dials else None)),
        Tile("board.agents.tile.calls_per_hour", fmt.num(dials / hours if hours else None, 1)),
        Tile("board.agents.tile.talk_hours", fmt.num(talk / 60, 1)),
    ]


def scope_text(reach: Reach, lang: str) -> str:
    if reach.kind == "all":
        return t("board.agents.scope.all", lang)
    if reach.kind == "teams":
        return t("board.agents.scope.teams", lang, teams=", ".join(reach.teams))
    return t("board.agents.scope.agent", lang, agent_id=reach.agent_id or "")


def _campaigns(svc: Services) -> list[str]:
    lake = svc.lake
    if lake is None or not lake.has("campaigns"):
        return []
    table = lake.table("campaigns")
    return [
        str(r["campaign_id"])
        for r in table.select("campaign_id").distinct().order_by("campaign_id").to_pyarrow().to_pylist()
    ]


@router.get(PAGE.path, response_class=HTMLResponse)
def agents_page(request: Request, viewer: SeeAgents, svc: ServicesDep, filters: FiltersDep) -> HTMLResponse:
    board = board_for(viewer, svc, filters)
    context: dict[str, Any] = {"page_name": PAGE.name, "filters": filters, "board": board}
    if board.reach.kind == "none":
        return render(request, viewer, "pages/agents.html.j2", **context, empty_key="board.agents.empty.unlinked")
    if svc.lake is None:
        return render(request, viewer, "pages/agents.html.j2", **context, empty_key="board.agents.empty.no_lake")
    from callwise.web.ui.fmt import Formatter

    tabs = tables(board, viewer.lang)
    context.update(
        scope=scope_text(board.reach, viewer.lang),
        campaigns=_campaigns(svc),
        charts=charts(board, tabs, viewer.lang) if board.agents else [],
        agents_table=tabs["agents"],
        tiles=tiles(board, Formatter(viewer.lang, svc.bank_timezone)),
        empty_key=None if board.agents else "board.agents.empty.no_calls",
    )
    return render(request, viewer, "pages/agents.html.j2", **context)


@router.get(PAGE.path + "/export/{table_id}.{fmt}")
def agents_export(table_id: str, fmt: str, viewer: SeeAgents, svc: ServicesDep, filters: FiltersDep) -> Response:
    tabs = tables(board_for(viewer, svc, filters), viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    return export_response(tabs[table_id], fmt, viewer.lang, f"agents-{table_id}", svc.bank_timezone)
