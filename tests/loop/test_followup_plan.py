"""Planning follow-ups from one outcome: the rules, the contact policy's gate, legal hours, stable keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callwise.loop.followups import OutcomeFacts, load_followup_rules, plan_followups, plan_with_reasons
from callwise.policy import default_policy, load_policy

RULES = load_followup_rules()
POLICY = default_policy()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def outcome(disposition: str = "interested", ts: datetime | None = None, **changes) -> OutcomeFacts:
    fields = {
        "customer_id": "C000101",
        "timezone": "Asia/Shanghai",
        "disposition": disposition,
        "ts": ts or local(2026, 7, 1, 14, 0),  # a Wednesday afternoon
        "dnc": False,
        "consent": True,
        "product_id": "W1",
        "product_category": "wealth",
    }
    fields.update(changes)
    return OutcomeFacts(**fields)


def plan(facts: OutcomeFacts, now: datetime | None = None, policy=POLICY):
    return plan_followups(RULES, facts, policy, now or facts.ts)


def by_rule(actions) -> dict:
    return {a.rule_id: a for a in actions}


def test_interested_gets_the_link_next_morning_and_a_call_in_three_days():
    facts = outcome()
    actions = by_rule(plan(facts))
    assert set(actions) == {"interested-sms-risk-rated", "interested-callback"}
    sms, call = actions["interested-sms-risk-rated"], actions["interested-callback"]
    assert (sms.channel, sms.template, sms.due_at) == ("sms", "product_link_risk", local(2026, 7, 2, 9, 30))
    assert (call.channel, call.template, call.due_at) == ("call", "callback_interested", local(2026, 7, 4, 14, 0))
    assert not sms.moved and not call.moved
    assert sms.customer_id == "C000101" and sms.product_id == "W1"
    assert sms.due_at.tzinfo is UTC


def test_product_conditions_pick_the_template():
    deposit = by_rule(plan(outcome(product_id="D1", product_category="deposit")))
    assert deposit["interested-sms"].template == "product_link" and "interested-sms-risk-rated" not in deposit
    unknown = by_rule(plan(outcome(product_id=None, product_category=None)))
    assert set(unknown) == {"interested-callback"}  # no product, no link to send


def test_a_call_that_would_run_into_quiet_hours_moves_to_the_next_morning():
    actions = by_rule(plan(outcome(ts=local(2026, 7, 1, 20, 30))))
    call = actions["interested-callback"]
    assert call.due_at == local(2026, 7, 5, 9, 0) and call.moved  # 20:30 + 1 h slot would cross 21:00


def test_callback_at_the_customers_time_or_the_next_legal_hour():
    asked = local(2026, 7, 2, 15, 0)
    [call] = plan(outcome("callback_requested", callback_at=asked))
    assert (call.channel, call.template, call.due_at, call.moved) == ("call", "callback_requested", asked, False)
    [none] = plan(outcome("callback_requested"))
    assert none.due_at == local(2026, 7, 1, 15, 0)
    [late] = plan(outcome("callback_requested", ts=local(2026, 7, 1, 20, 40)))
    assert late.due_at == local(2026, 7, 2, 9, 0) and late.moved  # next hour, 21:00, is quiet
    [soon] = plan(outcome("callback_requested", callback_at=local(2026, 7, 1, 14, 5)))
    assert soon.due_at == local(2026, 7, 1, 15, 0)


def test_a_callback_the_customer_asked_for_in_quiet_hours_is_still_moved_out():
    [call] = plan(outcome("callback_requested", callback_at=local(2026, 7, 1, 22, 30)))
    assert call.due_at == local(2026, 7, 2, 9, 0) and call.moved
    [early] = plan(outcome("callback_requested", callback_at=local(2026, 7, 2, 7, 0)))
    assert early.due_at == local(2026, 7, 2, 9, 0)


def test_converted_gets_thanks_within_the_hour_but_inside_legal_hours():
    [day] = plan(outcome("converted", ts=local(2026, 7, 1, 10, 0)))
    assert (day.channel, day.template, day.due_at) == ("sms", "thank_you", local(2026, 7, 1, 10, 15))
    [evening] = plan(outcome("converted", ts=local(2026, 7, 1, 20, 50)))
    assert evening.due_at == local(2026, 7, 2, 9, 0) and evening.moved


@pytest.mark.parametrize("disposition", ["refused", "dnc_requested", "wrong_number", "no_answer", "busy", "answered"])
def test_no_follow_up_for_these(disposition):
    assert plan_with_reasons(RULES, outcome(disposition), POLICY, local(2026, 7, 1, 14, 0)).actions == []


def test_a_complaint_makes_a_supervisor_task_that_no_gate_holds_back():
    facts = outcome("complaint", ts=local(2026, 7, 1, 23, 10), dnc=True, consent=False, timezone="Nowhere/Land")
    [task] = plan(facts)
    assert (task.channel, task.template, task.due_at, task.moved) == (
        "task",
        "complaint_review",
        local(2026, 7, 1, 23, 10),
        False,
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"dnc": True}, "dnc"),
        ({"consent": False}, "no_consent"),
        ({"dnc": True, "consent": False}, "dnc"),
        ({"timezone": "Mars/Olympus"}, "unknown_timezone"),
        ({"timezone": ""}, "unknown_timezone"),
    ],
)
def test_the_gate_stops_every_marketing_follow_up_with_a_reason(changes, reason):
    result = plan_with_reasons(RULES, outcome(**changes), POLICY, local(2026, 7, 1, 14, 0))
    assert result.actions == []
    assert {(s.rule_id, s.channel, s.reason) for s in result.suppressed} == {
        ("interested-sms-risk-rated", "sms", reason),
        ("interested-callback", "call", reason),
    }
    assert plan(outcome(**changes)) == []


def test_closed_days_push_calls_and_messages_to_the_next_open_morning(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "name: b\nversion: 1\nrules:\n  closed_days:\n    weekdays: [sat, sun]\n    dates: ['2026-07-06']\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    actions = by_rule(plan(outcome(), policy=policy))
    assert actions["interested-callback"].due_at == local(2026, 7, 7, 9, 0)  # Sat, Sun and Mon 6 July closed
    assert actions["interested-callback"].moved
    assert actions["interested-sms-risk-rated"].due_at == local(2026, 7, 2, 9, 30)  # Thursday is open


def test_a_bank_that_widens_its_quiet_hours_is_followed(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("name: b\nversion: 1\nrules:\n  quiet_hours: {start: '20:00', end: '10:00'}\n", encoding="utf-8")
    [sms] = plan(outcome("converted", ts=local(2026, 7, 1, 19, 50)), policy=load_policy(path))
    assert sms.due_at == local(2026, 7, 2, 10, 0) and sms.moved


def test_no_legal_time_for_months_is_a_reason_not_a_silent_drop(tmp_path):
    days = [date(2026, 7, 1) + timedelta(days=i) for i in range(90)]
    path = tmp_path / "policy.yaml"
    path.write_text(
        "name: b\nversion: 1\nrules:\n  closed_days:\n    dates: [" + ", ".join(f"'{d}'" for d in days) + "]\n",
        encoding="utf-8",
    )
    result = plan_with_reasons(RULES, outcome(), load_policy(path), local(2026, 7, 1, 14, 0))
    assert {s.reason for s in result.suppressed} == {"no_legal_time"} and result.actions == []


def test_legal_hours_are_read_on_the_customers_clock():
    new_york = ZoneInfo("America/New_York")
    facts = outcome("converted", ts=local(2026, 7, 1, 20, 55, tz=new_york), timezone="America/New_York")
    [sms] = plan(facts)
    assert sms.due_at == local(2026, 7, 2, 9, 0, tz=new_york)  # 13:00 UTC in summer time


def test_nothing_is_due_before_now():
    facts = outcome("converted", ts=local(2026, 7, 1, 10, 0))
    now = local(2026, 7, 3, 11, 0)
    [sms] = plan(facts, now=now)
    assert sms.due_at == now
    night = local(2026, 7, 3, 23, 0)
    [sms] = plan(facts, now=night)
    assert sms.due_at == local(2026, 7, 4, 9, 0)


def test_dedupe_keys_are_stable_per_outcome_and_rule():
    facts = outcome()
    first = plan(facts)
    again = plan(outcome(), now=facts.ts + timedelta(hours=5))
    assert [a.dedupe_key for a in first] == [a.dedupe_key for a in again]
    assert len({a.dedupe_key for a in first}) == len(first)
    assert all(a.dedupe_key.startswith("fu:") and len(a.dedupe_key) == 35 for a in first)
    other_time = plan(outcome(ts=facts.ts + timedelta(minutes=1)))
    assert not {a.dedupe_key for a in first} & {a.dedupe_key for a in other_time}
    other_customer = plan(outcome(customer_id="C000102"))
    assert not {a.dedupe_key for a in first} & {a.dedupe_key for a in other_customer}


def test_keys_ignore_sub_second_digits_a_store_may_drop():
    facts = outcome(ts=local(2026, 7, 1, 14, 0) + timedelta(microseconds=123_456))
    assert [a.dedupe_key for a in plan(facts)] == [a.dedupe_key for a in plan(outcome())]


def test_an_outcome_id_keeps_keys_when_facts_are_corrected():
    a = plan(outcome(outcome_id="dialer:T1:CL-1"))
    b = plan(outcome(outcome_id="dialer:T1:CL-1", ts=local(2026, 7, 1, 14, 2)))
    c = plan(outcome(outcome_id="dialer:T1:CL-2"))
    assert [x.dedupe_key for x in a] == [x.dedupe_key for x in b]
    assert not {x.dedupe_key for x in a} & {x.dedupe_key for x in c}


def test_times_in_other_zones_are_stored_in_utc():
    facts = outcome(ts=datetime(2026, 7, 1, 14, 0, tzinfo=SHANGHAI))
    assert facts.ts == datetime(2026, 7, 1, 6, 0, tzinfo=UTC) and facts.ts.tzinfo is UTC


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ts": datetime(2026, 7, 1, 14, 0)}, "ts must carry a time zone"),
        ({"ts": "2026-07-01T14:00:00Z"}, "ts must be a datetime"),
        ({"callback_at": datetime(2026, 7, 2, 9, 0)}, "callback_at must carry a time zone"),
        ({"disposition": "intrested"}, "unknown disposition 'intrested'"),
        ({"disposition": None}, "unknown disposition None"),
        ({"consent": "yes"}, "consent must be true or false, not 'yes'"),
        ({"dnc": None}, "dnc must be true or false, not None"),
        ({"dnc": 0}, "dnc must be true or false, not 0"),
        ({"customer_id": ""}, "customer_id must be non-empty text"),
        ({"customer_id": 101}, "customer_id must be non-empty text"),
        ({"product_category": "gold"}, "unknown product category 'gold'"),
        ({"timezone": None}, "timezone must be a zone name"),
        ({"outcome_id": ""}, "outcome_id must be non-empty text or None"),
        ({"outcome_id": 42}, "outcome_id must be non-empty text or None"),
    ],
)
def test_malformed_outcomes_are_refused_with_a_clear_sentence(changes, words):
    with pytest.raises(ValueError, match=words):
        outcome(**changes)


def test_consent_and_dnc_must_be_given():
    with pytest.raises(TypeError, match="consent"):
        OutcomeFacts(
            customer_id="C1", timezone="Asia/Shanghai", disposition="interested", ts=local(2026, 7, 1), dnc=False
        )


def test_now_and_bank_timezone_are_checked():
    with pytest.raises(ValueError, match="now must carry a time zone"):
        plan_followups(RULES, outcome(), POLICY, datetime(2026, 7, 1, 12, 0))
    with pytest.raises(ValueError, match="unknown bank time zone 'Bank/Nowhere'"):
        plan_followups(RULES, outcome(), POLICY, local(2026, 7, 1, 12, 0), bank_timezone="Bank/Nowhere")
