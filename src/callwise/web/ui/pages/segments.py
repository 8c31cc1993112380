"""The segments page (``tags:read``): the current segmentation's profiles (size, names, key features against the
bank, response rate, uplift, best hours, preferred channel), the segments' sizes over time (lake table
``segment_history``) and the response rate by segment. Nothing fitted: the page says how to fit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import segments as data
from callwise.i18n import catalog, t
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("segments", "/board/segments", "tags:read")
router = APIRouter(include_in_schema=False)
TagsRead = Annotated[Viewer, viewer_for(PAGE.permission)]
COLOURS = ("#1f4e79", "#2e7d32", "#e08a1e", "#b03a2e", "#6a3d9a", "#00838f", "#8d6e63", "#c2185b", "#558b2f", "#455a64")

PROFILE_COLUMNS = [
    ("segment_id", "board.segments.col.segment"),
    ("name", "board.segments.col.name"),
    ("size", "board.segments.col.size"),
    ("share", "board.segments.col.share"),
    ("features", "board.segments.col.features"),
    ("response_rate", "board.segments.col.response_rate"),
    ("uplift", "board.segments.col.uplift"),
    ("best_hours", "board.segments.col.best_hours"),
    ("preferred_channel", "board.segments.col.channel"),
]
HISTORY_COLUMNS = [
    ("assigned_at", "board.segments.col.assigned_at"),
    ("cutoff", "board.segments.cutoff"),
    ("segment_id", "board.segments.col.segment"),
    ("customers", "board.segments.col.size"),
]
RESPONSE_COLUMNS = [
    ("segment_id", "board.segments.col.segment"),
    ("name", "board.segments.col.name"),
    ("response_rate", "board.segments.col.response_rate"),
    ("uplift", "board.segments.col.uplift"),
]


def _feature(name: str, lang: str) -> str:
    key = f"board.audience.feature.{name}"
    return t(key, lang) if key in catalog() else name


def _features(segment: data.SegmentView, lang: str) -> str:
    """The key features in words: "Age 52.1 (bank 41.3)"."""
    parts = []
    for f in segment.features:
        mine, bank = f["segment_mean"], f["bank_mean"]
        if mine is None:
            continue
        parts.append(
            t(
                "board.segments.feature_vs_bank",
                lang,
                feature=_feature(f["feature"], lang),
                segment=f"{mine:,.1f}",
                bank="—" if bank is None else f"{bank:,.1f}",
            )
        )
    return "; ".join(parts)


def _label(prefix: str, value: str | None, lang: str) -> str | None:
    key = f"{prefix}.{value}"
    return t(key, lang) if value and key in catalog() else value


def tables(found: data.SegmentationView | None, history: list[dict[str, Any]], lang: str) -> dict[str, Table]:
    segments = found.segments if found is not None else []
    profiles = [
        {
            "segment_id": s.segment_id,
            "name": s.name(lang),
            "size": s.size,
            "share": s.share,
            "features": _features(s, lang),
            "response_rate": s.response_rate,
            "uplift": s.uplift,
            "best_hours": ", ".join(f"{h:02d}:00" for h in s.best_hours),
            "preferred_channel": _label("board.segments.channel", s.preferred_channel, lang),
        }
        for s in segments
    ]
    response = [
        {"segment_id": s.segment_id, "name": s.name(lang), "response_rate": s.response_rate, "uplift": s.uplift}
        for s in segments
    ]
    pct = {"share": "pct", "response_rate": "pct", "uplift": "pct"}
    return {
        "profiles": Table("profiles", PROFILE_COLUMNS, profiles, formats=pct),
        "history": Table("history", HISTORY_COLUMNS, history, formats={"assigned_at": "datetime", "cutoff": "date"}),
        "response": Table("response", RESPONSE_COLUMNS, response, formats=pct),
    }


def _moment_label(cutoff: Any, assigned_at: Any) -> str:
    """A point on the sizes-over-time axis: the date the segmentation was as of (two fits on one day read apart
    by their cutoffs), else the time it was assigned."""
    moment = cutoff if cutoff is not None else assigned_at
    if hasattr(moment, "isoformat"):
        return moment.isoformat()[: 10 if cutoff is not None else 16].replace("T", " ")
    return str(moment)


def history_chart(found: data.SegmentationView | None, table: Table, lang: str) -> Chart:
    names = {s.segment_id: s.name(lang) for s in found.segments} if found is not None else {}
    ids = sorted({str(r["segment_id"]) for r in table.rows})
    moments = sorted({r["assigned_at"] for r in table.rows})
    as_of = {r["assigned_at"]: r.get("cutoff") for r in table.rows}
    labels = [_moment_label(as_of.get(m), m) for m in moments]
    values = {(str(r["segment_id"]), r["assigned_at"]): r["customers"] for r in table.rows}
    series = [
        {
            "name": f"{sid} {names.get(sid, '')}".strip(),
            "type": "line",
            "data": [values.get((sid, m)) for m in moments],
            "showSymbol": True,
            "symbolSize": 8,
            "itemStyle": {"color": COLOURS[i % len(COLOURS)]},
        }
        for i, sid in enumerate(ids)
    ]
    option = {
        "grid": {"left": 70, "right": 30, "top": 50, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": t("board.segments.col.size", lang)},
        "series": series,
    }
    return Chart(
        "history",
        "board.segments.chart.history_title",
        "board.segments.chart.history_source",
        option,
        table,
        empty_key=None if table.rows else "board.segments.empty.history",
    )


def response_chart(table: Table, lang: str) -> Chart:
    rows = table.rows
    option = {
        "grid": {"left": 180, "right": 40, "top": 30, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "value", "name": "%"},
        "yAxis": {"type": "category", "data": [f"{r['segment_id']} {r['name']}" for r in rows], "inverse": True},
        "series": [
            {
                "name": t("board.segments.col.response_rate", lang),
                "type": "bar",
                "data": [None if r["response_rate"] is None else round(100 * r["response_rate"], 3) for r in rows],
                "itemStyle": {"color": COLOURS[0]},
            },
            {
                "name": t("board.segments.col.uplift", lang),
                "type": "bar",
                "data": [None if r["uplift"] is None else round(100 * r["uplift"], 3) for r in rows],
                "itemStyle": {"color": COLOURS[2]},
            },
        ],
    }
    measured = any(r["response_rate"] is not None or r["uplift"] is not None for r in rows)
    return Chart(
        "response",
        "board.segments.chart.response_title",
        "board.segments.chart.response_source",
        option,
        table,
        height=max(220, 44 * len(rows) + 70),
        empty_key=None if measured else "board.segments.empty.response",
    )


def _page_data(svc: Any, lang: str) -> tuple[data.SegmentationView | None, dict[str, Table]]:
    found = data.current(svc.lake)
    return found, tables(found, data.history(svc.lake) if found is not None else [], lang)


@router.get(PAGE.path, response_class=HTMLResponse)
def segments_page(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    found, tabs = _page_data(svc, viewer.lang)
    charts = (
        []
        if found is None
        else [response_chart(tabs["response"], viewer.lang), history_chart(found, tabs["history"], viewer.lang)]
    )
    return render(
        request,
        viewer,
        "pages/segments.html.j2",
        page_name=PAGE.name,
        segmentation=found,
        method_label=_label("board.segments.method", found.method if found else None, viewer.lang),
        profiles=tabs["profiles"],
        charts=charts,
    )


@router.get(PAGE.path + "/export/{filename}")
def segments_export(filename: str, viewer: TagsRead, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    _, tabs = _page_data(svc, viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    return export_response(tabs[table_id], fmt, viewer.lang, f"segments-{table_id}", svc.bank_timezone)
