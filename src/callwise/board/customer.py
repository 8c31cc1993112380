"""One customer as a supervisor or an analyst opens them: found, masked, their calls, scores and whether the
contact policy lets them be called today, and why not.

Library only (no web). Every step reuses what the API runs: ``lookup_customers`` (audited, rate-limited) to find
a customer by a whole phone or ID number, ``customer_view`` for the masked profile and for a reveal (audited,
here with the reason the revealer gave), and the policy's own ``evaluate_customers`` for eligibility, run over a
view of the lake narrowed to this one customer with the operational DB's live state laid over it exactly as a
list build lays it (``callwise.ops.overlay``), without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.board.compliance import scrub
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.ops.customers import CustomerNotFound, customer_view
from callwise.ops.lookups import LookupLimit, LookupResult, lookup_customers
from callwise.ops.models import CallOutcome, Customer, ListItem, ListMember
from callwise.ops.overlay import STATE_SCHEMA
from callwise.ops.overlay import _contacts as overlay_contacts
from callwise.ops.users import Principal
from callwise.policy import Policy, evaluate_customers

__all__ = [
    "REASON_MAX",
    "REASON_MIN",
    "CustomerNotFound",
    "Found",
    "contact_history",
    "eligibility",
    "find",
    "profile",
    "reveal",
    "reveal_reason",
    "scores",
]

KEYS = ("customer_id", "phone", "id_number")
REASON_MIN, REASON_MAX = 4, 200
HISTORY_ROWS = 100
# Lake tables keyed by customer that the policy reads; narrowed to the one customer.
_BY_CUSTOMER = ("customers", "contacts", "holdings", "ops_contacts", "ops_customer_state")


@dataclass(frozen=True)
class Found:
    """A look-up's answer: ``ok`` with ids, ``invalid`` (not a whole value), ``throttled``, or ``missing``."""

    status: str
    customer_ids: list[str]
    allowed: int = 0
    retry_after_s: int = 0


def find(
    session: Session, pii: Any, key: str, value: str, principal: Principal, ip: str | None, limit: LookupLimit
) -> Found:
    """Customers by id (not PII: looked up directly) or by a whole phone / ID number (the API's guarded path)."""
    if key not in KEYS:
        raise ValueError(f"unknown look-up key {key!r}")
    if key == "customer_id":
        value = value.strip()
        exists = bool(value) and session.get(Customer, value) is not None
        return Found("ok" if exists else "missing", [value] if exists else [])
    result: LookupResult = lookup_customers(session, pii, key, value, principal, ip, limit)
    status = "missing" if result.status == "ok" and not result.customer_ids else result.status
    return Found(status, result.customer_ids, result.allowed, result.retry_after_s)


def profile(session: Session, pii: Any, customer_id: str, actor: str, ip: str | None) -> dict[str, Any]:
    """The masked profile (not audited: nothing is shown in clear). ``CustomerNotFound`` for an unknown id."""
    return customer_view(session, pii, customer_id, False, actor, ip)


def reveal_reason(text: str | None) -> str | None:
    """The reason as it will be audited (trimmed, PII-like digits starred), or None if missing or too long."""
    reason = " ".join((text or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        return None
    return scrub(reason)


def reveal(session: Session, pii: Any, customer_id: str, actor: str, ip: str | None, reason: str) -> dict[str, Any]:
    """The profile in clear, audited as ``pii.reveal`` with ``reason``; the caller commits with the entry."""
    return customer_view(session, pii, customer_id, True, actor, ip, reason=reason)


def contact_history(
    session: Session, lake: Lake | None, customer_id: str, limit: int = HISTORY_ROWS
) -> list[dict[str, Any]]:
    """The customer's contacts, newest first: the lake's history and the outcomes recorded since (ops DB)."""
    rows: list[dict[str, Any]] = []
    zone = session.scalar(select(Customer.timezone).where(Customer.customer_id == customer_id)) or "Asia/Shanghai"
    outcomes = session.execute(
        select(CallOutcome).where(CallOutcome.customer_id == customer_id).order_by(CallOutcome.ts.desc()).limit(limit)
    ).scalars()
    for o in outcomes:
        ts = o.ts if o.ts.tzinfo is not None else o.ts.replace(tzinfo=UTC)
        rows.append(
            {
                "ts": ts,
                "source": "ops",
                "channel": "call",
                "campaign_id": o.campaign_id,
                "product_id": o.product_id,
                "disposition": o.disposition,
                "agent_id": o.agent_id,
                "duration_s": o.duration_s,
            }
        )
    if lake is not None and lake.has("contacts"):
        k = lake.table("contacts")
        wanted = ["ts", "channel", "campaign_id", "product_id", "disposition", "agent_id", "duration_s"]
        present = [c for c in wanted if c in k.columns]
        expr = k.filter(k.customer_id.cast("string") == customer_id).select(*present).order_by(ibis.desc("ts"))
        frame = to_pandas(expr.limit(limit))
        if len(frame):
            # The lake's times are the customer's wall clock (the data contract): made instants here.
            stamps = pd.to_datetime(frame["ts"]).dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
            frame["ts"] = stamps.dt.tz_convert("UTC")
            frame = frame.astype(object).where(frame.notna(), None)
            for record in frame.to_dict("records"):
                rows.append({**dict.fromkeys(wanted), **{str(k): v for k, v in record.items()}, "source": "lake"})
    rows.sort(key=lambda r: r["ts"] or datetime.min.replace(tzinfo=UTC), reverse=True)
    return [{**r, "ts": r["ts"].to_pydatetime() if isinstance(r["ts"], pd.Timestamp) else r["ts"]} for r in rows][
        :limit
    ]


def scores(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """The scores lists gave the customer (per issued list: group, arm, score, decile) with the model's first
    reason as the list wrote it for the agent (the call's hint), newest list first."""
    members = session.execute(
        select(ListMember).where(ListMember.customer_id == customer_id).order_by(ListMember.list_id.desc()).limit(50)
    ).scalars()
    out = []
    for m in members:
        hint = session.scalar(
            select(ListItem.hints)
            .where(ListItem.list_id == m.list_id, ListItem.customer_id == customer_id)
            .order_by(ListItem.item_id)
            .limit(1)
        )
        out.append(
            {
                "campaign_id": m.campaign_id,
                "list_id": m.list_id,
                "product_id": m.product_id,
                "group": m.group,
                "arm": m.arm,
                "score": m.score,
                "score_decile": m.score_decile,
                "assigned_at": m.assigned_at,
                "reason": hint,
            }
        )
    return out


def eligibility(session: Session, lake: Lake, policy: Policy, customer_id: str, on: date) -> list[dict[str, Any]]:
    """Per product: may the customer be called on ``on`` under ``policy``, and every reason code if not.

    Empty when the lake does not know the customer (or has no products).
    """
    if not lake.has("products"):
        return []
    view = _OneCustomer(lake, session, customer_id)
    if view.table("customers").count().execute() == 0:
        return []
    products = to_pandas(lake.table("products").order_by("product_id"))
    products = products.astype(object).where(products.notna(), None)
    out = []
    for record in products.to_dict("records"):
        product = {str(k): v for k, v in record.items()}
        verdicts = evaluate_customers(view, policy, product, None, on, on)
        reasons = verdicts.reasons.iloc[0] if len(verdicts.reasons) else None
        codes = reasons.split("|") if isinstance(reasons, str) else []
        out.append(
            {
                "product_id": product["product_id"],
                "category": product.get("category"),
                "eligible": not codes,
                "reasons": codes,
                "attempts_left": int(verdicts.frame["attempts_left"].iloc[0]) if len(verdicts.frame) else None,
                "non_personalised": bool(verdicts.frame["non_personalised"].iloc[0]) if len(verdicts.frame) else False,
            }
        )
    return out


class _OneCustomer(Lake):
    """The lake as the policy sees it for one customer: their rows only, with the operational DB's state and
    outcomes in ``ops_customer_state`` / ``ops_contacts`` as ``export_policy_state`` would write them."""

    def __init__(self, lake: Lake, session: Session, customer_id: str) -> None:
        super().__init__(lake.root, lake.engine, lake.threads, lake.memory_limit, lake.spill_dir)
        self._base, self._cid = lake, customer_id
        self.__dict__["con"] = lake.con  # the same connection: the narrowed tables are the lake's own
        self._ops = _ops_tables(session, customer_id)

    def has(self, name: str) -> bool:
        return name in self._ops or self._base.has(name)

    def table(self, name: str) -> ir.Table:
        if name in self._ops:
            return self._ops[name]
        t = self._base.table(name)
        if name in _BY_CUSTOMER and "customer_id" in t.columns:
            return t.filter(t.customer_id.cast("string") == self._cid)
        return t


def _ops_tables(session: Session, customer_id: str) -> dict[str, ir.Table]:
    """This customer's live state and recorded outcomes as the overlay's two tables (none if not in the DB)."""
    c = session.get(Customer, customer_id)
    if c is None:
        return {}
    state = pa.Table.from_pylist(
        [
            {
                "customer_id": customer_id,
                "dnc": bool(c.dnc),
                "consent_marketing": bool(c.consent_marketing),
                "erased": c.erased_at is not None,
            }
        ],
        schema=STATE_SCHEMA,
    )
    outcomes = pd.DataFrame(
        session.execute(
            select(
                CallOutcome.outcome_id,
                CallOutcome.campaign_id,
                CallOutcome.customer_id,
                CallOutcome.product_id,
                CallOutcome.ts,
                CallOutcome.disposition,
                CallOutcome.duration_s,
            ).where(CallOutcome.customer_id == customer_id)
        ).all(),
        columns=["outcome_id", "campaign_id", "customer_id", "product_id", "ts", "disposition", "duration_s"],
    )
    outcomes["timezone"] = c.timezone
    tables = {"ops_customer_state": ibis.memtable(state)}
    if len(outcomes):
        tables["ops_contacts"] = ibis.memtable(overlay_contacts(outcomes))
    return tables
