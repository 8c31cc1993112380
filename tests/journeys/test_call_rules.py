"""A journey's call keeps the policy's per-call rules: closed days, the minimum gap and the phone number's daily
limit make the step wait; the campaign attempts cap refuses. Each at its boundary, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from callwise.journeys.definition import journey_from_bytes, journey_from_json
from callwise.journeys.gate import Counts, CustomerState, TableFacts, decide
from callwise.journeys.store import enter, save_journey
from callwise.ops.db import transaction
from callwise.ops.models import CallOutcome, Customer, JourneyAction, JourneyInstance
from callwise.policy.config import Policy, default_policy
from callwise.policy.rules import ClosedDays, MinGap, PhoneDailyLimit
from tests.journeys.conftest import MORNING, Clock, make_worker

# MORNING is Tuesday 2026-12-01 10:00 in Shanghai.
RING = """
id: ring
name: {zh: 来电, en: Ring}
entry:
  moment: [deposit_maturing]
steps:
  - id: call
    action: {channel: call, template: call_script}
    next: done
  - id: done
    exit: completed
""".encode()
NUMBER = b"n" * 32


def _policy(**rules: object) -> Policy:
    p = default_policy()
    return p.model_copy(update={"rules": p.rules.model_copy(update=rules)})


def _customer(factory, customer_id: str, timezone: str = "Asia/Shanghai", phone: bytes | None = None) -> None:
    with transaction(factory) as session:
        session.add(Customer(customer_id=customer_id, timezone=timezone, consent_marketing=True, phone_lookup=phone))


def _called(factory, customer_id: str, at: datetime, campaign_id: str | None = None) -> None:
    with transaction(factory) as session:
        key = f"{customer_id}-{at.isoformat()}-{campaign_id}"
        session.add(
            CallOutcome(
                idempotency_key=key, customer_id=customer_id, campaign_id=campaign_id, ts=at, disposition="no_answer"
            )
        )


def _run(factory, outbox_dir, policy: Policy, customer_id: str = "c1", facts=None, journey=None, at=MORNING):
    save_journey(factory, journey or journey_from_bytes(RING, "ring.yaml"), "test")
    clock = Clock(at)
    worker = make_worker(factory, outbox_dir, clock, facts=facts)
    worker.policy, worker.senders = policy, {}  # nothing delivered: queued actions stay queued
    enter(factory, (journey.id if journey else "ring"), [customer_id], at)
    worker.run_once()
    return worker, clock


def _state(factory, customer_id: str = "c1") -> tuple[str, str, datetime, list[tuple[str, str, str | None]]]:
    with factory() as session:
        instance = session.scalars(select(JourneyInstance).where(JourneyInstance.customer_id == customer_id)).one()
        actions = session.execute(
            select(JourneyAction.step_id, JourneyAction.status, JourneyAction.reason)
            .where(JourneyAction.customer_id == customer_id)
            .order_by(JourneyAction.action_id)
        ).all()
        return instance.state, instance.current_step, instance.next_at, [tuple(a) for a in actions]


def test_a_closed_day_waits_until_the_next_open_local_day(factory, outbox_dir):
    policy = _policy(closed_days=ClosedDays(dates=[date(2026, 12, 1)], weekdays=["wed"]))
    _customer(factory, "c1")
    worker, clock = _run(factory, outbox_dir, policy)
    thursday = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Thursday 00:00 in Shanghai
    assert _state(factory) == ("active", "call", thursday, [])
    clock.now = thursday - timedelta(minutes=1)  # still Wednesday locally
    worker.run_once()
    assert _state(factory)[3] == []
    clock.now = thursday  # open, but quiet hours: waits for 09:00
    worker.run_once()
    assert _state(factory)[2] == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    clock.now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    worker.run_once()
    assert _state(factory)[3] == [("call", "queued", None)]


def test_closed_days_are_the_customer_local_days():
    policy = _policy(closed_days=ClosedDays(weekdays=["wed"]))
    now = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Wednesday 01:00 in Shanghai, Tuesday 17:00 in London
    london = CustomerState("Europe/London", consent_marketing=True)
    shanghai = CustomerState("Asia/Shanghai", consent_marketing=True)
    assert decide(policy, "call", now, london, None, Counts()).kind == "go"
    waits = decide(policy, "call", now, shanghai, None, Counts())
    assert (waits.kind, waits.reason, waits.until) == ("wait", "closed_days", datetime(2026, 12, 2, 16, tzinfo=UTC))
    wednesday = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert decide(policy, "sms", wednesday, shanghai, None, Counts()).kind == "go"  # closed days are for calls
    assert decide(policy, "call", wednesday, shanghai, None, Counts()).reason == "closed_days"


def test_the_minimum_gap_waits_until_it_has_passed(factory, outbox_dir):
    policy = _policy(min_gap=MinGap(hours=4.0), phone_daily_limit=PhoneDailyLimit(enabled=False))
    _customer(factory, "c1")
    _customer(factory, "c2")
    _called(factory, "c1", MORNING - timedelta(hours=4) + timedelta(minutes=1))
    _called(factory, "c2", MORNING - timedelta(hours=4))  # exactly the gap: may go
    worker, clock = _run(factory, outbox_dir, policy)
    enter(factory, "ring", ["c2"], MORNING)
    worker.run_once()
    assert _state(factory, "c1") == ("active", "call", MORNING + timedelta(minutes=1), [])
    assert _state(factory, "c2")[3] == [("call", "queued", None)]
    clock.now = MORNING + timedelta(minutes=1)
    worker.run_once()
    assert _state(factory, "c1")[3] == [("call", "queued", None)]


def test_the_minimum_gap_counts_the_lakes_calls_and_calls_queued_for_later(factory, outbox_dir):
    policy = _policy(min_gap=MinGap(hours=4.0), phone_daily_limit=PhoneDailyLimit(enabled=False))
    _customer(factory, "c1")
    lake_call = datetime(2026, 12, 1, 7, 0)  # Shanghai wall clock: 3 h before MORNING
    facts = TableFacts(calls={"c1": [(lake_call, None)]})
    _run(factory, outbox_dir, policy, facts=facts)
    assert _state(factory)[2] == MORNING + timedelta(hours=1)


def test_one_call_per_number_per_local_day_across_customers_sharing_it(factory, outbox_dir):
    policy = _policy(min_gap=MinGap(enabled=False))
    _customer(factory, "a0", "Asia/Shanghai", NUMBER)
    _customer(factory, "c1", "Asia/Shanghai", NUMBER)
    _customer(factory, "c2", "Asia/Shanghai", b"m" * 32)
    _called(factory, "a0", datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 00:00 today on the number's calendar
    _called(factory, "c2", datetime(2026, 11, 30, 15, 59, tzinfo=UTC))  # 23:59 yesterday: another day
    worker, clock = _run(factory, outbox_dir, policy)
    enter(factory, "ring", ["c2"], MORNING)
    worker.run_once()
    tomorrow = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert _state(factory, "c1") == ("active", "call", tomorrow, [])
    assert _state(factory, "c2")[3] == [("call", "queued", None)]
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    worker.run_once()
    assert _state(factory, "c1")[3] == [("call", "queued", None)]


def test_a_shared_number_counts_on_its_first_customers_calendar(factory, outbox_dir):
    """a0 (Shanghai) comes first: the number's day is Shanghai's, also for c1 in London."""
    policy = _policy(min_gap=MinGap(enabled=False))
    _customer(factory, "a0", "Asia/Shanghai", NUMBER)
    _customer(factory, "c1", "Europe/London", NUMBER)
    _called(factory, "a0", datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # Shanghai 10:00 on 1 December
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # London 10:00, Shanghai 18:00: the same Shanghai day
    _run(factory, outbox_dir, policy, at=at)
    assert _state(factory)[2] == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # Shanghai midnight


def _campaign_journey(calls: int, campaign: str | None) -> dict:
    steps: list[dict] = []
    for i in range(calls):
        last = i + 1 == calls
        steps.append({"id": f"a{i}", "action": {"channel": "call", "template": "t"}, "next": f"w{i}"})
        steps[-1]["on_refused"] = "end"
        steps.append({"id": f"w{i}", "wait": {"for": "PT5H"}, "next": "end" if last else f"a{i + 1}"})
    steps.append({"id": "end", "exit": "completed"})
    entry = {"list": {"campaign_id": campaign}} if campaign else {"moment": ["salary_arrived"]}
    return {"id": "tries", "name": {"zh": "j", "en": "j"}, "entry": entry, "steps": steps, "templates": {}}


def test_the_attempts_cap_counts_the_journeys_own_calls(factory, outbox_dir):
    policy = _policy(phone_daily_limit=PhoneDailyLimit(enabled=False))
    _customer(factory, "c1")
    journey = journey_from_json(_campaign_journey(4, None))
    worker, clock = _run(factory, outbox_dir, policy, journey=journey)
    for _ in range(4):
        clock.now += timedelta(hours=5)
        worker.run_once()
    cap = policy.rules.campaign_attempts_cap.max
    actions = _state(factory)[3]
    assert [a[1] for a in actions] == ["queued"] * cap + ["refused"]
    assert actions[-1][2] == "campaign_attempts_cap"


def test_the_attempts_cap_counts_the_campaigns_calls_on_record(factory, outbox_dir):
    policy = _policy()
    _customer(factory, "c1")
    _customer(factory, "c2")
    for k in range(3):  # c1: the cap's three attempts in the campaign
        _called(factory, "c1", MORNING - timedelta(days=3 + k), "camp1")
    for k in range(2):  # c2: two in the campaign, one in another campaign
        _called(factory, "c2", MORNING - timedelta(days=3 + k), "camp1")
    _called(factory, "c2", MORNING - timedelta(days=9), "other")
    journey = journey_from_json(_campaign_journey(1, "camp1"))
    worker, _ = _run(factory, outbox_dir, policy, journey=journey)
    enter(factory, "tries", ["c2"], MORNING)
    worker.run_once()
    assert _state(factory, "c1")[3] == [("a0", "refused", "campaign_attempts_cap")]
    assert _state(factory, "c2")[3] == [("a0", "queued", None)]


def test_the_lakes_calls_of_the_campaign_count_as_attempts():
    policy = _policy()
    customer = CustomerState("Asia/Shanghai", consent_marketing=True)
    assert decide(policy, "call", MORNING, customer, None, Counts(attempts=2)).kind == "go"
    refused = decide(policy, "call", MORNING, customer, None, Counts(attempts=3))
    assert (refused.kind, refused.reason) == ("refuse", "campaign_attempts_cap")
    facts = TableFacts(calls={"c1": [(datetime(2026, 11, 1, 10), "camp1"), (datetime(2026, 11, 2, 10), "x")]})
    assert len(facts.prior_calls("c1", "camp1")) == 1 and len(facts.prior_calls("c1")) == 2


def test_a_call_step_locks_every_customer_sharing_the_number(factory):
    """On PostgreSQL two workers cannot both take a shared number's last call of the day; SQLite's writers take
    turns anyway (there the state is read without a lock)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from callwise.journeys.gate import customer_state

    _customer(factory, "a0", phone=NUMBER)
    _customer(factory, "c1", phone=NUMBER)
    _customer(factory, "c2", phone=b"m" * 32)
    with factory() as holder:
        state = customer_state(holder, "c1")
        assert state is not None and state.phone_lookup == NUMBER
        if holder.get_bind().dialect.name != "postgresql":
            return
        with factory() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            assert other.scalars(
                select(Customer.customer_id).where(Customer.customer_id == "c2").with_for_update()
            ).all()
            other.rollback()
            other.execute(text("SET lock_timeout = '200ms'"))
            try:
                other.scalars(select(Customer).where(Customer.customer_id == "a0").with_for_update()).all()
                locked = False
            except OperationalError:
                locked = True
            assert locked  # a0 shares c1's number: held by c1's step
        holder.rollback()
