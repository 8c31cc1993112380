"""The tag catalogue page (``tags:read``): every tag the viewer may see, searched as they type (the HTMX fragment
``/board/tags/list?q=&category=``), and one tag at ``/board/tags/{id}``: its definition, what it reads and which
tags read it, and the newest build's coverage, distribution and change.

A sensitive tag is removed before anything else for a viewer without ``tags:sensitive`` (``callwise.board.tags``):
it is in no list, no search, no lineage and no export, and its own page is the 404 page, as for an unknown id.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import tags as data
from callwise.i18n import t
from callwise.tags.catalogue import CATEGORIES, Catalogue, Tag
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("tags", "/board/tags", "tags:read")
router = APIRouter(include_in_schema=False)
TagsRead = Annotated[Viewer, viewer_for(PAGE.permission)]

COLUMNS = [
    ("id", "board.tags.col.id"),
    ("name", "board.tags.col.name"),
    ("category", "board.tags.col.category"),
    ("kind", "board.tags.col.kind"),
    ("value", "board.tags.col.value"),
    ("owner", "board.tags.col.owner"),
    ("refresh", "board.tags.col.refresh"),
    ("coverage", "board.tags.col.coverage"),
    ("changed_share", "board.tags.col.changed_share"),
]
DISTRIBUTION_COLUMNS = [("label", "board.tags.col.label"), ("value", "board.tags.col.amount")]
COLOURS = {"fact": "#1f4e79", "rule": "#2e7d32", "model": "#e08a1e"}
STATS = ("min", "p25", "median", "p75", "max", "mean")


def _search(request: Request) -> tuple[str | None, str | None]:
    """``q`` and ``category`` from the URL; a malformed one is refused (422), never ignored."""
    q = request.query_params.get("q")
    if q is not None and (len(q) > data.MAX_QUERY or any(ord(c) < 32 for c in q)):
        raise BoardError(422, "board.tags.bad_query", limit=data.MAX_QUERY)
    category = request.query_params.get("category") or None
    if category is not None and category not in CATEGORIES:
        raise BoardError(422, "board.error.bad_filter", field="category")
    return (q.strip() or None) if q is not None else None, category


def _words(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A row's codes in words (category, kind, value, refresh), as shown and exported."""
    shown = dict(row)
    for name in ("category", "kind", "value", "refresh"):
        shown[name] = t(f"board.tags.{name}.{row[name]}", lang)
    shown["link"] = f"{PAGE.path}/{quote(row['id'], safe='')}"
    return shown


def catalogue_table(svc: Any, viewer: Viewer, q: str | None, category: str | None) -> tuple[Table, Catalogue]:
    catalogue = data.visible(svc.tags, viewer.principal.permissions)
    quality = data.quality_of(svc.lake, catalogue)
    rows = [_words(data.tag_row(tag, quality, viewer.lang), viewer.lang) for tag in data.search(catalogue, q, category)]
    formats = {"coverage": "pct", "changed_share": "pct"}
    return Table("tags", COLUMNS, rows, formats=formats), catalogue


def _query(q: str | None, category: str | None) -> str:
    return urlencode({k: v for k, v in (("q", q), ("category", category)) if v})


def category_chart(catalogue: Catalogue, lang: str) -> Chart:
    """How many tags each category holds, by kind (fact, rule, model)."""
    counts = data.by_category(list(catalogue.tags.values()))
    categories = list(counts)
    series = [
        {
            "name": t(f"board.tags.kind.{kind}", lang),
            "type": "bar",
            "stack": "kinds",
            "data": [counts[c].get(kind, 0) for c in categories],
            "itemStyle": {"color": colour},
        }
        for kind, colour in COLOURS.items()
    ]
    option = {
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [t(f"board.tags.category.{c}", lang) for c in categories]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }
    rows = [
        {"category": t(f"board.tags.category.{c}", lang), **{k: counts[c].get(k, 0) for k in COLOURS}}
        for c in categories
    ]
    columns = [("category", "board.tags.col.category"), *((k, f"board.tags.kind.{k}") for k in COLOURS)]
    return Chart(
        "categories",
        "board.tags.chart.categories_title",
        "board.tags.chart.categories_source",
        option,
        Table("categories", columns, rows),
        height=260,
        values={"n": len(catalogue.tags)},
    )


@router.get(PAGE.path, response_class=HTMLResponse)
def tags_page(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    q, category = _search(request)
    table, catalogue = catalogue_table(svc, viewer, q, category)
    quality = data.quality_of(svc.lake, catalogue)
    return render(
        request,
        viewer,
        "pages/tags.html.j2",
        page_name=PAGE.name,
        tags=table,
        total=len(catalogue.tags),
        q=q or "",
        category=category or "",
        categories=CATEGORIES,
        quality=quality,
        chart_categories=category_chart(catalogue, viewer.lang),
        links={"id": "link"},
        query=lambda **_: _query(q, category),
    )


@router.get(PAGE.path + "/list", response_class=HTMLResponse)
def tags_list(request: Request, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    """The catalogue table alone, for the search box (HTMX swaps it in as the viewer types)."""
    q, category = _search(request)
    table, catalogue = catalogue_table(svc, viewer, q, category)
    return render(
        request,
        viewer,
        "pages/tags_list.html.j2",
        page_name=PAGE.name,
        tags=table,
        total=len(catalogue.tags),
        links={"id": "link"},
        export_base=PAGE.path,
        query=lambda **_: _query(q, category),
    )


@router.get(PAGE.path + "/export/{filename}")
def tags_export(request: Request, filename: str, viewer: TagsRead, svc: ServicesDep) -> Response:
    table_id, _, fmt = filename.rpartition(".")
    q, category = _search(request)
    if table_id == "tags":
        table, _ = catalogue_table(svc, viewer, q, category)
    elif table_id == "categories":
        table = category_chart(data.visible(svc.tags, viewer.principal.permissions), viewer.lang).table
    else:
        raise BoardError(404, "board.error.not_found")
    return export_response(table, fmt, viewer.lang, f"tags-{table_id}", svc.bank_timezone)


# ------------------------------------------------------------------------------------------------ one tag


def _tag_or_404(svc: Any, viewer: Viewer, tag_id: str) -> tuple[Tag, Catalogue]:
    catalogue = data.visible(svc.tags, viewer.principal.permissions)
    tag = data.find(catalogue, tag_id)
    if tag is None:
        raise BoardError(404, "board.tags.no_such_tag")
    return tag, catalogue


def distribution_table(tag: Tag, entry: dict[str, Any], lang: str) -> Table:
    """The tag's distribution in the newest build: a flag's true and false shares, a level's counts (and unknown),
    a number's minimum, quartiles, maximum and mean."""
    found = entry.get("distribution") or {}
    rows: list[dict[str, Any]] = []
    formats: dict[str, str] = {}
    if tag.value == "flag" and "true_share" in found:
        share = float(found["true_share"] or 0.0)
        rows = [
            {"label": t("board.tags.true", lang), "value": share},
            {"label": t("board.tags.false", lang), "value": round(1.0 - share, 6)},
        ]
        formats = {"value": "pct"}
    elif tag.value == "level":
        counts = found.get("counts") or {}
        order = [*(tag.levels or ()), *sorted(set(counts) - set(tag.levels or ()) - {"null"}), "null"]
        rows = [
            {"label": t("board.tags.unknown", lang) if name == "null" else name, "value": counts[name]}
            for name in order
            if name in counts
        ]
    elif tag.value == "number":
        rows = [{"label": t(f"board.tags.stat.{s}", lang), "value": found.get(s)} for s in STATS if s in found]
    return Table("distribution", DISTRIBUTION_COLUMNS, rows, formats=formats)


def distribution_chart(tag: Tag, table: Table, lang: str) -> Chart:
    values = [r["value"] for r in table.rows]
    if tag.value == "flag":
        values = [None if v is None else round(100 * v, 2) for v in values]
    option = {
        "grid": {"left": 70, "right": 20, "top": 30, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [r["label"] for r in table.rows]},
        "yAxis": {"type": "value", "name": "%" if tag.value == "flag" else ""},
        "series": [{"name": tag.name(lang), "type": "bar", "data": values, "itemStyle": {"color": COLOURS["fact"]}}],
    }
    return Chart(
        "distribution",
        f"board.tags.chart.distribution_{tag.value}",
        "board.tags.chart.distribution_source",
        option,
        table,
        height=260,
        empty_key=None if table.rows else "board.tags.empty.distribution",
    )


def _named(catalogue: Catalogue, ids: list[str], lang: str) -> list[dict[str, str]]:
    return [
        {"id": i, "name": catalogue.tags[i].name(lang), "link": f"{PAGE.path}/{quote(i, safe='')}"}
        for i in ids
        if i in catalogue.tags
    ]


@router.get(PAGE.path + "/{tag_id}", response_class=HTMLResponse)
def tag_page(request: Request, tag_id: str, viewer: TagsRead, svc: ServicesDep) -> HTMLResponse:
    tag, catalogue = _tag_or_404(svc, viewer, tag_id)
    quality = data.quality_of(svc.lake, catalogue)
    entry = quality.tags.get(tag.id) or {}
    found = data.tag_lineage(catalogue, tag)
    lang = viewer.lang
    table = distribution_table(tag, entry, lang)
    return render(
        request,
        viewer,
        "pages/tag.html.j2",
        page_name=PAGE.name,
        tag=tag,
        quality=quality,
        entry=entry,
        change=entry.get("change"),
        reads=found["reads"],
        upstream=found["upstream"],
        indirect=any(found["upstream"][k] != found["reads"][k] for k in ("tags", "features", "tables")),
        reads_tags=_named(catalogue, found["reads"]["tags"], lang),
        upstream_tags=_named(catalogue, found["upstream"]["tags"], lang),
        read_by=_named(catalogue, found["read_by"], lang),
        downstream=_named(catalogue, found["downstream"], lang),
        distribution=distribution_chart(tag, table, lang) if entry else None,
        export_base=f"{PAGE.path}/{quote(tag.id, safe='')}",
    )


@router.get(PAGE.path + "/{tag_id}/export/{filename}")
def tag_export(request: Request, tag_id: str, filename: str, viewer: TagsRead, svc: ServicesDep) -> Response:
    tag, catalogue = _tag_or_404(svc, viewer, tag_id)
    table_id, _, fmt = filename.rpartition(".")
    if table_id != "distribution":  # checked after the tag: a hidden tag is 404 whatever is asked of it
        raise BoardError(404, "board.error.not_found")
    entry = data.quality_of(svc.lake, catalogue).tags.get(tag.id) or {}
    table = distribution_table(tag, entry, viewer.lang)
    return export_response(table, fmt, viewer.lang, f"tag-{tag.id}-distribution", svc.bank_timezone)
