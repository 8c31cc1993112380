"""The audit log: appended in order under concurrency, and any edit, deletion or truncation is found."""

import threading

from sqlalchemy import delete, select, update

from callwise.ops import audit
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry


def _fill(engine, n: int) -> None:
    factory = session_factory(engine)
    for i in range(n):
        with transaction(factory) as s:
            audit.append(s, "alice", "pii.reveal", f"customer:C{i}", {"field": "phone", "n": i}, "10.0.0.1")


def _verify(engine):
    with session_factory(engine)() as s:
        return audit.verify(s)


def test_a_clean_log_verifies_and_counts_every_entry(db_engine):
    _fill(db_engine, 5)
    report = _verify(db_engine)
    assert report.ok and report.checked == 5
    assert "5" in report.message("zh") and "5" in report.message("en")


def test_concurrent_appends_form_one_unbroken_chain(db_engine):
    factory = session_factory(db_engine)
    errors = []

    def writer(name: str) -> None:
        try:
            for i in range(10):
                with transaction(factory) as s:
                    audit.append(s, name, "login", None, {"i": i})
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"user{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = _verify(db_engine)
    assert report.ok and report.checked == 40


def test_an_edited_entry_is_found(db_engine):
    _fill(db_engine, 5)
    with transaction(session_factory(db_engine)) as s:
        s.execute(update(AuditEntry).where(AuditEntry.entry_id == 3).values(target="customer:SOMEONE_ELSE"))
    report = _verify(db_engine)
    assert not report.ok and report.first_bad_id == 3 and report.code == "edited"


def test_a_deleted_entry_in_the_middle_is_found(db_engine):
    _fill(db_engine, 5)
    with transaction(session_factory(db_engine)) as s:
        s.execute(delete(AuditEntry).where(AuditEntry.entry_id == 2))
    report = _verify(db_engine)
    assert not report.ok and report.first_bad_id == 2 and report.code == "gap"


def test_deleting_the_newest_entries_is_found(db_engine):
    _fill(db_engine, 5)
    with transaction(session_factory(db_engine)) as s:
        s.execute(delete(AuditEntry).where(AuditEntry.entry_id >= 4))
    report = _verify(db_engine)
    assert not report.ok and report.code == "truncated" and report.first_bad_id == 4
    assert "3" in report.message("zh") and "5" in report.message("zh")


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_entry(db_engine):
    """Recomputing the edited entry's own hash does not help: the next entry links to the old hash."""
    from callwise.security.audit_chain import entry_hash

    _fill(db_engine, 4)
    with transaction(session_factory(db_engine)) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entry_id == 2)).one()
        entry.detail = {"field": "name", "n": 1}
        record = {k: getattr(entry, c) for k, c in (("id", "entry_id"), ("ts", "ts"), ("actor", "actor"))}
        record |= {"action": entry.action, "target": entry.target, "detail": entry.detail, "ip": entry.ip}
        entry.hash = entry_hash(entry.prev_hash, record)
    report = _verify(db_engine)
    assert not report.ok and report.first_bad_id == 3 and report.code == "broken_link"
