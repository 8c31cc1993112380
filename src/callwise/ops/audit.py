"""The audit log in the operational DB: appended under a lock on its head, verified end to end.

Logins, permission changes, PII reveals, exports, erasures, list builds, policy and model changes are
written here in the same transaction as the change they record, so neither exists without the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Text, cast, select, update
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.i18n import t
from callwise.ops.models import AuditEntry, AuditHead
from callwise.security.audit_chain import GENESIS, ChainReport, entry_hash, verify_chain


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
    entry.hash = entry_hash(head.last_hash, _record(entry, entry.detail))
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.head_id == 1).values(last_hash=entry.hash))
    session.flush()
    return entry


def lock_head(session: Session) -> None:
    """Take the chain's lock until commit without appending, for a check that counts entries before it appends:
    every entry committed before it is then seen, and none can be added between the count and the append."""
    session.execute(update(AuditHead).where(AuditHead.head_id == 1).values(last_entry_id=AuditHead.last_entry_id))


class _Unreadable(Exception):
    """An entry whose stored detail is not JSON: the walk stops there, with every entry before it intact."""

    def __init__(self, entry_id: int, problem: str, checked: int, head_hash: str) -> None:
        super().__init__(problem)
        self.entry_id, self.problem, self.checked, self.head_hash = entry_id, problem, checked, head_hash


def verify(session: Session) -> ChainReport:
    """Re-hash the whole log in id order; also catches the newest entries deleted (the head points past them).
    An entry that cannot be read (its detail is not JSON) and a missing head are findings, not exceptions."""
    # The detail is read as text and parsed here, so one broken row is a finding that names it, not an error
    # from the driver in the middle of the walk.
    columns = [c for c in AuditEntry.__table__.columns if c.key != "detail"]
    query = select(*columns, cast(AuditEntry.detail, Text).label("detail")).order_by(AuditEntry.entry_id)
    rows = session.execute(query.execution_options(yield_per=1000))
    try:
        report = verify_chain(_records(rows))
    except _Unreadable as bad:
        values = {"id": bad.entry_id, "problem": bad.problem}
        reason = t("security.audit.malformed", "en", **values)
        return ChainReport(False, bad.checked, bad.entry_id, reason, "malformed", bad.head_hash, values)
    finally:
        rows.close()  # a break found early leaves the server-side cursor open otherwise
    if not report.ok:
        return report
    head = session.execute(select(AuditHead.last_entry_id, AuditHead.last_hash).where(AuditHead.head_id == 1)).first()
    if head is None:
        reason = t("security.audit.no_head", "en")
        return ChainReport(False, report.checked, None, reason, "no_head", report.head_hash)
    if head.last_entry_id != report.checked or head.last_hash != report.head_hash:
        values = {"checked": report.checked, "head": head.last_entry_id}
        reason = t("security.audit.truncated", "en", **values)
        return ChainReport(False, report.checked, report.checked + 1, reason, "truncated", report.head_hash, values)
    return report


def _records(rows: Any) -> Iterator[dict[str, Any]]:
    """The rows as the chain's records; ``_Unreadable`` at the first detail that is not JSON."""
    checked, head_hash = 0, GENESIS
    for row in rows:
        try:
            detail = None if row.detail is None else json.loads(row.detail)
        except ValueError as error:
            where = f" at character {error.pos}" if isinstance(error, json.JSONDecodeError) else ""
            raise _Unreadable(row.entry_id, f"its detail is not valid JSON{where}", checked, head_hash) from None
        yield {**_record(row, detail), "prev_hash": row.prev_hash, "hash": row.hash}
        checked, head_hash = checked + 1, row.hash  # the chain asks for the next one only if this one was intact


def _record(entry: Any, detail: Any) -> dict[str, Any]:
    """The hashed fields of an entry (an ``AuditEntry`` or a row of its columns), with its detail parsed."""
    return {
        "id": entry.entry_id,
        "ts": entry.ts,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": detail,
        "ip": entry.ip,
    }
