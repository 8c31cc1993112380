"""The customer 360 profile: everything callwise knows of one customer, shown as the reader may see it.

Sections, each from the store that owns it:

- ``identity`` — the operational DB's masked customer (``customer_view``); in clear only on a reveal, which the
  caller allows for ``pii:read`` holders and which ``customer_view`` audits as ``pii.reveal``;
- ``tags`` — the customer's row of the lake table ``tags`` read against the catalogue, grouped by category. A
  sensitive tag is dropped before anything is read for a principal without ``tags:sensitive`` (not even its id
  is returned), and a column the catalogue does not declare is never shown (its sensitivity is unknown);
- ``segment`` — the lake table ``segments``, named by ``callwise.segments`` when that module can name it;
- ``holdings``, ``transactions``, ``activity`` — the lake's rows of this customer, aggregated by Ibis (windows
  of 90/365 and 30/90 days ending on the day ``on``, the lake's times being the customer's wall clock);
- ``contacts`` — the newest contacts (lake history and outcomes recorded since) and counts by disposition;
- ``consent`` — live DNC and consent state and its history (``policy_events``);
- ``scores`` — the scores issued lists gave the customer, with the model's first reason as the list wrote it;
- ``lists`` — for the newest issued list of every campaign not closed: on it (treatment or control), or the
  contact policy's reason codes today, or ``not_selected`` when the policy would allow the call.

Every lake read is filtered by ``customer_id`` before anything leaves the engine. Each profile read is audited
as ``customer.profile`` (target ``customer:<id>``, detail: the source and whether it was revealed), in the
caller's transaction. No value of the profile is ever logged.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.board.customer import _OneCustomer, contact_history, scores
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.ops import audit
from callwise.ops.customers import ID_MAX, CustomerNotFound, customer_view
from callwise.ops.models import CallOutcome, Campaign, Customer, IssuedList, ListItem, ListMember, PolicyEvent
from callwise.ops.users import Principal
from callwise.policy import Policy, evaluate_customers
from callwise.tags import Catalogue, default_catalogue
from callwise.tags.build import CUTOFF_KEY
from callwise.tags.build import TABLE as TAGS_TABLE

__all__ = ["AUDIT_ACTION", "ID_MAX", "CustomerNotFound", "customer_profile"]

AUDIT_ACTION = "customer.profile"
CONTACTS_SHOWN = 20
TX_WINDOWS = (90, 365)
EVENT_WINDOWS = (30, 90)
LOGIN_EVENT = "app_login"
NOT_SELECTED = "not_selected"  # the policy allows the call; the ranking or the capacity left the customer off


def customer_profile(
    session: Session,
    lake: Lake | None,
    pii: Any,
    customer_id: str,
    principal: Principal,
    ip: str | None,
    *,
    on: date,
    policy: Policy,
    catalogue: Catalogue | None = None,
    reveal: bool = False,
    source: str = "api",
    reason: str | None = None,
) -> dict[str, Any]:
    """The profile of ``customer_id`` as ``principal`` may see it, as of the day ``on``; audited. The caller
    commits (the audit entry with it). ``CustomerNotFound`` for an id the operational DB does not hold.

    ``reveal`` shows identity in clear and must only be passed for a ``pii:read`` holder (checked here too).
    """
    if not known_id(session, customer_id):
        raise CustomerNotFound(customer_id[:ID_MAX])
    if reveal and "pii:read" not in principal.permissions:
        raise PermissionError("pii:read")
    identity = customer_view(session, pii, customer_id, reveal, principal.name, ip, reason=reason)
    detail: dict[str, Any] = {"source": source, "revealed": reveal}
    audit.append(session, principal.name, AUDIT_ACTION, f"customer:{customer_id}", detail, ip)
    shown = (catalogue or default_catalogue()).visible(principal.permissions)
    return {
        "customer_id": customer_id,
        "as_of": on.isoformat(),
        "identity": identity,
        "tags": tags_of(lake, shown, customer_id) if lake is not None else _no_tags(),
        "segment": segment_of(lake, customer_id) if lake is not None else None,
        "holdings": holdings_of(lake, customer_id, on) if lake is not None else _no_holdings(),
        "transactions": transactions_of(lake, customer_id, on) if lake is not None else [],
        "activity": activity_of(lake, customer_id, on) if lake is not None else _no_activity(),
        "contacts": contacts_of(session, lake, customer_id),
        "consent": consent_of(session, customer_id),
        "scores": scores(session, customer_id)[:CONTACTS_SHOWN],
        "lists": lists_of(session, lake, policy, customer_id, on),
    }


def known_id(session: Session, customer_id: str) -> bool:
    """Whether the operational DB holds ``customer_id``; an id no column can hold (too long, control characters
    such as NUL, which PostgreSQL refuses in text) names nobody and is not sent to the database at all."""
    if not customer_id or len(customer_id) > ID_MAX or not customer_id.isprintable():
        return False
    return session.get(Customer, customer_id) is not None


# --- tags ----------------------------------------------------------------------------------------------------


def _no_tags() -> dict[str, Any]:
    return {"cutoff": None, "categories": []}


def tags_of(lake: Lake, catalogue: Catalogue, customer_id: str) -> dict[str, Any]:
    """The customer's tags by category, only those ``catalogue`` (already narrowed to the reader) declares."""
    if not lake.has(TAGS_TABLE):
        return _no_tags()
    table = lake.table(TAGS_TABLE)
    wanted = [tag_id for tag_id in catalogue.tags if tag_id in table.columns]
    if not wanted:
        return _no_tags()
    found = table.filter(table.customer_id.cast("string") == customer_id).select(*wanted).limit(1)
    rows = found.to_pyarrow().to_pylist()
    if not rows:
        return {"cutoff": _tags_cutoff(lake), "categories": []}
    by_category: dict[str, list[dict[str, Any]]] = {}
    for tag_id in wanted:
        tag = catalogue.tags[tag_id]
        by_category.setdefault(tag.category, []).append(
            {
                "id": tag.id,
                "name": {"zh": tag.name_zh, "en": tag.name_en},
                "kind": tag.kind,
                "value_type": tag.value,
                "value": rows[0][tag_id],
            }
        )
    categories = [{"category": c, "tags": tags} for c, tags in by_category.items()]
    return {"cutoff": _tags_cutoff(lake), "categories": categories}


def _tags_cutoff(lake: Lake) -> str | None:
    """The cutoff the tag table was built as of (its Parquet footer), read without reading any row."""
    files = lake.files(TAGS_TABLE)
    metadata = pq.read_schema(files[0]).metadata or {} if files else {}
    value = metadata.get(CUTOFF_KEY)
    return value.decode() if value else None


# --- segment -------------------------------------------------------------------------------------------------


def segment_of(lake: Lake, customer_id: str) -> dict[str, Any] | None:
    """The customer's segment (id, distance to its centre, when assigned) and its names if they can be told."""
    if not lake.has("segments"):
        return None
    table = lake.table("segments")
    present = [c for c in ("segment_id", "distance", "assigned_at") if c in table.columns]
    if "segment_id" not in present:
        return None
    rows = table.filter(table.customer_id.cast("string") == customer_id).select(*present).limit(1)
    found = rows.to_pyarrow().to_pylist()
    if not found:
        return None
    row = {"segment_id": None, "distance": None, "assigned_at": None, **found[0]}
    row["segment_id"] = None if row["segment_id"] is None else str(row["segment_id"])
    row["name"] = _segment_name(lake, row["segment_id"])
    return row


def _segment_name(lake: Lake, segment_id: str | None) -> dict[str, str] | None:
    """The segment's zh and en names from the current segmentation, or None (then the id alone is shown).

    The segmentation is another stage's; a lake without one, or a segmentation that cannot be read, leaves the
    profile with the id rather than failing the whole customer.
    """
    if segment_id is None:
        return None
    try:
        module = importlib.import_module("callwise.segments")
    except ImportError:
        return None
    current_segmentation = getattr(module, "current_segmentation", None)
    if not callable(current_segmentation):
        return None
    try:
        current = current_segmentation(lake)
    except (FileNotFoundError, LookupError, ValueError, OSError):
        return None
    return _names_in(current, segment_id)


def _names_in(current: Any, segment_id: str) -> dict[str, str] | None:
    if current is None:
        return None
    name = getattr(current, "name", None)
    if callable(name):
        try:
            return {"zh": str(name(segment_id, "zh")), "en": str(name(segment_id, "en"))}
        except (KeyError, LookupError, ValueError, TypeError):
            return None
    names = getattr(current, "names", None)
    if isinstance(names, dict):
        entry = names.get(segment_id, names.get(int(segment_id)) if segment_id.isdigit() else None)
        if isinstance(entry, dict) and {"zh", "en"} <= set(entry):
            return {"zh": str(entry["zh"]), "en": str(entry["en"])}
        if isinstance(entry, str):
            return {"zh": entry, "en": entry}
    return None


# --- holdings, transactions, activity -------------------------------------------------------------------------


def _mine(lake: Lake, name: str, customer_id: str) -> ir.Table | None:
    if not lake.has(name):
        return None
    table = lake.table(name)
    return table.filter(table.customer_id.cast("string") == customer_id)


def _no_holdings() -> dict[str, Any]:
    return {"items": [], "by_category": [], "total_balance": 0.0}


def holdings_of(lake: Lake, customer_id: str, on: date) -> dict[str, Any]:
    """Products held at the end of ``on`` (opened by then, not closed by then), balances by category."""
    held = _mine(lake, "holdings", customer_id)
    if held is None:
        return _no_holdings()
    end = ibis.timestamp(datetime.combine(on + timedelta(days=1), datetime.min.time()))
    if "opened_at" in held.columns:
        held = held.filter(held.opened_at.isnull() | (held.opened_at.cast("timestamp") < end))
    if "closed_at" in held.columns:
        held = held.filter(held.closed_at.isnull() | (held.closed_at.cast("timestamp") >= end))
    columns = {
        "product_id": held.product_id.cast("string") if "product_id" in held.columns else ibis.null("string"),
        "category": held.category.cast("string") if "category" in held.columns else ibis.null("string"),
        "balance": held.balance.cast("float64") if "balance" in held.columns else ibis.null("float64"),
        "opened_at": held.opened_at.cast("timestamp") if "opened_at" in held.columns else ibis.null("timestamp"),
    }
    rows = held.select(**columns)
    if lake.has("products"):
        products = lake.table("products")
        names = products.select(
            pid=products.product_id.cast("string"),
            product_name=products.name.cast("string") if "name" in products.columns else ibis.null("string"),
            product_category=products.category.cast("string"),
        )
        rows = rows.left_join(names, rows.product_id == names.pid).select(
            "product_id",
            "balance",
            "opened_at",
            name="product_name",
            category=ibis.coalesce(rows.category, names.product_category),
        )
    else:
        rows = rows.mutate(name=ibis.null("string"))
    frame = to_pandas(rows.order_by(["category", "product_id"]))
    frame = frame.astype(object).where(frame.notna(), None)
    items = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    sums: dict[str, float] = {}
    for item in items:
        key = item["category"] or "unknown"
        sums[key] = sums.get(key, 0.0) + float(item["balance"] or 0.0)
    by_category = [
        {"category": c, "balance": round(b, 2), "n": sum(1 for i in items if (i["category"] or "unknown") == c)}
        for c, b in sorted(sums.items())
    ]
    return {"items": items, "by_category": by_category, "total_balance": round(sum(sums.values()), 2)}


def _window(table: ir.Table, on: date, days: int) -> ir.Table:
    """Rows of the ``days`` days ending with ``on`` (the lake's times: the customer's wall clock)."""
    end = datetime.combine(on + timedelta(days=1), datetime.min.time())
    start = end - timedelta(days=days)
    ts = table.ts.cast("timestamp")
    return table.filter((ts >= ibis.timestamp(start)) & (ts < ibis.timestamp(end)))


def transactions_of(lake: Lake, customer_id: str, on: date) -> list[dict[str, Any]]:
    """Per window (90 and 365 days): money in and out (sum, count), and both by category and by channel."""
    mine = _mine(lake, "transactions", customer_id)
    if mine is None:
        return []
    direction = mine.direction.cast("string") if "direction" in mine.columns else ibis.null("string")
    base = mine.select(
        ts=mine.ts,
        amount=mine.amount.cast("float64"),
        direction=direction.fill_null("unknown"),
        category=(mine.category.cast("string") if "category" in mine.columns else ibis.null("string")).fill_null(
            "unknown"
        ),
        channel=(mine.channel.cast("string") if "channel" in mine.columns else ibis.null("string")).fill_null(
            "unknown"
        ),
    )
    out = []
    for days in TX_WINDOWS:
        rows = _window(base, on, days)
        grouped = to_pandas(
            rows.group_by(["direction", "category", "channel"]).aggregate(
                total=rows.amount.sum(), n=rows.amount.count()
            )
        )
        out.append(
            {
                "days": days,
                "in": _money(grouped, grouped["direction"] == "in"),
                "out": _money(grouped, grouped["direction"] == "out"),
                "by_category": _split(grouped, "category"),
                "by_channel": _split(grouped, "channel"),
            }
        )
    return out


def _money(frame: pd.DataFrame, rows: pd.Series) -> dict[str, Any]:
    part = frame[rows]
    return {"sum": round(float(part["total"].fillna(0).sum()), 2), "count": int(part["n"].sum())}


def _split(frame: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    """Sums and counts per ``by`` and direction, largest amount first."""
    if frame.empty:
        return []
    grouped = frame.groupby([by, "direction"], as_index=False)[["total", "n"]].sum()
    grouped = grouped.sort_values(["total", by, "direction"], ascending=[False, True, True], kind="stable")
    return [
        {by: str(r[by]), "direction": str(r["direction"]), "sum": round(float(r["total"]), 2), "count": int(r["n"])}
        for r in grouped.to_dict("records")
    ]


def _no_activity() -> dict[str, Any]:
    return {"windows": [], "last_login": None}


def activity_of(lake: Lake, customer_id: str, on: date) -> dict[str, Any]:
    """App events counted by type over 30 and 90 days, and the last login up to the end of ``on``."""
    mine = _mine(lake, "events", customer_id)
    if mine is None:
        return _no_activity()
    base = mine.select(ts=mine.ts.cast("timestamp"), event=mine.event.cast("string").fill_null("unknown"))
    windows = []
    for days in EVENT_WINDOWS:
        rows = _window(base, on, days)
        counts = to_pandas(rows.group_by("event").aggregate(n=rows.count()).order_by([ibis.desc("n"), "event"]))
        windows.append(
            {"days": days, "events": {str(e): int(n) for e, n in zip(counts["event"], counts["n"], strict=True)}}
        )
    end = ibis.timestamp(datetime.combine(on + timedelta(days=1), datetime.min.time()))
    logins = base.filter((base.event == LOGIN_EVENT) & (base.ts < end))
    last = logins.ts.max().execute()
    return {
        "windows": windows,
        "last_login": None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime(),
    }


# --- contacts, consent ----------------------------------------------------------------------------------------


def contacts_of(session: Session, lake: Lake | None, customer_id: str) -> dict[str, Any]:
    """The newest contacts (lake and recorded outcomes) and every contact counted by disposition."""
    counts: dict[str, int] = {}
    recorded = session.execute(
        select(CallOutcome.disposition, func.count())
        .where(CallOutcome.customer_id == customer_id)
        .group_by(CallOutcome.disposition)
    ).all()
    for disposition, n in recorded:
        counts[str(disposition)] = counts.get(str(disposition), 0) + int(n)
    mine = _mine(lake, "contacts", customer_id) if lake is not None else None
    if mine is not None and "disposition" in mine.columns:
        grouped = to_pandas(
            mine.group_by(d=mine.disposition.cast("string").fill_null("unknown")).aggregate(n=mine.count())
        )
        for disposition, n in zip(grouped["d"], grouped["n"], strict=True):
            counts[str(disposition)] = counts.get(str(disposition), 0) + int(n)
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "recent": contact_history(session, lake, customer_id, CONTACTS_SHOWN),
        "total": sum(counts.values()),
        "by_disposition": ordered,
    }


def consent_of(session: Session, customer_id: str) -> dict[str, Any]:
    """DNC and consent as in force now, and every change on record, newest first."""
    c = session.get(Customer, customer_id)
    if c is None:  # checked by the caller; kept for a direct call
        raise CustomerNotFound(customer_id[:ID_MAX])
    events = session.scalars(
        select(PolicyEvent)
        .where(PolicyEvent.customer_id == customer_id)
        .order_by(PolicyEvent.ts.desc(), PolicyEvent.event_id.desc())
        .limit(100)
    )
    return {
        "dnc": bool(c.dnc),
        "dnc_at": _utc(c.dnc_at),
        "consent_marketing": bool(c.consent_marketing),
        "consent_updated_at": _utc(c.consent_updated_at),
        "refused_at": _utc(c.refused_at),
        "complaint_at": _utc(c.complaint_at),
        "history": [{"ts": _utc(e.ts), "kind": e.kind, "source": e.source, "actor": e.actor} for e in events],
    }


def _utc(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


# --- lists ---------------------------------------------------------------------------------------------------


def current_lists(session: Session) -> list[IssuedList]:
    """The newest issued list of every campaign that is not closed, newest first."""
    newest = (
        select(func.max(IssuedList.list_id))
        .join(Campaign, Campaign.campaign_id == IssuedList.campaign_id)
        .where(Campaign.status != "closed")
        .group_by(IssuedList.campaign_id)
    )
    return list(
        session.scalars(select(IssuedList).where(IssuedList.list_id.in_(newest)).order_by(IssuedList.list_id.desc()))
    )


def lists_of(session: Session, lake: Lake | None, policy: Policy, customer_id: str, on: date) -> list[dict[str, Any]]:
    """Per current list: whether the customer is on it (called or held out as control), and if not, why."""
    out = []
    verdicts: dict[tuple[str, str], list[str] | None] = {}
    lists = current_lists(session)
    products = _products(lake, _list_products(session, lists)) if lake is not None else {}
    for issued in lists:
        product_id = _list_product(session, issued)
        member = session.scalars(
            select(ListMember).where(ListMember.list_id == issued.list_id, ListMember.customer_id == customer_id)
        ).first()
        row: dict[str, Any] = {
            "list_id": issued.list_id,
            "campaign_id": issued.campaign_id,
            "product_id": product_id,
            "issued_at": _utc(issued.issued_at),
            "on_list": member is not None,
            "group": member.group if member is not None else None,
            "pending_calls": 0,
            "reasons": [],
        }
        if member is not None:
            row["pending_calls"] = int(
                session.scalar(
                    select(func.count()).where(
                        ListItem.list_id == issued.list_id,
                        ListItem.customer_id == customer_id,
                        ListItem.status == "pending",
                    )
                )
                or 0
            )
            if member.group == "control":
                row["reasons"] = ["control_group"]
        elif lake is not None and product_id in products:
            key = (issued.campaign_id, product_id)
            if key not in verdicts:
                verdicts[key] = _policy_reasons(session, lake, policy, customer_id, products[product_id], key[0], on)
            codes = verdicts[key]
            row["reasons"] = (codes or [NOT_SELECTED]) if codes is not None else []
        out.append(row)
    return out


def _list_product(session: Session, issued: IssuedList) -> str | None:
    product = (issued.summary or {}).get("product_id") if isinstance(issued.summary, dict) else None
    if product:
        return str(product)
    found = session.scalar(select(Campaign.product_id).where(Campaign.campaign_id == issued.campaign_id))
    return None if found is None else str(found)


def _list_products(session: Session, lists: Iterable[IssuedList]) -> set[str]:
    return {p for p in (_list_product(session, issued) for issued in lists) if p is not None}


def _products(lake: Lake, wanted: set[str]) -> dict[str, dict[str, Any]]:
    if not wanted or not lake.has("products"):
        return {}
    table = lake.table("products")
    frame = to_pandas(table.filter(table.product_id.cast("string").isin(sorted(wanted))))
    frame = frame.astype(object).where(frame.notna(), None)
    return {str(r["product_id"]): {str(k): v for k, v in r.items()} for r in frame.to_dict("records")}


def _policy_reasons(
    session: Session,
    lake: Lake,
    policy: Policy,
    customer_id: str,
    product: dict[str, Any],
    campaign_id: str,
    on: date,
) -> list[str] | None:
    """The policy's reason codes for calling ``product`` to the customer on ``on`` (empty: allowed), or None
    when the lake does not know the customer."""
    view = _OneCustomer(lake, session, customer_id)
    if view.table("customers").count().execute() == 0:
        return None
    verdict = evaluate_customers(view, policy, product, campaign_id, on, on)
    reasons = verdict.reasons.iloc[0] if len(verdict.reasons) else None
    return reasons.split("|") if isinstance(reasons, str) else []
