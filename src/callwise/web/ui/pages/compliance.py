"""The compliance page (``audit:read``): exclusions and policy changes over time, the policy in force and its
history, the audit log viewer and "verify the chain". Data from ``callwise.board.compliance``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board import compliance as data
from callwise.board.filters import Filters
from callwise.clock import today_in
from callwise.i18n import catalog, t
from callwise.policy import default_policy
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import MAX_TEXT, BoardError, FiltersDep, Viewer, form_for, viewer_for

PAGE = Page("compliance", "/board/compliance", "audit:read")
router = APIRouter(include_in_schema=False)

AuditRead = Annotated[Viewer, viewer_for("audit:read")]
AuditForm = Annotated[Viewer, form_for("audit:read")]
EXPORT_ROWS = 10_000  # the audit table's export: every matching entry up to this many


def audit_filters(request: Request) -> tuple[str | None, str | None]:
    """The audit viewer's action and actor from the URL; a malformed one is refused naming it, as the filters are."""
    found: list[str | None] = []
    for name in ("action", "actor"):
        raw = request.query_params.get(name)
        if raw is not None and (len(raw) > MAX_TEXT or any(ord(c) < 32 for c in raw)):
            raise BoardError(422, "board.error.bad_filter", field=name)
        found.append(raw.strip() or None if raw is not None else None)
    return found[0], found[1]


def reason_label(code: str, lang: str) -> str:
    key = f"exclusion.{code}"
    return t(key, lang) if key in catalog() else code


def kind_label(kind: str, lang: str) -> str:
    key = f"board.compliance.kind.{kind}"
    return t(key, lang) if key in catalog() else kind


def _stacked(
    chart_id: str,
    title: str,
    source: str,
    rows: list[dict[str, Any]],
    series_of: str,
    value: str,
    lang: str,
    table: Table,
) -> Chart:
    """Days on x, one stacked bar per series (already translated), the numbers in ``table``."""
    days = sorted({r["day"] for r in rows})
    names = sorted({r[series_of] for r in rows})
    cells = {(r["day"], r[series_of]): r[value] for r in rows}
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll"},
        "xAxis": {"type": "category", "data": [d.isoformat() for d in days]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": name, "type": "bar", "stack": "all", "data": [cells.get((d, name), 0) for d in days]}
            for name in names
        ],
    }
    return Chart(chart_id, title, source, option, table)


def _charts(svc: Any, viewer: Viewer, filters: Filters, today: date) -> dict[str, Any]:
    start, end = filters.period(today)
    lang, tz = viewer.lang, svc.bank_timezone
    with svc.factory() as session:
        excluded = data.exclusions_by_day(session, start, end, tz, filters.campaign)
        changes = data.policy_changes_by_day(session, start, end, tz)
        policy = data.policy_in_force(session, svc.policy or default_policy())  # what builds use then
        campaigns = data.campaign_ids(session)
    ex_rows = [{**r, "code": r["reason"], "reason": reason_label(r["reason"], lang)} for r in excluded]
    ex_table = Table(
        "exclusions",
        [
            ("day", "board.compliance.col.day"),
            ("reason", "board.compliance.col.reason"),
            ("code", "board.compliance.col.code"),
            ("customers", "board.compliance.col.customers"),
        ],
        ex_rows,
    )
    totals = Table(
        "exclusion_totals",
        [
            ("reason", "board.compliance.col.reason"),
            ("code", "board.compliance.col.code"),
            ("customers", "board.compliance.col.customers"),
        ],
        [
            {**r, "code": r["reason"], "reason": reason_label(r["reason"], lang)}
            for r in data.exclusion_totals(excluded)
        ],
    )
    ch_rows = [{**r, "kind": kind_label(r["kind"], lang)} for r in changes]
    ch_table = Table(
        "policy_changes",
        [
            ("day", "board.compliance.col.day"),
            ("kind", "board.compliance.col.kind"),
            ("events", "board.compliance.col.events"),
        ],
        ch_rows,
    )
    history = Table(
        "policy_history",
        [
            ("since", "board.compliance.history.since"),
            ("name", "board.compliance.policy.name"),
            ("version", "board.compliance.policy.version"),
            ("sha256", "board.compliance.policy.sha256"),
            ("source", "board.compliance.policy.source"),
        ],
        [{k: r[k] for k in ("since", "name", "version", "sha256", "source")} for r in policy.history],
    )
    lists = Table(
        "policy_lists",
        [
            ("sha256", "board.compliance.policy.sha256"),
            ("lists", "board.compliance.lists.count"),
            ("first", "board.compliance.lists.first"),
            ("last", "board.compliance.lists.last"),
        ],
        policy.lists,
    )
    return {
        "exclusions": _stacked(
            "exclusions",
            "board.compliance.exclusions.title",
            "board.compliance.exclusions.source",
            ex_rows,
            "reason",
            "customers",
            lang,
            ex_table,
        ),
        "exclusion_totals": totals,
        "changes": _stacked(
            "policy_changes",
            "board.compliance.changes.title",
            "board.compliance.changes.source",
            ch_rows,
            "kind",
            "events",
            lang,
            ch_table,
        ),
        "history": history,
        "lists": lists,
        "policy": policy,
        "campaigns": campaigns,
    }


def _audit_query(
    filters: Filters, action: str | None, actor: str | None, page_size: int = data.AUDIT_PAGE
) -> data.AuditQuery:
    return data.AuditQuery(
        action=action or None,
        actor=actor or None,
        date_from=filters.date_from,
        date_to=filters.date_to,
        page=filters.page,
        page_size=page_size,
    )


AUDIT_COLUMNS = [
    ("entry_id", "board.compliance.audit.entry"),
    ("ts", "board.compliance.audit.ts"),
    ("actor", "board.compliance.audit.actor"),
    ("action", "board.compliance.audit.action"),
    ("target", "board.compliance.audit.target"),
    ("detail", "board.compliance.audit.detail"),
    ("ip", "board.compliance.audit.ip"),
    ("hash", "board.compliance.audit.hash"),
]


def _audit(svc: Any, q: data.AuditQuery) -> tuple[Table, list[str]]:
    with svc.factory() as session:
        rows, total = data.audit_page(session, q, svc.bank_timezone)
        actions = data.audit_actions(session)
    return Table("audit", AUDIT_COLUMNS, rows, total=total, page_size=q.page_size), actions


def _page(
    request: Request,
    viewer: Viewer,
    svc: Any,
    filters: Filters,
    action: str | None,
    actor: str | None,
    verified: Any = None,
    status: int = 200,
) -> HTMLResponse:
    today = _today(svc)
    parts = _charts(svc, viewer, filters, today)
    audit_table, actions = _audit(svc, _audit_query(filters, action, actor))
    extra = {k: v for k, v in (("action", action), ("actor", actor)) if v}

    def query(**changes: Any) -> str:
        """The page's query string changed, keeping the audit viewer's action and actor (pager, exports)."""
        base = filters.query(**changes)
        return "&".join(p for p in (base, urlencode(extra)) if p)

    return render(
        request,
        viewer,
        "pages/compliance.html.j2",
        status=status,
        page_name="compliance",
        filters=filters,
        audit_table=audit_table,
        actions=actions,
        action=action or "",
        actor=actor or "",
        verified=verified,
        query=query,
        export_base=PAGE.path,
        **parts,
    )


def _today(svc: Any) -> date:

    return today_in(svc.bank_timezone)


@router.get(PAGE.path, response_class=HTMLResponse)
def compliance_page(request: Request, viewer: AuditRead, svc: ServicesDep, filters: FiltersDep) -> HTMLResponse:
    action, actor = audit_filters(request)
    return _page(request, viewer, svc, filters, action, actor)


@router.post(f"{PAGE.path}/verify", response_class=HTMLResponse)
def verify_chain(request: Request, viewer: AuditForm, svc: ServicesDep) -> HTMLResponse:
    """Re-hash the chain (as ``callwise audit verify``); an HTMX request gets the result alone."""
    with svc.factory() as session:
        report = data.verify_chain(session)
    if request.headers.get("hx-request"):
        return render(request, viewer, "pages/compliance_verify.html.j2", page_name="compliance", verified=report)
    return _page(request, viewer, svc, Filters(), None, None, verified=report)


@router.get(f"{PAGE.path}/export/{{filename}}")
def export(request: Request, filename: str, viewer: AuditRead, svc: ServicesDep, filters: FiltersDep) -> Response:
    """A table of the page as CSV or XLSX, with the page's filters; the audit table with every matching entry."""
    action, actor = audit_filters(request)
    table_id, _, fmt = filename.rpartition(".")
    if table_id == "audit":
        q = _audit_query(Filters(date_from=filters.date_from, date_to=filters.date_to), action, actor, EXPORT_ROWS)
        table, _ = _audit(svc, q)
        table = Table(table.id, table.columns, table.rows)
    else:
        parts = _charts(svc, viewer, filters, _today(svc))
        found = {
            "exclusions": parts["exclusions"].table,
            "exclusion_totals": parts["exclusion_totals"],
            "policy_changes": parts["changes"].table,
            "policy_history": parts["history"],
            "policy_lists": parts["lists"],
        }
        if table_id not in found:
            raise BoardError(404, "board.error.not_found")
        table = found[table_id]
    return export_response(table, fmt, viewer.lang, f"compliance-{table_id}", svc.bank_timezone)
