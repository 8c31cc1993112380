"""Customers in the operational DB: encrypted contact details, live policy state, PIPL export and erasure.

The lake is where customers come from (``sync_customers``); from then on DNC requests, consent changes,
refusals and complaints arrive here one at a time, and flow back into list builds through
``callwise.ops.overlay``. Phone, name and ID number are stored only encrypted, each bound to its column
and customer, with a keyed hash to find a customer by phone or ID number without decrypting anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.lake import Lake
from callwise.ops import audit
from callwise.ops.db import rows_affected, table_of, transaction
from callwise.ops.models import CallOutcome, Customer, Followup, ListItem, PolicyEvent
from callwise.ops.types import in_future
from callwise.schema.contract import PII_COLUMNS
from callwise.security.masking import mask_id_number_value, mask_name_value, mask_phone_value
from callwise.security.pii import Pii, check_sealed

PII_FIELDS = PII_COLUMNS
# The lake holds the same tokens and look-up hashes as this DB (callwise.security.pii): copied, never decrypted.
SEALED_COLUMNS = ("phone_token", "phone_lookup", "name_token", "id_number_token", "id_number_lookup")
SYNC_COLUMNS = ("customer_id", *SEALED_COLUMNS, "timezone", "status", "dnc", "consent_marketing", "consent_updated_at")


class CustomerNotFound(LookupError):
    pass


class StaleConsent(ValueError):
    """A consent grant dated before the change on record."""


class FutureConsent(ValueError):
    """A consent change dated beyond the clock skew in the future."""


@dataclass(frozen=True)
class SyncReport:
    """read = inserted + updated + skipped (erased customers are never brought back)."""

    read: int
    inserted: int
    updated: int
    skipped: int


def sync_customers(factory: sessionmaker[Session], lake: Lake, batch_rows: int = 20_000) -> SyncReport:
    """Copy the lake's customers in, contact details as the lake's tokens; state set here (DNC, consent) is kept.

    DNC only ever switches on; the lake's consent wins only when it was updated later than the one here.
    """
    table = lake.table("customers")
    check_sealed(table.columns, str(lake.path("customers")))
    columns = [c for c in SYNC_COLUMNS if c in table.columns]
    data = table.select(*columns).to_pyarrow()
    inserted = updated = 0
    for start in range(0, data.num_rows, batch_rows):
        frame = data.slice(start, batch_rows).to_pandas()
        with transaction(factory) as session:
            new, changed = _upsert(session, frame)
        inserted, updated = inserted + new, updated + changed
    return SyncReport(data.num_rows, inserted, updated, data.num_rows - inserted - updated)


def _upsert(session: Session, frame: pd.DataFrame) -> tuple[int, int]:
    c = _columns(frame)
    query = select(Customer.customer_id, Customer.dnc, Customer.consent_updated_at, Customer.erased_at)
    existing = {
        row.customer_id: row for row in session.execute(query.where(Customer.customer_id.in_(c["customer_id"])))
    }
    now = utcnow()
    rows_new, rows_changed = [], []
    for cid, phone, phone_lookup, name, id_number, id_lookup, zone, status, dnc, consent, consent_at in zip(
        *c.values(), strict=True
    ):
        before = existing.get(cid)
        if before is not None and before.erased_at is not None:
            continue  # an erased customer is not brought back by the next sync
        row = {
            "customer_id": cid,
            "phone_enc": phone,
            "phone_lookup": phone_lookup,
            "name_enc": name,
            "id_number_enc": id_number,
            "id_number_lookup": id_lookup,
            "timezone": zone,
            "status": status,
            "synced_at": now,
        }
        if before is None:
            row |= {"dnc": dnc, "dnc_at": now if dnc else None, "consent_marketing": consent}
            rows_new.append(row | {"consent_updated_at": consent_at})
            continue
        if dnc and not before.dnc:
            row |= {"dnc": True, "dnc_at": now}
        if consent_at is not None and (before.consent_updated_at is None or consent_at > before.consent_updated_at):
            row |= {"consent_marketing": consent, "consent_updated_at": consent_at}
        rows_changed.append(row)
    if rows_new:
        session.execute(table_of(Customer).insert(), rows_new)
    if rows_changed:
        session.execute(update(Customer), rows_changed)
    return len(rows_new), len(rows_changed)


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """The lake's columns as plain lists, missing values as None; consent times from local wall clock to UTC."""
    n = len(frame)

    def text(name: str, default: str | None = None) -> list[Any]:
        if name not in frame:
            return [default] * n
        values = frame[name].astype("string").str.strip()
        present = (values != "").fillna(False).astype(bool)
        return [v if ok else default for v, ok in zip(values.astype(object), present, strict=True)]

    def sealed(name: str) -> list[bytes | None]:
        if name not in frame:
            return [None] * n
        return [None if v is None or pd.isna(v) else bytes(v) for v in frame[name].astype(object)]

    def flag(name: str) -> list[bool]:
        return frame[name].fillna(False).astype(bool).tolist() if name in frame else [False] * n

    zones = text("timezone", "Asia/Shanghai")
    return {
        "customer_id": frame["customer_id"].astype(str).tolist(),
        **{name: sealed(name) for name in SEALED_COLUMNS},
        "timezone": zones,
        "status": text("status", "active"),
        "dnc": flag("dnc"),
        "consent": flag("consent_marketing"),
        "consent_at": _utc(frame["consent_updated_at"], zones) if "consent_updated_at" in frame else [None] * n,
    }


def _utc(local: pd.Series, zones: list[str]) -> list[datetime | None]:
    """Lake times are wall-clock times in each customer's zone (the data contract); here they become UTC."""
    naive = pd.to_datetime(local, errors="coerce")
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    by_zone = pd.Series(zones, index=local.index)
    for zone, rows in by_zone.groupby(by_zone).groups.items():
        out[rows] = (
            naive[rows].dt.tz_localize(str(zone), ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        )
    return [None if pd.isna(v) else v.to_pydatetime() for v in out]


def customer_view(
    session: Session, pii: Pii, customer_id: str, reveal: bool, actor: str, ip: str | None, reason: str | None = None
) -> dict[str, Any]:
    """A customer as the API shows it: masked, or in clear when ``reveal`` (the reveal is audited, with the
    ``reason`` the revealer gave when there is one: the dashboard asks for it)."""
    c = _get(session, customer_id)
    clear = {f: pii.open(customer_id, f, getattr(c, f"{f}_enc")) for f in PII_FIELDS}
    if reveal:
        detail: dict[str, Any] = {"fields": list(PII_FIELDS)}
        if reason is not None:
            detail["reason"] = reason
        audit.append(session, actor, "pii.reveal", f"customer:{customer_id}", detail, ip)
        shown = clear
    else:
        shown = {
            "phone": mask_phone_value(clear["phone"]) if clear["phone"] else None,
            "name": mask_name_value(clear["name"]) if clear["name"] else None,
            "id_number": mask_id_number_value(clear["id_number"]) if clear["id_number"] else None,
        }
    return {
        "customer_id": c.customer_id,
        **shown,
        "masked": not reveal,
        "timezone": c.timezone,
        "status": c.status,
        "dnc": c.dnc,
        "consent_marketing": c.consent_marketing,
        "refused_at": c.refused_at,
        "complaint_at": c.complaint_at,
        "erased": c.erased_at is not None,
    }


def set_dnc(
    session: Session, customer_id: str, actor: str, ip: str | None, source: str = "api", note: str | None = None
) -> int:
    """Block a customer for good; every call of theirs still waiting in an issued list is withdrawn."""
    c = _get(session, customer_id)
    now = utcnow()
    c.dnc, c.dnc_at = True, c.dnc_at or now
    session.add(PolicyEvent(customer_id=customer_id, kind="dnc", ts=now, source=source, actor=actor, note=note))
    withdrawn = _withdraw(session, customer_id, "dnc_requested")
    audit.append(
        session, actor, "customer.dnc", f"customer:{customer_id}", {"withdrawn": withdrawn, "source": source}, ip
    )
    return withdrawn


def set_consent(
    session: Session, customer_id: str, granted: bool, at: datetime, actor: str, ip: str | None, source: str = "api"
) -> int:
    """Record consent given or withdrawn (with its time); withdrawing it withdraws the waiting calls.

    A withdrawal takes effect at once whatever time is on record (PIPL Art. 15: as easy to withdraw as to give);
    only a grant older than the change on record is refused, as the newer change stands. A time beyond the clock
    skew in the future is refused: such a grant would outrank every withdrawal made before it.
    """
    if in_future(at):
        raise FutureConsent(f"the consent time {at.isoformat()} lies in the future")
    c = _get(session, customer_id)
    recorded = c.consent_updated_at
    if granted and recorded is not None and at < recorded:
        raise StaleConsent(f"a consent grant dated {at.isoformat()} is older than the change on record")
    # The time on record never goes back, so a sync of older data cannot bring a withdrawn consent back.
    c.consent_marketing, c.consent_updated_at = granted, at if recorded is None else max(at, recorded)
    kind = "consent_granted" if granted else "consent_withdrawn"
    session.add(PolicyEvent(customer_id=customer_id, kind=kind, ts=at, source=source, actor=actor))
    withdrawn = 0 if granted else _withdraw(session, customer_id, "no_consent")
    audit.append(session, actor, f"customer.{kind}", f"customer:{customer_id}", {"withdrawn": withdrawn}, ip)
    return withdrawn


def export_customer(session: Session, pii: Pii, customer_id: str, actor: str, ip: str | None) -> dict[str, Any]:
    """Everything held on a customer, in clear (PIPL access request); audited as an export."""
    c = _get(session, customer_id)
    audit.append(session, actor, "customer.export", f"customer:{customer_id}", {}, ip)
    outcomes = session.scalars(
        select(CallOutcome).where(CallOutcome.customer_id == customer_id).order_by(CallOutcome.ts)
    )
    events = session.scalars(select(PolicyEvent).where(PolicyEvent.customer_id == customer_id).order_by(PolicyEvent.ts))
    followups = session.scalars(select(Followup).where(Followup.customer_id == customer_id).order_by(Followup.due_at))
    items = session.scalars(select(ListItem).where(ListItem.customer_id == customer_id).order_by(ListItem.slot_start))
    return {
        "customer": {**{f: pii.open(customer_id, f, getattr(c, f"{f}_enc")) for f in PII_FIELDS}, **_state(c)},
        "calls_planned": [
            {"list_id": i.list_id, "slot_start": i.slot_start, "product_id": i.product_id, "status": i.status}
            for i in items
        ],
        "call_outcomes": [
            {"ts": o.ts, "campaign_id": o.campaign_id, "disposition": o.disposition, "agent_id": o.agent_id}
            for o in outcomes
        ],
        "policy_events": [{"ts": e.ts, "kind": e.kind, "source": e.source} for e in events],
        "follow_ups": [
            {"due_at": f.due_at, "channel": f.channel, "template": f.template, "status": f.status} for f in followups
        ],
    }


def erase_customer(session: Session, customer_id: str, actor: str, ip: str | None) -> None:
    """PIPL erasure: contact details gone everywhere, never called again; anonymous outcomes kept for totals."""
    c = _get(session, customer_id)
    for field in PII_FIELDS:
        setattr(c, f"{field}_enc", None)
    c.phone_lookup = c.id_number_lookup = None
    c.erased_at = utcnow()
    c.dnc, c.dnc_at = True, c.dnc_at or c.erased_at
    session.execute(
        update(ListItem)
        .where(ListItem.customer_id == customer_id)
        .values(phone_enc=None, phone_masked="****", name_masked=None)
    )
    _withdraw(session, customer_id, "erased")
    session.execute(
        update(Followup)
        .where(Followup.customer_id == customer_id, Followup.status.in_(("pending", "sending")))
        .values(status="cancelled", payload={}, last_error="customer erased")
    )
    audit.append(session, actor, "customer.erase", f"customer:{customer_id}", {}, ip)


def _withdraw(session: Session, customer_id: str, reason: str) -> int:
    result = session.execute(
        update(ListItem)
        .where(ListItem.customer_id == customer_id, ListItem.status == "pending")
        .values(status="withdrawn", status_reason=reason)
    )
    return rows_affected(result)


ID_MAX = 64  # the customer_id column's width: a longer id names nobody


def _get(session: Session, customer_id: str) -> Customer:
    """The customer, or ``CustomerNotFound``; an id no row can have (too long, or with control characters such
    as NUL, which PostgreSQL refuses in text) is not sent to the database."""
    if not customer_id or len(customer_id) > ID_MAX or not customer_id.isprintable():
        raise CustomerNotFound(customer_id[:ID_MAX])
    c = session.get(Customer, customer_id)
    if c is None:
        raise CustomerNotFound(customer_id)
    return c


def _state(c: Customer) -> dict[str, Any]:
    return {
        "customer_id": c.customer_id,
        "timezone": c.timezone,
        "status": c.status,
        "dnc": c.dnc,
        "dnc_at": c.dnc_at,
        "consent_marketing": c.consent_marketing,
        "consent_updated_at": c.consent_updated_at,
        "refused_at": c.refused_at,
        "complaint_at": c.complaint_at,
    }
