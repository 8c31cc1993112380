"""The moments page (``tags:read``): live moments per trigger in the lake table ``moments`` (bilingual trigger
names, share of the bank), the live moments at each past build, the trigger catalogue, and — when a triggered
campaign's members are recorded — each moment's effect against its own randomised control. Counts only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import moments as data
from callwise.i18n import t
from callwise.moments import Trigger, default_triggers
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("moments", "/board/moments", "tags:read")
router = APIRouter(include_in_schema=False)
TagsRead = Annotated[Viewer, viewer_for(PAGE.permission)]
COLOURS = ("#1f4e79", "#2e7d32", "#e08a1e", "#b03a2e", "#6a3d9a", "#00838f", "#8d6e63", "#c2185b", "#558b2f", "#455a64")

COUNT_COLUMNS = [
    ("id", "board.moments.col.id"),
    ("name", "board.moments.col.trigger"),
    ("live", "board.moments.col.live"),
    ("share", "board.moments.col.share"),
]
CATALOGUE_COLUMNS = [
    ("id", "board.moments.col.id"),
    ("name", "board.moments.col.trigger"),
    ("kind", "board.moments.col.kind"),
    ("validity", "board.moments.col.validity"),
    ("description", "board.moments.col.description"),
]
HISTORY_COLUMNS = [
    ("as_of", "board.moments.col.as_of"),
    ("name", "board.moments.col.trigger"),
    ("live", "board.moments.col.live"),
]
EFFECT_COLUMNS = [
    ("campaign_id", "board.moments.col.campaign"),
    ("name", "board.moments.col.trigger"),
    ("n_treatment", "board.moments.col.n_treatment"),
    ("n_control", "board.moments.col.n_control"),
    ("rate_treatment", "board.moments.col.rate_treatment"),
    ("rate_control", "board.moments.col.rate_control"),
    ("lift", "board.moments.col.lift"),
]


def _name(triggers: dict[str, Trigger], moment_id: str, lang: str) -> str:
    found = triggers.get(moment_id)
    return found.name(lang) if found is not None else moment_id


def _validity(trigger: Trigger, lang: str) -> str:
    unit, n = trigger.validity.words()
    return t(f"board.moments.{unit}" if n != 1 else f"board.moments.one_{unit[:-1]}", lang, n=n)


def _lift(row: dict[str, Any]) -> str:
    diff = row.get("difference")
    if diff is None:
        return "—"
    return f"{100 * diff['estimate']:+.2f} pp [{100 * diff['low']:+.2f}, {100 * diff['high']:+.2f}]"


def tables(svc: Any, lang: str) -> tuple[data.MomentsView | None, dict[str, Table]]:
    triggers = default_triggers()
    by_id = triggers.triggers
    found = data.current(svc.lake, triggers)
    counts = []
    if found is not None:
        counts = [
            {
                "id": moment_id,
                "name": _name(by_id, moment_id, lang),
                "live": n,
                "share": n / found.customers if found.customers else None,
            }
            for moment_id, n in found.counts.items()
        ]
    catalogue = [
        {
            "id": x.id,
            "name": x.name(lang),
            "kind": t(f"board.moments.kind.{x.kind}", lang),
            "validity": _validity(x, lang),
            "description": x.description(lang),
        }
        for x in triggers
    ]
    history = [  # each build's counts in the catalogue's order (a trigger of another catalogue after them)
        {"as_of": h["as_of"].replace("T", " ")[:16], "name": _name(by_id, m, lang), "live": h["counts"][m], "id": m}
        for h in data.history(svc.lake)
        for m in sorted(h["counts"], key=lambda m: (list(by_id).index(m) if m in by_id else len(by_id), m))
    ]
    effects = [
        {
            "campaign_id": result["campaign_id"],
            "name": _name(by_id, row["moment_id"], lang),
            "n_treatment": row["n_treatment"],
            "n_control": row["n_control"],
            "rate_treatment": row["rate_treatment"],
            "rate_control": row["rate_control"],
            "lift": _lift(row),
        }
        for result in (data.effects(svc.lake) if found is not None or svc.lake is not None else [])
        for row in result["moments"]
    ]
    pct = {"share": "pct", "rate_treatment": "pct", "rate_control": "pct"}
    return found, {
        "counts": Table("counts", COUNT_COLUMNS, counts, formats={"share": "pct"}),
        "catalogue": Table("catalogue", CATALOGUE_COLUMNS, catalogue),
        "history": Table("history", HISTORY_COLUMNS, history),
        "effects": Table("effects", EFFECT_COLUMNS, effects, formats=pct),
    }


def counts_chart(table: Table, lang: str) -> Chart:
    rows = table.rows
    option = {
        "grid": {"left": 170, "right": 40, "top": 20, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": t("board.moments.col.live", lang)},
        "yAxis": {"type": "category", "data": [r["name"] for r in rows], "inverse": True},
        "series": [
            {
                "name": t("board.moments.col.live", lang),
                "type": "bar",
                "data": [r["live"] for r in rows],
                "itemStyle": {"color": COLOURS[0]},
            }
        ],
    }
    return Chart(
        "counts",
        "board.moments.counts",
        "board.moments.counts_source",
        option,
        table,
        height=max(220, 36 * len(rows) + 60),
        empty_key=None if rows else "board.moments.none",
    )


def history_chart(table: Table, lang: str) -> Chart:
    builds = sorted({r["as_of"] for r in table.rows})
    names = list(dict.fromkeys(r["name"] for r in table.rows))
    values = {(r["name"], r["as_of"]): r["live"] for r in table.rows}
    series = [
        {
            "name": name,
            "type": "line",
            "data": [values.get((name, b)) for b in builds],
            "showSymbol": True,
            "symbolSize": 8,
            "itemStyle": {"color": COLOURS[i % len(COLOURS)]},
        }
        for i, name in enumerate(names)
    ]
    option = {
        "grid": {"left": 70, "right": 30, "top": 50, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "xAxis": {"type": "category", "data": builds},
        "yAxis": {"type": "value", "name": t("board.moments.col.live", lang)},
        "series": series,
    }
    few = len(builds) < 2  # one build is a bar chart already
    return Chart(
        "history",
        "board.moments.history",
        "board.moments.history_source",
        option,
        table,
        empty_key="board.moments.history_empty" if few else None,
    )


@router.get(PAGE.path, response_class=HTMLResponse)
def moments_page(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    found, tabs = tables(svc, viewer.lang)
    charts = (
        []
        if found is None
        else [counts_chart(tabs["counts"], viewer.lang), history_chart(tabs["history"], viewer.lang)]
    )
    return render(
        request,
        viewer,
        "pages/moments.html.j2",
        page_name=PAGE.name,
        built=found,
        charts=charts,
        catalogue=tabs["catalogue"],
        effects=tabs["effects"],
    )


@router.get(PAGE.path + "/export/{filename}")
def moments_export(filename: str, viewer: TagsRead, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    _, tabs = tables(svc, viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    return export_response(tabs[table_id], fmt, viewer.lang, f"moments-{table_id}", svc.bank_timezone)
