"""Best time to call: hour-of-week heatmaps of p(answer) for a segment and for one customer.

The trained answer model when the service has one (``<data dir>/models/answer``), else the raw call history,
each labelled; the page says which command trains the model. A customer's grid is audited
(:func:`callwise.board.best_time.record_view`), and the customer is named only by id.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import best_time as data
from callwise.clock import utcnow
from callwise.i18n import t
from callwise.web.deps import Services, ServicesDep, client_ip
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import Viewer, viewer_for

PAGE = Page("best_time", "/board/best-time", "campaigns:read")
router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, viewer_for(PAGE.permission)]
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
COLUMNS = [
    ("day", "board.best_time.col.weekday"),
    ("hour", "board.best_time.col.hour"),
    ("p_answer", "board.best_time.col.p_answer"),
    ("attempts", "board.best_time.col.attempts"),
    ("answered", "board.best_time.col.answered"),
]


def _view(request: Request, viewer: Viewer, svc: Services, audit: bool) -> dict[str, Any]:
    """Everything the page shows, for the segment and customer asked for in the query."""
    segment = (request.query_params.get("segment") or data.ALL)[:200]
    customer = (request.query_params.get("customer") or "").strip()[:200]
    out: dict[str, Any] = {"segment": segment, "customer": customer, "charts": {}, "grids": {}, "notes": []}
    out |= {"options": [], "as_of": "—", "customer_problem": None}
    out["query"] = _query({"segment": segment if segment != data.ALL else "", "customer": customer})
    out["train_command"] = _train_command(svc)
    if svc.lake is None:
        return {**out, "state": "no_lake"}
    model = data.find_model(svc.models_dir)
    today = utcnow().date()
    if model is None and not svc.lake.has("contacts"):
        return {**out, "state": "no_data", "source": "history"}
    source: data.Source = "model" if model is not None else "history"
    options = data.model_segments(model) if model is not None else data.history_segments(svc.lake, today)
    grid = data.model_segment(model, segment) if model is not None else data.history_grid(svc.lake, segment, today)
    if grid is None:
        out["notes"].append(t("board.best_time.unknown_segment", viewer.lang, segment=segment))
        segment = data.ALL
        grid = data.model_segment(model, segment) if model is not None else data.history_grid(svc.lake, segment, today)
    as_of = model.as_of.date().isoformat() if model is not None and model.as_of else "—"
    charts: dict[str, Chart] = {}
    grids: dict[str, data.Heatmap] = {}
    if grid is not None:
        grids["segment"] = grid
        shown = t("board.best_time.all", viewer.lang) if segment == data.ALL else segment
        charts["segment"] = _chart("segment", grid, "board.best_time.segment_title", viewer.lang, as_of, segment=shown)
    if customer:
        if not CUSTOMER_ID.fullmatch(customer):
            out["customer_problem"] = t("board.best_time.bad_customer", viewer.lang)
        else:
            who = data.person(svc.lake, customer)
            if not who.known:
                out["customer_problem"] = t("board.best_time.unknown_customer", viewer.lang, customer_id=customer)
            else:
                own = (
                    data.model_customer(model, svc.lake, customer, who.opted_out)
                    if model is not None
                    else data.history_customer(svc.lake, customer)
                )
                grids["customer"] = own
                if audit:
                    data.record_view(svc.factory, viewer.principal.name, customer, source, client_ip(request))
                charts["customer"] = _chart(
                    "customer", own, "board.best_time.customer_title", viewer.lang, as_of, customer_id=customer
                )
                if own.opted_out:
                    out["notes"].append(t("board.best_time.opted_out", viewer.lang))
    return {
        **out,
        "state": source,
        "segment": segment,
        "options": options,
        "charts": charts,
        "grids": grids,
        "as_of": as_of,
    }


def _query(values: dict[str, str]) -> Any:
    """``query(**changes)`` for the templates: this page's own query string (segment, customer), changed."""

    def query(**changes: Any) -> str:
        merged = {**values, **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in merged.items() if v})

    return query


def _train_command(svc: Services) -> str:
    where = data.model_path(svc.models_dir)
    lake = svc.lake.root if svc.lake is not None else "<data dir>/lake"
    return f"callwise timing fit --lake {lake} --as-of YYYY-MM-DD --out {where or '<data dir>/models/answer'}"


def _chart(chart_id: str, grid: data.Heatmap, title: str, lang: str, as_of: str, **values: str) -> Chart:
    """An ECharts heatmap (hours across, weekdays down) and the same numbers as a table."""
    days = [t(f"timing.weekday.{d}", lang) for d in range(7)]
    hours = [f"{h:02d}:00" for h in grid.hours]
    cells = [[x, y, round(v, 4) if v is not None else "-"] for y, row in enumerate(grid.p) for x, v in enumerate(row)]
    present = [v for row in grid.p for v in row if v is not None]
    option = {
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 16, "top": 8, "bottom": 64, "containLabel": True},
        "xAxis": {"type": "category", "data": hours, "splitArea": {"show": True}},
        "yAxis": {"type": "category", "data": days, "inverse": True, "splitArea": {"show": True}},
        "visualMap": {
            "min": 0,
            "max": round(max(present), 4) if present else 1,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#f7fbff", "#6baed6", "#08306b"]},
        },
        "series": [
            {
                "name": t("board.best_time.p_answer", lang),
                "type": "heatmap",
                "data": cells,
                "label": {"show": True, "fontSize": 10},
            }
        ],
    }
    rows = [{**row, "day": days[row["weekday"]], "hour": f"{row['hour']:02d}:00"} for row in grid.rows()]
    table = Table(chart_id, COLUMNS, rows, formats={"p_answer": "pct", "attempts": "num", "answered": "num"})
    source = f"board.best_time.source.{grid.source}"
    return Chart(chart_id, title, source, option, table, height=300, values={"as_of": as_of, **values})


@router.get(PAGE.path)
def best_time(request: Request, viewer: Reader, svc: ServicesDep) -> HTMLResponse:
    view = _view(request, viewer, svc, audit=True)
    return render(request, viewer, "pages/best_time.html.j2", page_name=PAGE.name, **view)


@router.get(f"{PAGE.path}/export/{{table_id}}.{{fmt}}")
def export(request: Request, table_id: str, fmt: str, viewer: Reader, svc: ServicesDep) -> Response:
    """A heatmap's numbers as CSV or XLSX; a customer's export is audited like the page that shows it."""
    view = _view(request, viewer, svc, audit=table_id == "customer")
    chart = view["charts"].get(table_id)
    if chart is None:
        return Response(status_code=404)
    return export_response(chart.table, fmt, viewer.lang, f"best-time-{table_id}", svc.bank_timezone)
