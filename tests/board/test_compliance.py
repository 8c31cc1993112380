"""The compliance page's data: exclusions from issued lists' funnels, policy changes by day, the policy in force
and its history, the audit viewer (paged, filtered, PII scrubbed) and the chain check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from callwise.board import compliance as c
from callwise.ops import audit
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList, PolicyEvent
from callwise.policy import default_policy

TZ = "Asia/Shanghai"


def _list(s, campaign: str, at: datetime, funnel: list[tuple[str, int]], sha: str = "a" * 64) -> None:
    if s.get(Campaign, campaign) is None:
        s.add(Campaign(campaign_id=campaign, name=campaign, product_id="P1", spec={}, created_by="t"))
        s.flush()
    steps, remaining = [{"step": "customers", "removed": 0, "remaining": 100}], 100
    for step, removed in funnel:
        remaining -= removed
        steps.append({"step": step, "removed": removed, "remaining": remaining})
    s.add(IssuedList(campaign_id=campaign, issued_at=at, issued_by="t", policy_sha256=sha, summary={"funnel": steps}))


def test_exclusions_are_summed_per_local_day_and_reason(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        # 2026-11-30 17:00 UTC is 12-01 01:00 in Shanghai: it counts for December the first.
        _list(s, "A", datetime(2026, 11, 30, 17, 0, tzinfo=UTC), [("dnc", 3), ("no_consent", 5), ("under_age", 0)])
        _list(s, "B", datetime(2026, 12, 1, 2, 0, tzinfo=UTC), [("dnc", 2), ("control_group", 7)])
        _list(s, "A", datetime(2026, 11, 29, 2, 0, tzinfo=UTC), [("dnc", 11)])
    with factory() as s:
        rows = c.exclusions_by_day(s, date(2026, 12, 1), date(2026, 12, 1), TZ)
        only_b = c.exclusions_by_day(s, date(2026, 12, 1), date(2026, 12, 1), TZ, campaign="B")
        week = c.exclusions_by_day(s, date(2026, 11, 25), date(2026, 12, 1), TZ)
    day = date(2026, 12, 1)
    assert rows == [
        {"day": day, "reason": "control_group", "customers": 7},
        {"day": day, "reason": "dnc", "customers": 5},
        {"day": day, "reason": "no_consent", "customers": 5},
    ]
    assert {r["reason"] for r in only_b} == {"dnc", "control_group"}
    assert c.exclusion_totals(week)[0] == {"reason": "dnc", "customers": 16}


def test_policy_changes_are_counted_per_day_and_kind(db_engine):
    factory = session_factory(db_engine)
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with transaction(factory) as s:
        for kind, n in (("dnc", 3), ("consent_withdrawn", 2), ("consent_granted", 1)):
            for i in range(n):
                s.add(PolicyEvent(customer_id=f"C{i}", kind=kind, ts=at, source="api", actor="t"))
        s.add(PolicyEvent(customer_id="C9", kind="dnc", ts=at - timedelta(days=10), source="api", actor="t"))
    with factory() as s:
        rows = c.policy_changes_by_day(s, date(2026, 11, 28), date(2026, 12, 1), TZ)
    assert {(r["kind"], r["events"]) for r in rows} == {("dnc", 3), ("consent_withdrawn", 2), ("consent_granted", 1)}


def test_the_policy_in_force_with_its_audited_history_and_the_lists_it_built(db_engine):
    from callwise.loop import load_followup_rules
    from callwise.wiring import record_rules_in_force

    factory = session_factory(db_engine)
    policy = default_policy()
    assert record_rules_in_force(factory, policy, load_followup_rules(None))
    with transaction(factory) as s:
        _list(s, "A", datetime(2026, 12, 1, 2, 0, tzinfo=UTC), [("dnc", 1)], sha=policy.sha256)
        _list(s, "A", datetime(2026, 12, 2, 2, 0, tzinfo=UTC), [("dnc", 1)], sha=policy.sha256)
    with factory() as s:
        found = c.policy_in_force(s, policy)
    assert found.sha256 == policy.sha256 and len(found.sha256) == 64
    assert found.history[0]["sha256"] == policy.sha256 and found.history[0]["name"] == policy.name
    assert found.lists == [
        {"sha256": policy.sha256, "lists": 2, "first": found.lists[0]["first"], "last": found.lists[0]["last"]}
    ]


def _entries(factory) -> None:
    with transaction(factory) as s:
        audit.append(s, "alice", "pii.reveal", "customer:C1", {"reason": "call back 13800138001"}, "10.0.0.1")
        audit.append(s, '=HYPERLINK("http://x")', "login.failed", "user:13900139002", {}, "10.0.0.2")
        for i in range(5):
            audit.append(s, "bob", "customers.lookup", f"customer:C{i}", {"digest": "ab" * 32}, None)


def test_the_audit_viewer_pages_filters_and_never_shows_a_phone(db_engine):
    factory = session_factory(db_engine)
    _entries(factory)
    with factory() as s:
        rows, total = c.audit_page(s, c.AuditQuery(page_size=3), TZ)
        second, _ = c.audit_page(s, c.AuditQuery(page=3, page_size=3), TZ)
        bobs, bob_total = c.audit_page(s, c.AuditQuery(actor="bob"), TZ)
        reveals, _ = c.audit_page(s, c.AuditQuery(action="pii.reveal"), TZ)
        today = datetime.now(UTC).date()
        none, none_total = c.audit_page(s, c.AuditQuery(date_to=today - timedelta(days=3)), TZ)
        actions = c.audit_actions(s)
    assert total == 7 and [r["entry_id"] for r in rows] == [7, 6, 5] and [r["entry_id"] for r in second] == [1]
    assert bob_total == 5 and {r["actor"] for r in bobs} == {"bob"}
    assert none == [] and none_total == 0
    assert actions == ["customers.lookup", "login.failed", "pii.reveal"]
    shown = str(rows + second + bobs + reveals)
    assert "13800138001" not in shown and "13900139002" not in shown
    assert "call back ***********" in reveals[0]["detail"]
    assert "ab" * 32 in bobs[0]["detail"]  # a digest is not a phone: it stays readable


def test_scrub_stars_phones_and_id_numbers_written_any_way():
    for value in ("13800138001", "+86 138-0013-8001", "110101199003077715", "11010119900307771X", "138 0013 8001"):
        assert c.scrub(f"x {value} y").count("*") >= 11, value
    assert c.scrub("list:12345 campaign:2026-12") == "list:12345 campaign:2026-12"


def test_verify_reports_ok_then_the_first_tampered_entry(db_engine):
    factory = session_factory(db_engine)
    _entries(factory)
    with factory() as s:
        assert c.verify_chain(s).ok
    with transaction(factory) as s:
        s.execute(update(AuditEntry).where(AuditEntry.entry_id == 4).values(actor="mallory"))
    with factory() as s:
        report = c.verify_chain(s)
    assert not report.ok and report.first_bad_id == 4 and report.code == "edited"
