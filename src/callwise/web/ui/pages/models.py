"""The models page: the registry, a model's card and health, and promote / roll back behind a confirmation.

Health (``callwise.monitor`` over the lake) takes seconds the first time, so the card page shows it when it is
cached and otherwise asks for it by HTMX, then reloads. A promotion or roll back is a GET that says what would
change and a POST (CSRF, models:write) that does it through ``callwise.ops.registry`` — the API's own call,
audited the same way. The roll back's form names the version it was shown; if the registry changed meanwhile,
nothing is done and the page says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callwise.board.models import (
    Health,
    health_if_ready,
    model_card,
    model_health,
    promote_change,
    registry_rows,
    rollback_change,
)
from callwise.i18n import t
from callwise.ops import registry
from callwise.ops.db import transaction
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, form_for, viewer_for

PAGE = Page("models", "/board/models", "models:read")
router = APIRouter()
ReadModels = Annotated[Viewer, viewer_for(PAGE.permission)]
WriteModels = Annotated[Viewer, viewer_for("models:write")]
PostModels = Annotated[Viewer, form_for("models:write")]

REGISTRY_COLUMNS = [
    ("name", "board.models.col.name"),
    ("version", "board.models.col.version"),
    ("state", "board.models.col.state"),
    ("kind", "board.models.col.kind"),
    ("rows", "board.models.col.rows"),
    ("auc", "board.models.col.auc"),
    ("code_version", "board.models.col.code_version"),
    ("created_at", "board.models.col.created_at"),
    ("promoted_at", "board.models.col.promoted_at"),
    ("promoted_by", "board.models.col.promoted_by"),
]
PSI_COLUMNS = [
    ("column", "board.models.col.feature"),
    ("kind", "board.models.col.measure"),
    ("value", "board.models.col.psi"),
    ("threshold", "board.models.col.threshold"),
    ("alarm", "board.models.col.alarm"),
]
AUC_COLUMNS = [
    ("week", "board.models.col.week"),
    ("n", "board.models.col.members"),
    ("positives", "board.models.col.positives"),
    ("auc", "board.models.col.auc"),
    ("auc_low", "board.models.col.auc_low"),
    ("auc_high", "board.models.col.auc_high"),
    ("card_auc", "board.models.col.card_auc"),
]


def registry_table(svc: Any, lang: str) -> Table:
    with svc.factory() as session:
        rows = registry_rows(session)
    for row in rows:
        row["state"] = t("board.models.active" if row.pop("active") else "board.models.inactive", lang)
        row["link"] = f"{PAGE.path}/{row['model_id']}"
    return Table("registry", REGISTRY_COLUMNS, rows)


def health_tables(health: Health, lang: str) -> dict[str, Table]:
    psi = [{**r, "alarm": t("board.models.alarm" if r["alarm"] else "board.models.ok", lang)} for r in health.stability]
    return {"psi": Table("psi", PSI_COLUMNS, psi), "auc": Table("auc", AUC_COLUMNS, [dict(w) for w in health.weeks])}


def health_charts(health: Health, tabs: dict[str, Table], lang: str) -> list[Chart]:
    shown = health.stability[:25]  # the score and the most shifted features; the table has them all
    psi = {
        "grid": {"left": 160, "right": 30, "top": 30, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [t("board.models.chart.psi", lang), t("board.models.chart.threshold", lang)]},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": [r["column"] for r in shown], "inverse": True},
        "series": [
            {
                "name": t("board.models.chart.psi", lang),
                "type": "bar",
                "data": [
                    {"value": r["value"], "itemStyle": {"color": "#b03a2e" if r["alarm"] else "#1f4e79"}} for r in shown
                ],
            },
            {
                "name": t("board.models.chart.threshold", lang),
                "type": "scatter",
                "symbol": "diamond",
                "data": [r["threshold"] for r in shown],
                "itemStyle": {"color": "#555"},
            },
        ],
    }
    weeks = health.weeks
    low = [w["auc_low"] for w in weeks]
    width = [None if w["auc_low"] is None or w["auc_high"] is None else w["auc_high"] - w["auc_low"] for w in weeks]
    auc_name, band_name = t("board.models.chart.auc", lang), t("board.models.chart.auc_band", lang)
    card_name = t("board.models.chart.card_auc", lang)
    auc = {
        "grid": {"left": 60, "right": 30, "top": 40, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [auc_name, band_name, card_name]},
        "xAxis": {"type": "category", "data": [w["week"] for w in weeks]},
        "yAxis": {"type": "value", "min": 0.4, "max": 1.0},
        "series": [
            {"type": "bar", "stack": "band", "data": low, "itemStyle": {"color": "transparent"}, "silent": True},
            {"name": band_name, "type": "bar", "stack": "band", "data": width, "itemStyle": {"color": "#9ec5e8"}},
            {"name": auc_name, "type": "line", "data": [w["auc"] for w in weeks], "itemStyle": {"color": "#1f4e79"}},
            {
                "name": card_name,
                "type": "line",
                "data": [w["card_auc"] for w in weeks],
                "lineStyle": {"type": "dashed"},
            },
        ],
    }
    week = health.latest_week or ""
    return [
        Chart(
            "psi",
            "board.models.chart.psi_title",
            "board.models.chart.psi_source",
            psi,
            tabs["psi"],
            height=max(240, 22 * len(shown) + 80),
            values={"week": week},
        ),
        Chart("auc", "board.models.chart.auc_title", "board.models.chart.auc_source", auc, tabs["auc"]),
    ]


@router.get(PAGE.path, response_class=HTMLResponse)
def models_page(request: Request, viewer: ReadModels, svc: ServicesDep) -> HTMLResponse:
    table = registry_table(svc, viewer.lang)
    context: dict[str, Any] = {"page_name": PAGE.name, "registry": table, "links": {"version": "link"}}
    return render(request, viewer, "pages/models.html.j2", **context)


@router.get(PAGE.path + "/export/{table_id}.{fmt}")
def models_export(table_id: str, fmt: str, viewer: ReadModels, svc: ServicesDep) -> Response:
    if table_id != "registry":
        raise BoardError(404, "board.error.not_found")
    return export_response(registry_table(svc, viewer.lang), fmt, viewer.lang, "models-registry", svc.bank_timezone)


def _card(svc: Any, model_id: int) -> Any:
    with svc.factory() as session:
        card = model_card(session, model_id)
        change = rollback_change(session, card.name) if card is not None else None
    if card is None:
        raise BoardError(404, "board.error.not_found")
    return card, change


@router.get(PAGE.path + "/{model_id}", response_class=HTMLResponse)
def model_page(request: Request, model_id: int, viewer: ReadModels, svc: ServicesDep) -> HTMLResponse:
    card, rollback = _card(svc, model_id)
    done = request.query_params.get("done")
    health = health_if_ready(svc.lake, card.path)
    context: dict[str, Any] = {
        "page_name": PAGE.name,
        "card": card,
        "can_rollback": card.active and rollback is not None,
        "done": done if done in ("promote", "rollback") else None,
        "health": health,
        "charts": [],
    }
    if health is not None and health.problem is None:
        context["charts"] = health_charts(health, health_tables(health, viewer.lang), viewer.lang)
    return render(request, viewer, "pages/models_card.html.j2", **context)


def _health(svc: Any, model_id: int) -> Health:
    card, _ = _card(svc, model_id)
    return model_health(svc.lake, card.path)


@router.get(PAGE.path + "/{model_id}/health")
def model_health_loader(request: Request, model_id: int, viewer: ReadModels, svc: ServicesDep) -> Response:
    """Computes the health (seconds, once per data version), then has the card page shown again, now with it.

    The card page asks for this by HTMX and is refreshed whole (``HX-Refresh``): its charts are drawn by
    board.js from the page itself, never from a swapped fragment. Without JavaScript it is a link, and a redirect.
    """
    _health(svc, model_id)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return RedirectResponse(f"{PAGE.path}/{model_id}#health", status_code=303)


@router.get(PAGE.path + "/{model_id}/export/{table_id}.{fmt}")
def health_export(model_id: int, table_id: str, fmt: str, viewer: ReadModels, svc: ServicesDep) -> Response:
    health = _health(svc, model_id)
    tabs = health_tables(health, viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    return export_response(tabs[table_id], fmt, viewer.lang, f"model-{model_id}-{table_id}", svc.bank_timezone)


def _confirm(request: Request, viewer: Viewer, change: Any, action_url: str, back: str) -> HTMLResponse:
    context = {"page_name": PAGE.name, "change": change, "action_url": action_url, "back": back}
    return render(request, viewer, "pages/models_confirm.html.j2", **context)


@router.get(PAGE.path + "/{model_id}/promote", response_class=HTMLResponse)
def promote_form(request: Request, model_id: int, viewer: WriteModels, svc: ServicesDep) -> HTMLResponse:
    with svc.factory() as session:
        change = promote_change(session, model_id)
    if change is None:
        raise BoardError(404, "board.error.not_found")
    url = f"{PAGE.path}/{model_id}/promote"
    return _confirm(request, viewer, change, url, f"{PAGE.path}/{model_id}")


@router.post(PAGE.path + "/{model_id}/promote")
def promote(model_id: int, viewer: PostModels, svc: ServicesDep) -> Response:
    with transaction(svc.factory) as session:
        try:
            registry.promote(session, model_id, viewer.principal.name, viewer.ip)
        except registry.RegistryError:
            raise BoardError(404, "board.error.not_found") from None
    return RedirectResponse(f"{PAGE.path}/{model_id}?done=promote", status_code=303)


@router.get(PAGE.path + "/by-name/{name}/rollback", response_class=HTMLResponse)
def rollback_form(request: Request, name: str, viewer: WriteModels, svc: ServicesDep) -> HTMLResponse:
    with svc.factory() as session:
        change = rollback_change(session, name)
    if change is None:
        raise BoardError(409, "board.models.error.no_earlier", name=name)
    url = f"{PAGE.path}/by-name/{name}/rollback"
    return _confirm(request, viewer, change, url, PAGE.path)


@router.post(PAGE.path + "/by-name/{name}/rollback")
def rollback(name: str, viewer: PostModels, svc: ServicesDep, expected: Annotated[int, Form()]) -> Response:
    with transaction(svc.factory) as session:
        change = rollback_change(session, name)
        if change is None or change.model_id != expected:
            raise BoardError(409, "board.models.error.changed", name=name)
        row = registry.rollback(session, name, viewer.principal.name, viewer.ip)
        model_id = row.model_id
    return RedirectResponse(f"{PAGE.path}/{model_id}?done=rollback", status_code=303)
