"""The audience builder (``tags:read``): an expression box whose audience size follows the typing (the HTMX fragment
``/board/audience/size?expression=``, debounced), the tags to pick from by category (a click inserts the id), and
for a good expression its size, share of the bank, profile against the bank and the tags most over-represented in
it; for a bad one the translated reason with the character it points at.

A viewer without ``tags:sensitive`` is offered only normal tags, and a sensitive tag in an expression is refused as
an unknown name (``callwise.board.audience``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import audience as data
from callwise.board import tags as tag_data
from callwise.i18n import catalog, t
from callwise.tags.catalogue import CATEGORIES, Catalogue
from callwise.tags.expr import MAX_CHARS
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.pages.tags import PAGE as TAGS
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("audience", "/board/audience", "tags:read")
router = APIRouter(include_in_schema=False)
TagsRead = Annotated[Viewer, viewer_for(PAGE.permission)]
EXAMPLES = ("high_net_worth and not recent_complaint", "app_active and age >= 30", "balance_total >= 100000")
PROFILE_COLUMNS = [
    ("feature", "board.audience.col.feature"),
    ("audience_mean", "board.audience.col.audience_mean"),
    ("bank_mean", "board.audience.col.bank_mean"),
    ("ratio", "board.audience.col.ratio"),
]
TAG_COLUMNS = [
    ("id", "board.audience.col.tag"),
    ("name", "board.audience.col.name"),
    ("audience_share", "board.audience.col.audience_share"),
    ("bank_share", "board.audience.col.bank_share"),
    ("lift", "board.audience.col.lift"),
]


def _expression(request: Request) -> str:
    """``?expression=``: as typed, up to the language's limit (a longer one is refused with its length)."""
    value = request.query_params.get("expression") or ""
    return value[: MAX_CHARS + 1]


def _catalogues(svc: Any, viewer: Viewer) -> tuple[Catalogue, Catalogue]:
    full = tag_data.catalogue_of(svc.tags)
    return full, full.visible(viewer.principal.permissions)


def _feature(name: str, lang: str) -> str:
    key = f"board.audience.feature.{name}"
    return t(key, lang) if key in catalog() else name


def tables(found: data.Preview, shown: Catalogue, lang: str) -> dict[str, Table]:
    """The profile and the over-represented tags of a previewed audience (empty for a problem)."""
    result = found.result
    profile = [
        {
            "feature": _feature(str(p["feature"]), lang),
            "audience_mean": p.get("audience_mean"),
            "bank_mean": p.get("bank_mean"),
            "ratio": None
            if not p.get("bank_mean") or p.get("audience_mean") is None
            else p["audience_mean"] / p["bank_mean"],
        }
        for p in result.get("profile") or []
    ]
    lifted = [
        {
            **row,
            "name": shown.tags[row["id"]].name(lang) if row["id"] in shown.tags else row["id"],
            "link": f"{TAGS.path}/{quote(str(row['id']), safe='')}",
        }
        for row in result.get("tags") or []
    ]
    formats = {"audience_share": "pct", "bank_share": "pct"}
    return {
        "profile": Table("profile", PROFILE_COLUMNS, profile),
        "lifted": Table("lifted", TAG_COLUMNS, lifted, formats=formats),
    }


def lift_chart(table: Table, lang: str) -> Chart:
    rows = table.rows
    option = {
        "grid": {"left": 160, "right": 40, "top": 20, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": "×"},
        "yAxis": {"type": "category", "data": [r["name"] for r in rows], "inverse": True},
        "series": [
            {
                "name": t("board.audience.col.lift", lang),
                "type": "bar",
                "data": [r["lift"] for r in rows],
                "itemStyle": {"color": "#1f4e79"},
            }
        ],
    }
    return Chart(
        "lifted",
        "board.audience.chart.lift_title",
        "board.audience.chart.lift_source",
        option,
        table,
        height=max(180, 34 * len(rows) + 60),
        empty_key=None if rows else "board.audience.empty.lift",
    )


def _cutoff(svc: Any, shown: Catalogue) -> Any:
    return data.cutoff_for(tag_data.quality_of(svc.lake, shown).cutoff, svc.bank_timezone)


def _size_context(svc: Any, viewer: Viewer, expression: str) -> dict[str, Any]:
    """What the size fragment shows for ``expression`` (nothing typed: a prompt; no lake: the empty state)."""
    context: dict[str, Any] = {"expression": expression, "found": None, "problem": None, "caret": None}
    if not expression.strip() or svc.lake is None:
        return context
    full, shown = _catalogues(svc, viewer)
    found = data.size(svc.lake, full, shown, expression, _cutoff(svc, shown), viewer.principal.permissions, viewer.csrf)
    context["found"] = None if found.stale else found
    if found.problem is not None:
        context["problem"] = found.problem.message(viewer.lang)
        context["caret"] = found.problem.column
    return context


def _profile_context(svc: Any, viewer: Viewer, expression: str) -> dict[str, Any]:
    """The profile fragment: the audience's profile and over-represented tags (``preview_audience``)."""
    context: dict[str, Any] = {"expression": expression, "found": None, "problem": None}
    if not expression.strip() or svc.lake is None:
        return context
    full, shown = _catalogues(svc, viewer)
    found = data.preview(svc.lake, full, shown, expression, _cutoff(svc, shown), viewer.csrf)
    context["found"] = None if found.stale else found
    if found.stale:
        return context
    if found.problem is not None:
        context["problem"] = found.problem.message(viewer.lang)
        return context
    tabs = tables(found, shown, viewer.lang)
    context.update(tabs)
    context["chart_lifted"] = lift_chart(tabs["lifted"], viewer.lang)
    return context


def _query(expression: str) -> str:
    return urlencode({"expression": expression}) if expression.strip() else ""


@router.get(PAGE.path, response_class=HTMLResponse)
def audience_page(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    expression = _expression(request)
    _, shown = _catalogues(svc, viewer)
    picker = [(c, shown.by_category(c)) for c in CATEGORIES if shown.by_category(c)]
    return render(
        request,
        viewer,
        "pages/audience.html.j2",
        page_name=PAGE.name,
        picker=picker,
        examples=EXAMPLES,
        no_lake=svc.lake is None,
        max_chars=MAX_CHARS,
        export_base=PAGE.path,
        query=lambda **_: _query(expression),
        **_size_context(svc, viewer, expression),
    )


@router.get(PAGE.path + "/size", response_class=HTMLResponse)
def audience_size(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    """The live size: the fragment the expression box asks for as one types (a problem is its content: 200)."""
    expression = _expression(request)
    return render(
        request,
        viewer,
        "pages/audience_size.html.j2",
        page_name=PAGE.name,
        export_base=PAGE.path,
        query=lambda **_: _query(expression),
        no_lake=svc.lake is None,
        **_size_context(svc, viewer, expression),
    )


@router.get(PAGE.path + "/profile", response_class=HTMLResponse)
def audience_profile(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    """The profile and over-represented tags, asked for by the size fragment once the size is shown (it takes a
    few seconds on a catalogue of a hundred tags: every flag is computed to find the over-represented ones)."""
    expression = _expression(request)
    return render(
        request,
        viewer,
        "pages/audience_profile.html.j2",
        page_name=PAGE.name,
        export_base=PAGE.path,
        query=lambda **_: _query(expression),
        **_profile_context(svc, viewer, expression),
    )


@router.get(PAGE.path + "/export/{filename}")
def audience_export(request: Request, filename: str, viewer: TagsRead, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    if table_id not in ("profile", "lifted"):
        raise BoardError(404, "board.error.not_found")
    context = _profile_context(svc, viewer, _expression(request))
    if table_id not in context:
        raise BoardError(422, "board.audience.no_audience")
    return export_response(context[table_id], fmt, viewer.lang, f"audience-{table_id}", svc.bank_timezone)
