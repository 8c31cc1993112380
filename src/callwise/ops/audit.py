"""The audit log in the operational DB: appended under a lock on its head, verified end to end.

Logins, permission changes, PII reveals, exports, erasures, list builds, policy and model changes are
written here in the same transaction as the change they record, so neither exists without the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callwise.i18n import t
from callwise.ops.models import AuditEntry, AuditHead
from callwise.ops.types import utcnow
from callwise.security.audit_chain import ChainReport, entry_hash, verify_chain


def append(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add one entry at the end of the chain; the caller's transaction commits it with the change it records."""
    # Writing the head first takes its row lock (PostgreSQL) or the write lock (SQLite) until commit, so
    # concurrent appends queue here and each sees the head its predecessor left.
    session.execute(update(AuditHead).where(AuditHead.head_id == 1).values(last_entry_id=AuditHead.last_entry_id + 1))
    head = session.execute(select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.head_id == 1)).one()
    entry = AuditEntry(
        entry_id=head.last_entry_id,
        ts=utcnow(),
        actor=actor,
        action=action,
        target=target,
        detail=dict(detail or {}),
        ip=ip,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(head.last_hash, _record(entry))
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.head_id == 1).values(last_hash=entry.hash))
    session.flush()
    return entry


def lock_head(session: Session) -> None:
    """Take the chain's lock until commit without appending, for a check that counts entries before it appends:
    every entry committed before it is then seen, and none can be added between the count and the append."""
    session.execute(update(AuditHead).where(AuditHead.head_id == 1).values(last_entry_id=AuditHead.last_entry_id))


def verify(session: Session) -> ChainReport:
    """Re-hash the whole log in id order; also catches the newest entries deleted (the head points past them)."""
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.entry_id).execution_options(yield_per=1000))
    try:
        report = verify_chain({**_record(e), "prev_hash": e.prev_hash, "hash": e.hash} for e in entries)
    finally:
        entries.close()  # a break found early leaves the server-side cursor open otherwise
    if not report.ok:
        return report
    head = session.execute(select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.head_id == 1)).one()
    if head.last_entry_id != report.checked or head.last_hash != report.head_hash:
        values = {"checked": report.checked, "head": head.last_entry_id}
        reason = t("security.audit.truncated", "en", **values)
        return ChainReport(False, report.checked, report.checked + 1, reason, "truncated", report.head_hash, values)
    return report


def _record(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.entry_id,
        "ts": entry.ts,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
        "ip": entry.ip,
    }
