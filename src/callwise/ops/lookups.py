"""Finding customers by a phone or ID number: the one guarded path, exact, audited and rate-limited per user.

A look-up by phone answers a question about a PII value (who has this number?). Answered freely, it unmasks a
masked phone: try the 10,000 completions of its hidden digits and see which one names the customer. So every
such query goes through ``lookup_customers``: only a whole value is looked up (normalised as the lake does, then
by keyed hash; masked, partial or wildcard input is refused), every query is audited with the keyed digest of
the value (never the value), and each user gets a number of answers per window, counted from the audit log
itself so that the limit holds across worker processes. See docs/decisions/0012-pii-lookups.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.ingest.normalise import normalise
from callwise.ops import audit
from callwise.ops.models import AuditEntry, Customer
from callwise.ops.users import Principal
from callwise.schema.contract import CUSTOMERS
from callwise.security.pii import Pii

# The PII values a customer can be found by, with the column of their keyed hash and what a whole value is.
KEYS: dict[str, tuple[Any, re.Pattern[str]]] = {
    "phone": (Customer.phone_lookup, re.compile(r"1[3-9]\d{9}")),
    "id_number": (Customer.id_number_lookup, re.compile(r"\d{17}[\dXx]|\d{15}")),
}
WHOLE_VALUE = {
    "phone": "give the whole 11-digit mobile number; masked, partial or wildcard numbers are not looked up",
    "id_number": "give the whole ID number (18 characters, or 15 for an old one); masked or partial ones are not "
    "looked up",
}
ANSWERED, THROTTLED, REFUSED = "customers.lookup", "customers.lookup_throttled", "customers.lookup_refused"


@dataclass(frozen=True)
class LookupLimit:
    """Answered look-ups per user per window; holders of ``pii:read``, who may see the values anyway, get more."""

    per_window: int = 30
    per_window_pii: int = 300
    window: timedelta = timedelta(minutes=10)

    def allowed(self, principal: Principal) -> int:
        return self.per_window_pii if "pii:read" in principal.permissions else self.per_window


@dataclass(frozen=True)
class LookupResult:
    """``ok`` (with the ids), ``invalid`` (not a whole value) or ``throttled``: returned, not raised, so the
    audit entry of a refused look-up commits too."""

    status: Literal["ok", "invalid", "throttled"]
    customer_ids: list[str] = field(default_factory=list)
    problem: str | None = None
    allowed: int = 0
    retry_after_s: int = 0


def lookup_customers(
    session: Session, pii: Pii, key: str, value: str, principal: Principal, ip: str | None, limit: LookupLimit
) -> LookupResult:
    """Customers whose ``key`` (phone or id_number) is ``value``, if the caller has answers left. Caller commits."""
    column, whole = KEYS[key]
    (normalised,), _ = normalise(pa.array([value], pa.string()), CUSTOMERS.column(key))
    text = normalised.as_py()
    if text is None or not whole.fullmatch(text):
        audit.append(session, principal.name, REFUSED, None, {"key": key, "reason": "not_whole"}, ip)
        return LookupResult("invalid", problem=WHOLE_VALUE[key])
    digest = pii.hasher.digest(text)
    detail = {"key": key, "digest": digest.hex()}
    audit.lock_head(session)  # until commit: the count below cannot miss a look-up another process is making
    now = utcnow()
    used, oldest = session.execute(
        select(func.count(), func.min(AuditEntry.ts)).where(
            AuditEntry.actor == principal.name, AuditEntry.action == ANSWERED, AuditEntry.ts >= now - limit.window
        )
    ).one()
    allowed = limit.allowed(principal)
    if used >= allowed:
        audit.append(session, principal.name, THROTTLED, None, detail, ip)
        free_at = (oldest or now) + limit.window
        return LookupResult(
            "throttled", allowed=allowed, retry_after_s=max(1, math.ceil((free_at - now).total_seconds()))
        )
    ids = list(session.scalars(select(Customer.customer_id).where(column == digest).order_by(Customer.customer_id)))
    target = f"customer:{ids[0]}" if len(ids) == 1 else f"customers:{len(ids)}"
    audit.append(session, principal.name, ANSWERED, target, {**detail, "customer_ids": ids}, ip)
    return LookupResult("ok", ids, allowed=allowed)
