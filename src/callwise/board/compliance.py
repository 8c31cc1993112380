"""What a compliance officer reads each morning: who was left off lists and why, DNC and consent changes, the
contact policy in force (and since when), and the audit log with its chain check.

Library only (no web): the page formats these rows. Every row comes from the operational DB: exclusions from
the funnels frozen in ``issued_lists.summary`` (the list as it left, not a rebuild), policy changes from
``policy_events``, the policy's history from the service's ``policy.in_force`` audit entries and the hash each
issued list records. Audit rows pass through :func:`scrub` so a value typed into a free-text field (a user name
at a failed login, a reveal's reason) cannot show a phone or ID number in the viewer or an export.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.ops import audit
from callwise.ops.models import AuditEntry, IssuedList, PolicyEvent
from callwise.policy import Policy
from callwise.security.audit_chain import ChainReport

IN_FORCE = "policy.in_force"  # written by callwise.wiring.record_rules_in_force at each start with a new policy
AUDIT_PAGE = 50
# Runs of digits long enough to be a phone (11) or an ID number (15/18, last may be X); shorter ids stay readable.
# A digest may lose a stretch to it: harmless on a page, where a leaked number would not be.
_PII_LIKE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?\d(?:[\s-]?\d){10,16}[\dXx]?(?!\d)")


def local_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """``[start 00:00, end+1 00:00)`` on the bank's clock, as UTC instants for the DB's timestamps."""
    zone = ZoneInfo(tz)
    low = datetime.combine(start, time.min, zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return low, high


def local_day(ts: datetime, tz: str) -> date:
    aware = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).date()


def exclusions_by_day(
    session: Session, start: date, end: date, tz: str, campaign: str | None = None
) -> list[dict[str, Any]]:
    """Customers left off issued lists per local day and reason code (the lists' frozen funnels), day order."""
    low, high = local_bounds(start, end, tz)
    query = select(IssuedList.issued_at, IssuedList.summary).where(
        IssuedList.issued_at >= low, IssuedList.issued_at < high
    )
    if campaign:
        query = query.where(IssuedList.campaign_id == campaign)
    counts: Counter[tuple[date, str]] = Counter()
    for issued_at, summary in session.execute(query):
        day = local_day(issued_at, tz)
        for step in (summary or {}).get("funnel") or []:
            if step.get("step") != "customers" and int(step.get("removed") or 0) > 0:
                counts[(day, str(step["step"]))] += int(step["removed"])
    return [{"day": d, "reason": r, "customers": n} for (d, r), n in sorted(counts.items())]


def exclusion_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rows summed over the days, largest reason first."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals[row["reason"]] += row["customers"]
    return [{"reason": r, "customers": n} for r, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def policy_changes_by_day(session: Session, start: date, end: date, tz: str) -> list[dict[str, Any]]:
    """DNC requests, consents given and withdrawn (every ``policy_events`` kind) per local day."""
    low, high = local_bounds(start, end, tz)
    query = (
        select(PolicyEvent.ts, PolicyEvent.kind)
        .where(PolicyEvent.ts >= low, PolicyEvent.ts < high)
        .execution_options(yield_per=5000)
    )
    counts: Counter[tuple[date, str]] = Counter()
    for ts, kind in session.execute(query):
        counts[(local_day(ts, tz), kind)] += 1
    return [{"day": d, "kind": k, "events": n} for (d, k), n in sorted(counts.items())]


@dataclass(frozen=True)
class PolicyInForce:
    """The policy this service runs with, and each policy that was in force before (newest first)."""

    name: str
    version: str
    sha256: str
    source: str
    history: list[dict[str, Any]]  # since, name, version, sha256, source (from the policy.in_force entries)
    lists: list[dict[str, Any]]  # sha256, lists, first, last (issued lists by the policy that built them)


def policy_in_force(session: Session, policy: Policy | None) -> PolicyInForce:
    """The running policy (``policy`` as the service loaded it) with its audited history and use by lists."""
    history = []
    entries = session.execute(
        select(AuditEntry.entry_id, AuditEntry.ts, AuditEntry.detail)
        .where(AuditEntry.action == IN_FORCE)
        .order_by(AuditEntry.entry_id.desc())
        .limit(200)
    )
    for entry_id, ts, detail in entries:
        p = (detail or {}).get("policy") or {}
        history.append(
            {
                "since": ts,
                "entry_id": entry_id,
                "name": p.get("name"),
                "version": p.get("version"),
                "sha256": p.get("sha256"),
                "source": p.get("source"),
            }
        )
    used = session.execute(
        select(
            IssuedList.policy_sha256,
            func.count(),
            func.min(IssuedList.issued_at),
            func.max(IssuedList.issued_at),
        )
        .group_by(IssuedList.policy_sha256)
        .order_by(func.max(IssuedList.issued_at).desc())
    )
    lists = [{"sha256": sha, "lists": n, "first": first, "last": last} for sha, n, first, last in used]
    current = policy.audit() if policy is not None else (history[0] if history else {})
    return PolicyInForce(
        name=str(current.get("name") or ""),
        version=str(current.get("version") or ""),
        sha256=str(current.get("sha256") or ""),
        source=str(current.get("source") or ""),
        history=history,
        lists=lists,
    )


@dataclass(frozen=True)
class AuditQuery:
    """The audit viewer's filters (all optional) and page; dates are local days of the bank's clock."""

    action: str | None = None
    actor: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    page_size: int = AUDIT_PAGE


def audit_page(session: Session, q: AuditQuery, tz: str) -> tuple[list[dict[str, Any]], int]:
    """One page of the audit log, newest first, scrubbed of anything PII-like; and the count of all matching."""
    where = []
    if q.action:
        where.append(AuditEntry.action == q.action)
    if q.actor:
        where.append(AuditEntry.actor == q.actor)
    if q.date_from or q.date_to:
        low, high = local_bounds(q.date_from or date(1970, 1, 1), q.date_to or date(9999, 12, 30), tz)
        where += [AuditEntry.ts >= low, AuditEntry.ts < high]
    total = int(session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0)
    offset = (max(q.page, 1) - 1) * q.page_size
    rows = session.execute(
        select(AuditEntry).where(*where).order_by(AuditEntry.entry_id.desc()).offset(offset).limit(q.page_size)
    ).scalars()
    return [audit_row(e) for e in rows], total


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the viewer shows it: detail as compact JSON; actor, target and detail scrubbed."""
    detail = json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ": "))
    return {
        "entry_id": entry.entry_id,
        "ts": entry.ts,
        "actor": scrub(entry.actor),
        "action": entry.action,
        "target": scrub(entry.target),
        "detail": scrub(detail),
        "ip": entry.ip,
        "hash": entry.hash[:12],
    }


def campaign_ids(session: Session) -> list[str]:
    """The campaigns lists were issued for, for the page's campaign filter."""
    return list(session.scalars(select(IssuedList.campaign_id).distinct().order_by(IssuedList.campaign_id)))


def audit_actions(session: Session) -> list[str]:
    """The actions the log holds, for the viewer's filter."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def scrub(text: str | None) -> str | None:
    """``text`` with every phone- or ID-number-like run of digits replaced by its length in stars."""
    if text is None:
        return None
    return _PII_LIKE.sub(lambda m: "*" * len(m.group(0)), text)


def verify_chain(session: Session) -> ChainReport:
    """The whole chain re-hashed, exactly as ``callwise audit verify`` and ``GET /audit/verify`` do it."""
    return audit.verify(session)
