"""The customer page (``customers:read``): a look-up form, then one customer masked with the customer 360 profile
(tags by category, segment, holdings, transactions, app activity, contacts, consent and DNC history, scores, why
on or off each current list), and eligibility today; ``pii:read`` holders may reveal the clear values for one
response, giving a reason. Every view of a customer is audited as ``customer.profile`` (source ``board``); a
sensitive tag is absent for a viewer without ``tags:sensitive`` (``callwise.customers``).

The look-up is a POST with CSRF (a phone never lands in a URL, a log or a redirect: the answer redirects to the
customer id), audited and rate-limited by the API's own ``lookup_customers``. A submitted value is never echoed
back. Form fields are read without validation constraints so that no error page can quote them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callwise.board import customer as data
from callwise.clock import today_in
from callwise.customers import customer_profile
from callwise.customers.profile import known_id
from callwise.customers.text import label as c360_label
from callwise.customers.text import reason_text, tag_value
from callwise.i18n import catalog, t
from callwise.ops.db import transaction
from callwise.policy import default_policy
from callwise.web.deps import ServicesDep, client_ip
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, form_for, viewer_for

PAGE = Page("customer", "/board/customers", "customers:read", example="/board/customers/{customer_id}")
router = APIRouter(include_in_schema=False)

CustomersRead = Annotated[Viewer, viewer_for("customers:read")]
CustomersForm = Annotated[Viewer, form_for("customers:read")]
PiiRead = Annotated[Viewer, viewer_for("pii:read")]
PiiForm = Annotated[Viewer, form_for("pii:read")]
FormText = Annotated[str, Form()]
VALUE_MAX = 64
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _lookup_form(request: Request, viewer: Viewer, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("key", "customer_id")
    context.setdefault("problem", None)
    context.setdefault("several", [])
    return render(
        request, viewer, "pages/customer.html.j2", status=status, page_name="customer", keys=data.KEYS, **context
    )


@router.get(PAGE.path, response_class=HTMLResponse)
def lookup_page(request: Request, viewer: CustomersRead) -> HTMLResponse:
    return _lookup_form(request, viewer)


@router.post(PAGE.path, response_class=HTMLResponse)
def lookup(
    request: Request, viewer: CustomersForm, svc: ServicesDep, key: FormText = "customer_id", value: FormText = ""
) -> Response:
    """Find by id, or by a whole phone or ID number as the API does; one match goes to the customer's page."""
    if key not in data.KEYS:
        key = "customer_id"
    if len(value) > VALUE_MAX:
        return _lookup_form(request, viewer, 422, key=key, problem=t("board.customer.invalid", viewer.lang))
    with transaction(svc.factory) as session:
        found = data.find(session, svc.pii, key, value, viewer.principal, client_ip(request), svc.lookups)
    lang = viewer.lang
    if found.status == "ok" and len(found.customer_ids) == 1:
        return RedirectResponse(f"{PAGE.path}/{quote(found.customer_ids[0], safe='')}", status_code=303)
    if found.status == "ok":
        return _lookup_form(request, viewer, key=key, several=found.customer_ids)
    if found.status == "invalid":
        return _lookup_form(request, viewer, 422, key=key, problem=t("board.customer.invalid", lang))
    if found.status == "throttled":
        minutes = int(svc.lookups.window.total_seconds() // 60)
        problem = t("board.customer.throttled", lang, limit=found.allowed, minutes=minutes, seconds=found.retry_after_s)
        response = _lookup_form(request, viewer, 429, key=key, problem=problem)
        response.headers["Retry-After"] = str(found.retry_after_s)
        return response
    return _lookup_form(request, viewer, 404, key=key, problem=t("board.customer.missing", lang))


def _today(svc: Any) -> date:
    return today_in(svc.bank_timezone)


def _label(prefix: str, value: Any, lang: str) -> Any:
    key = f"{prefix}.{value}"
    return t(key, lang) if isinstance(value, str) and key in catalog() else value


TABLES = ("contacts", "scores", "eligibility")
SPLIT_ROWS = 8  # the largest amounts per category and per channel on the page (the API and the CLI give all)


def _tables(svc: Any, customer_id: str, lang: str, only: tuple[str, ...] = TABLES) -> dict[str, Table]:
    """The page's tables named in ``only`` (none holds personal data: they are what the exports give).

    Eligibility runs the policy once per product (about 0.1 s each on the small bank), so the page loads it as a
    fragment after the rest, and an export computes only the table it gives.
    """
    history: list[dict[str, Any]] = []
    scored: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    with svc.factory() as session:
        if "contacts" in only:
            history = data.contact_history(session, svc.lake, customer_id)
        if "scores" in only:
            scored = data.scores(session, customer_id)
        if "eligibility" in only and svc.lake is not None:
            verdicts = data.eligibility(session, svc.lake, svc.policy or default_policy(), customer_id, _today(svc))
    contacts = Table(
        "contacts",
        [
            ("ts", "board.customer.col.ts"),
            ("source", "board.customer.col.source"),
            ("channel", "board.customer.col.channel"),
            ("campaign_id", "board.customer.col.campaign"),
            ("product_id", "board.customer.col.product"),
            ("disposition", "board.customer.col.disposition"),
            ("agent_id", "board.customer.col.agent"),
            ("duration_s", "board.customer.col.duration"),
        ],
        [
            {
                **r,
                "source": t(f"board.customer.source.{r['source']}", lang),
                "disposition": _label("board.customer.disposition", r["disposition"], lang),
            }
            for r in history
        ],
    )
    scores = Table(
        "scores",
        [
            ("campaign_id", "board.customer.col.campaign"),
            ("list_id", "board.customer.col.list"),
            ("product_id", "board.customer.col.product"),
            ("group", "board.customer.col.group"),
            ("arm", "board.customer.col.arm"),
            ("score", "board.customer.col.score"),
            ("score_decile", "board.customer.col.decile"),
            ("assigned_at", "board.customer.col.assigned"),
            ("reason", "board.customer.col.reason"),
        ],
        scored,
    )
    eligibility = Table(
        "eligibility",
        [
            ("product_id", "board.customer.col.product"),
            ("category", "board.customer.col.category"),
            ("verdict", "board.customer.col.verdict"),
            ("reasons", "board.customer.col.reasons"),
            ("attempts_left", "board.customer.col.attempts_left"),
        ],
        [
            {
                "product_id": r["product_id"],
                "category": r["category"],
                "eligible": r["eligible"],
                "verdict": t(f"board.customer.eligibility.{'eligible' if r['eligible'] else 'excluded'}", lang),
                "reasons": "; ".join(_label("exclusion", code, lang) for code in r["reasons"]),
                "attempts_left": r["attempts_left"] if r["eligible"] else None,
            }
            for r in verdicts
        ],
    )
    found = {"contacts": contacts, "scores": scores, "eligibility": eligibility}
    return {name: found[name] for name in only}


def _missing(request: Request, viewer: Viewer, customer_id: str) -> HTMLResponse:
    problem = t("board.customer.not_found", viewer.lang, customer_id=customer_id[:64])
    return _lookup_form(request, viewer, 404, problem=problem)


def _profile(svc: Any, viewer: Viewer, customer_id: str) -> dict[str, Any]:
    """The 360 profile as the viewer may see it (audited as a read in its own transaction), ready to show."""
    with transaction(svc.factory) as session:
        found = customer_profile(
            session,
            svc.lake,
            svc.pii,
            customer_id,
            viewer.principal,
            viewer.ip,
            on=_today(svc),
            policy=svc.policy or default_policy(),
            catalogue=svc.tags,
            source="board",
        )
    return shown_profile(found, viewer.lang)


def shown_profile(found: dict[str, Any], lang: str) -> dict[str, Any]:
    """The profile's sections with every code worded in ``lang`` and tabular sections as ``Table``s."""
    tags = [
        {
            "category": c360_label("c360.category", group["category"], lang),
            "tags": [
                {"id": tag["id"], "name": tag["name"][lang], "value": tag_value(tag, lang)} for tag in group["tags"]
            ],
        }
        for group in found["tags"]["categories"]
    ]
    segment = found["segment"]
    if segment is not None:
        segment = {**segment, "label": segment["name"][lang] if segment.get("name") else segment["segment_id"]}
    holdings = Table(
        "holdings",
        [
            ("product_id", "board.customer.col.product"),
            ("name", "board.customer.col.product_name"),
            ("category", "board.customer.col.category"),
            ("balance", "board.customer.col.balance"),
            ("opened_at", "board.customer.col.opened"),
        ],
        [{**item, "category": _label("category", item.get("category"), lang)} for item in found["holdings"]["items"]],
        formats={"balance": "money", "opened_at": "date"},
    )
    windows = []
    for window in found["transactions"]:
        rows = [
            {
                "by": t(f"board.customer.tx.{kind}", lang),
                "label": row[kind],
                "direction": c360_label("c360.tx", row["direction"], lang),
                "sum": row["sum"],
                "count": row["count"],
            }
            for kind in ("category", "channel")
            for row in window[f"by_{kind}"][:SPLIT_ROWS]
        ]
        split = Table(
            f"transactions-{window['days']}",
            [
                ("by", "board.customer.col.by"),
                ("label", "board.customer.col.value"),
                ("direction", "board.customer.col.direction"),
                ("sum", "board.customer.col.amount"),
                ("count", "board.customer.col.count"),
            ],
            rows,
            formats={"sum": "money", "count": "num"},
        )
        windows.append({"days": window["days"], "in": window["in"], "out": window["out"], "split": split})
    events = sorted({e for w in found["activity"]["windows"] for e in w["events"]})
    activity = [
        {"event": e, **{f"d{w['days']}": w["events"].get(e, 0) for w in found["activity"]["windows"]}} for e in events
    ]
    consent = found["consent"]
    history = Table(
        "consent-history",
        [
            ("ts", "board.customer.col.ts"),
            ("kind", "board.customer.col.change"),
            ("source", "board.customer.col.source"),
            ("actor", "board.customer.col.actor"),
        ],
        [{**e, "kind": c360_label("board.compliance.kind", e["kind"], lang)} for e in consent["history"]],
        formats={"ts": "datetime"},
    )
    lists = Table(
        "lists",
        [
            ("list_id", "board.customer.col.list"),
            ("campaign_id", "board.customer.col.campaign"),
            ("product_id", "board.customer.col.product"),
            ("issued_at", "board.customer.col.issued"),
            ("verdict", "board.customer.col.verdict"),
            ("reasons", "board.customer.col.reasons"),
        ],
        [
            {
                **row,
                "verdict": t(
                    "board.customer.lists.on"
                    if row["on_list"] and row["group"] != "control"
                    else "board.customer.lists.off",
                    lang,
                ),
                "reasons": "；".join(reason_text(code, lang) for code in row["reasons"])
                if lang == "zh"
                else "; ".join(reason_text(code, lang) for code in row["reasons"]),
            }
            for row in found["lists"]
        ],
        formats={"issued_at": "datetime"},
    )
    dispositions = [
        {"disposition": _label("board.customer.disposition", d, lang), "n": n}
        for d, n in found["contacts"]["by_disposition"].items()
    ]
    return {
        "as_of": found["as_of"],
        "tags": tags,
        "tags_cutoff": found["tags"]["cutoff"],
        "segment": segment,
        "holdings": holdings,
        "holdings_by_category": [
            {**row, "category": _label("category", row.get("category"), lang)}
            for row in found["holdings"]["by_category"]
        ],
        "total_balance": found["holdings"]["total_balance"],
        "windows": windows,
        "activity": activity,
        "activity_days": [w["days"] for w in found["activity"]["windows"]],
        "last_login": found["activity"]["last_login"],
        "contacts_total": found["contacts"]["total"],
        "dispositions": dispositions,
        "consent": consent,
        "consent_history": history,
        "lists": lists,
    }


def _detail(
    request: Request, viewer: Viewer, svc: Any, customer_id: str, shown: dict[str, Any], revealed: bool = False
) -> HTMLResponse:
    tables: dict[str, Any] = _tables(svc, customer_id, viewer.lang, ("contacts", "scores"))
    try:
        c360 = _profile(svc, viewer, customer_id)
    except data.CustomerNotFound:
        return _missing(request, viewer, customer_id)
    return render(
        request,
        viewer,
        "pages/customer_detail.html.j2",
        page_name="customer",
        customer=shown,
        reveal_min=data.REASON_MIN,
        reveal_max=data.REASON_MAX,
        revealed=revealed,
        export_base=f"{PAGE.path}/{quote(customer_id, safe='')}",
        c360=c360,
        **tables,
    )


@router.get(PAGE.path + "/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: str, viewer: CustomersRead, svc: ServicesDep) -> HTMLResponse:
    with svc.factory() as session:
        try:
            shown = data.profile(session, svc.pii, customer_id, viewer.principal.name, client_ip(request))
        except data.CustomerNotFound:
            return _missing(request, viewer, customer_id)
    return _detail(request, viewer, svc, customer_id, shown)


@router.get(PAGE.path + "/{customer_id}/reveal", response_class=HTMLResponse)
def reveal_form(request: Request, customer_id: str, viewer: PiiRead, svc: ServicesDep) -> HTMLResponse:
    """The confirmation: a reason is asked for before anything is shown in clear."""
    with svc.factory() as session:
        try:
            shown = data.profile(session, svc.pii, customer_id, viewer.principal.name, client_ip(request))
        except data.CustomerNotFound:
            return _missing(request, viewer, customer_id)
    return render(
        request,
        viewer,
        "pages/customer_reveal.html.j2",
        page_name="customer",
        customer=shown,
        problem=None,
        reveal_min=data.REASON_MIN,
        reveal_max=data.REASON_MAX,
    )


@router.post(PAGE.path + "/{customer_id}/reveal", response_class=HTMLResponse)
def reveal(request: Request, customer_id: str, viewer: PiiForm, svc: ServicesDep, reason: FormText = "") -> Response:
    """The profile in clear for this response only (never cached), audited as ``pii.reveal`` with the reason."""
    why = data.reveal_reason(reason)
    with transaction(svc.factory) as session:
        try:
            if why is None:
                shown = data.profile(session, svc.pii, customer_id, viewer.principal.name, client_ip(request))
            else:
                shown = data.reveal(session, svc.pii, customer_id, viewer.principal.name, client_ip(request), why)
        except data.CustomerNotFound:
            return _missing(request, viewer, customer_id)
    if why is None:
        problem = t("board.customer.reveal.bad_reason", viewer.lang, min=data.REASON_MIN, max=data.REASON_MAX)
        return render(
            request,
            viewer,
            "pages/customer_reveal.html.j2",
            status=422,
            page_name="customer",
            customer=shown,
            problem=problem,
            reveal_min=data.REASON_MIN,
            reveal_max=data.REASON_MAX,
        )
    response = _detail(request, viewer, svc, customer_id, shown, revealed=True)
    response.headers.update(NO_STORE)
    return response


@router.get(PAGE.path + "/{customer_id}/export/{filename}")
def export(customer_id: str, filename: str, viewer: CustomersRead, svc: ServicesDep) -> Response:
    """One of the page's tables as CSV or XLSX: contacts, scores, eligibility (no personal data in any)."""
    table_id, _, fmt = filename.rpartition(".")
    with svc.factory() as session:
        if not known_id(session, customer_id):
            raise BoardError(404, "board.error.not_found")
    if table_id not in TABLES:
        raise BoardError(404, "board.error.not_found")
    table = _tables(svc, customer_id, viewer.lang, (table_id,))[table_id]
    return export_response(table, fmt, viewer.lang, f"customer-{customer_id}-{table_id}", svc.bank_timezone)


@router.get(PAGE.path + "/{customer_id}/eligibility", response_class=HTMLResponse)
def eligibility_fragment(request: Request, customer_id: str, viewer: CustomersRead, svc: ServicesDep) -> HTMLResponse:
    """The eligibility table alone: the page loads it after the rest (HTMX), or a reader follows the link."""
    with svc.factory() as session:
        if not known_id(session, customer_id):
            return _missing(request, viewer, customer_id)
    table = _tables(svc, customer_id, viewer.lang, ("eligibility",))["eligibility"]
    return render(
        request,
        viewer,
        "pages/customer_eligibility.html.j2",
        page_name="customer",
        eligibility=table,
        customer_id=customer_id,
    )
