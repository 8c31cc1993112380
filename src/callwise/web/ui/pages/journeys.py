"""The journeys page (``campaigns:read``): every journey with its customers per step, exits by reason and actions
by status; one journey's path as a Sankey graph of the moves between its steps, and its exits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board.journeys import journeys_board
from callwise.i18n import catalog, t
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("journeys", "/board/journeys", "campaigns:read")
router = APIRouter(include_in_schema=False)
SeeJourneys = Annotated[Viewer, viewer_for(PAGE.permission)]
COLOURS = ("#1f4e79", "#2e7d32", "#e08a1e", "#b03a2e", "#6a3d9a", "#00838f")

JOURNEY_COLUMNS = [
    ("journey_id", "board.journeys.col.journey"),
    ("name", "board.journeys.col.name"),
    ("version", "board.journeys.col.version"),
    ("active", "board.journeys.col.active"),
    ("exited", "board.journeys.col.exited"),
    ("converted", "board.journeys.col.converted"),
    ("queued", "board.journeys.col.queued"),
    ("refused", "board.journeys.col.refused"),
]
STEP_COLUMNS = [("step", "board.journeys.col.step"), ("customers", "board.journeys.col.active")]
EXIT_COLUMNS = [("reason", "board.journeys.col.reason"), ("customers", "board.journeys.col.exited")]
MOVE_COLUMNS = [
    ("source", "board.journeys.col.from"),
    ("target", "board.journeys.col.to"),
    ("value", "board.journeys.col.customers"),
]
REFUSAL_COLUMNS = [("reason", "board.journeys.col.reason"), ("actions", "board.journeys.col.refused")]


def _exit_label(reason: str, lang: str) -> str:
    key = f"board.journeys.exit.{reason}"
    return t(key, lang) if key in catalog() else reason


def _reason_label(reason: str, lang: str) -> str:
    key = f"exclusion.{reason}"
    return t(key, lang) if key in catalog() else reason


def tables(board: dict[str, Any], lang: str) -> dict[str, Table]:
    rows = []
    for j in board["journeys"]:
        actions = j["actions"]
        rows.append(
            {
                "journey_id": j["journey_id"],
                "name": j["name"][lang],
                "version": j["version"],
                "active": sum(j["active"].values()),
                "exited": sum(j["exits"].values()),
                "converted": j["exits"].get("converted", 0),
                "queued": sum(n for status, n in actions.items() if status != "refused"),
                "refused": actions.get("refused", 0),
                "link": f"{PAGE.path}?journey={j['journey_id']}",
            }
        )
    chosen = next((j for j in board["journeys"] if j["journey_id"] == board["chosen"]), None)
    steps = [{"step": s, "customers": n} for s, n in sorted(chosen["active"].items())] if chosen else []
    exits = (
        [{"reason": _exit_label(r, lang), "customers": n} for r, n in sorted(chosen["exits"].items())] if chosen else []
    )
    refusals = (
        [{"reason": _reason_label(r, lang), "actions": n} for r, n in sorted(chosen["refusals"].items())]
        if chosen
        else []
    )
    moves = [
        {"source": m["source"], "target": _node(m["target"], lang), "value": m["value"]}
        for m in board["moves"]["links"]
    ]
    return {
        "journeys": Table("journeys", JOURNEY_COLUMNS, rows),
        "steps": Table("steps", STEP_COLUMNS, steps),
        "exits": Table("exits", EXIT_COLUMNS, exits),
        "refusals": Table("refusals", REFUSAL_COLUMNS, refusals),
        "moves": Table("moves", MOVE_COLUMNS, moves),
    }


def _node(name: str, lang: str) -> str:
    """A step keeps its id; an exit reads as its reason in the reader's language."""
    return _exit_label(name.removeprefix("exit:"), lang) if name.startswith("exit:") else name


def path_chart(table: Table, journey: str | None) -> Chart:
    names = sorted({r["source"] for r in table.rows} | {r["target"] for r in table.rows})
    option = {
        "animation": False,  # a Sankey grows its links in; drawn at once, the page (and its screenshot) is whole
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "sankey",
                "data": [{"name": n, "itemStyle": {"color": COLOURS[i % len(COLOURS)]}} for i, n in enumerate(names)],
                "links": [{"source": r["source"], "target": r["target"], "value": r["value"]} for r in table.rows],
                "emphasis": {"focus": "adjacency"},
                "lineStyle": {"color": "gradient", "curveness": 0.5},
                "label": {"color": "#1b1b1b"},
                "left": 20,
                "right": 120,
            }
        ],
    }
    return Chart(
        "path",
        "board.journeys.chart.path_title",
        "board.journeys.chart.path_source",
        option,
        table,
        height=380,
        values={"journey": journey or "-"},
        empty_key=None if table.rows else "board.journeys.empty.path",
    )


def exits_chart(table: Table, lang: str) -> Chart:
    option = {
        "grid": {"left": 140, "right": 40, "top": 20, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": t("board.journeys.col.exited", lang)},
        "yAxis": {"type": "category", "data": [r["reason"] for r in table.rows], "inverse": True},
        "series": [
            {
                "name": t("board.journeys.col.exited", lang),
                "type": "bar",
                "data": [r["customers"] for r in table.rows],
                "itemStyle": {"color": COLOURS[1]},
            }
        ],
    }
    return Chart(
        "exits",
        "board.journeys.chart.exits_title",
        "board.journeys.chart.exits_source",
        option,
        table,
        height=max(200, 40 * len(table.rows) + 60),
        empty_key=None if table.rows else "board.journeys.empty.exits",
    )


@router.get(PAGE.path, response_class=HTMLResponse)
def journeys_page(request: Request, viewer: SeeJourneys, svc: ServicesDep, journey: str | None = None) -> HTMLResponse:
    board = journeys_board(svc.factory, journey)
    tabs = tables(board, viewer.lang)
    charts = (
        [path_chart(tabs["moves"], board["chosen"]), exits_chart(tabs["exits"], viewer.lang)] if board["chosen"] else []
    )
    return render(
        request,
        viewer,
        "pages/journeys.html.j2",
        page_name=PAGE.name,
        chosen=board["chosen"],
        truncated=board["moves"]["truncated"],
        journeys=tabs["journeys"],
        steps=tabs["steps"],
        refusals=tabs["refusals"],
        charts=charts,
    )


@router.get(PAGE.path + "/export/{filename}")
def journeys_export(filename: str, viewer: SeeJourneys, svc: ServicesDep, journey: str | None = None) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    tabs = tables(journeys_board(svc.factory, journey), viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    return export_response(tabs[table_id], fmt, viewer.lang, f"journeys-{table_id}", svc.bank_timezone)
