"""Branches, exits, refusals, quiet hours, versions and entry: what a journey does, step by step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callwise.journeys.definition import journey_from_bytes
from callwise.journeys.receipts import Receipt, record_receipt
from callwise.journeys.store import enter
from callwise.ops.db import transaction
from callwise.ops.models import Conversion, Customer, JourneyAction, JourneyInstance, PolicyEvent
from tests.journeys.conftest import CARE, MORNING, Clock, add_customers, care, load, make_worker, open_channels


def _instance(factory, customer_id: str = "c1") -> JourneyInstance:
    with factory() as session:
        return session.scalars(
            select(JourneyInstance)
            .where(JourneyInstance.customer_id == customer_id)
            .order_by(JourneyInstance.instance_id.desc())
        ).first()


def _actions(factory) -> list[tuple[str, str, str | None]]:
    with factory() as session:
        rows = session.scalars(select(JourneyAction).order_by(JourneyAction.action_id))
        return [(a.step_id, a.status, a.reason) for a in rows]


def _started(factory, outbox_dir, customers=("c1",), facts=None, at=MORNING):
    load(factory)
    add_customers(factory, list(customers))
    clock = Clock(at)
    worker = make_worker(factory, outbox_dir, clock, facts=facts if facts is not None else open_channels(customers))
    enter(factory, "care", customers, at)
    worker.run_once()
    return worker, clock


def _receipt(factory, kind: str, step: str = "push", at: datetime = MORNING + timedelta(hours=1)):
    instance = _instance(factory)
    with transaction(factory) as session:
        return record_receipt(session, Receipt(f"journey:care:{instance.instance_id}:{step}", kind, at))


def test_an_opened_push_takes_the_then_branch_at_the_next_round(factory, outbox_dir):
    worker, clock = _started(factory, outbox_dir)
    opened = MORNING + timedelta(minutes=5)
    assert _receipt(factory, "opened", at=opened).status == "stored"
    assert _receipt(factory, "opened", at=opened).status == "duplicate"  # a sender calling back twice: no change
    assert _instance(factory).next_at == opened  # the receipt woke the branch (it slept until its window closed)
    clock.now = opened + timedelta(minutes=1)
    worker.run_once()
    instance = _instance(factory)
    assert (instance.state, instance.exit_reason, instance.path) == ("exited", "completed", ["push", "opened", "done"])
    assert _actions(factory) == [("push", "opened", None)]


def test_an_open_after_the_window_does_not_count(factory, outbox_dir):
    worker, clock = _started(factory, outbox_dir)
    _receipt(factory, "opened", at=MORNING + timedelta(days=2))
    clock.now = MORNING + timedelta(days=1, minutes=1)
    worker.run_once()
    assert _instance(factory).current_step == "pause"  # the else path: the SMS went, then the wait


def test_an_unsubscribe_ends_the_channel_and_every_journey_of_the_customer(factory, outbox_dir):
    worker, clock = _started(factory, outbox_dir)
    _receipt(factory, "unsubscribed")
    clock.now = MORNING + timedelta(hours=2)
    worker.run_once()
    instance = _instance(factory)
    assert (instance.state, instance.exit_reason) == ("exited", "opted_out")
    with factory() as session:
        assert session.scalars(select(PolicyEvent.kind)).all() == ["unsubscribe"]
    assert _actions(factory) == [("push", "unsubscribed", None)]


def test_buying_the_product_exits_as_converted(factory, outbox_dir):
    worker, clock = _started(factory, outbox_dir)
    with transaction(factory) as session:
        session.add(Conversion(customer_id="c1", product_id="P1", ts=MORNING + timedelta(minutes=30)))
    clock.now = MORNING + timedelta(days=1, minutes=1)
    worker.run_once()
    assert _instance(factory).exit_reason == "converted"
    assert [step for step, _, _ in _actions(factory)] == ["push"]  # no SMS after the purchase


def test_a_dnc_request_exits_at_once(factory, outbox_dir):
    worker, clock = _started(factory, outbox_dir)
    with transaction(factory) as session:
        session.get(Customer, "c1").dnc = True
    clock.now = MORNING + timedelta(days=1, minutes=1)
    worker.run_once()
    assert _instance(factory).exit_reason == "opted_out"


def test_a_refused_touch_is_recorded_with_its_reason_and_follows_on_refused(factory, outbox_dir):
    facts = open_channels(["c1"], channels=("sms",))  # no consent on record for app push
    _started(factory, outbox_dir, facts=facts)
    assert _actions(factory)[:2] == [("push", "refused", "no_channel_consent"), ("sms", "sent", None)]
    assert _instance(factory).current_step == "pause"


def test_a_call_without_consent_is_refused_and_the_journey_exits_as_refused(factory, outbox_dir):
    load(factory)
    add_customers(factory, ["c1"], consent=False)
    clock = Clock(MORNING)
    worker = make_worker(factory, outbox_dir, clock, facts=open_channels(["c1"]))
    enter(factory, "care", ["c1"], MORNING)
    worker.run_once()
    clock.now = MORNING + timedelta(days=1, hours=3)
    worker.run_once()
    clock.now += timedelta(hours=2)
    worker.run_once()
    assert _actions(factory)[-1] == ("call", "refused", "no_consent")
    assert _instance(factory).exit_reason == "refused"


def test_quiet_hours_make_the_step_wait_until_the_channel_opens(factory, outbox_dir):
    night = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: app push is quiet until 08:00
    worker, clock = _started(factory, outbox_dir, at=night)
    instance = _instance(factory)
    assert instance.current_step == "push" and _actions(factory) == []
    assert instance.next_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00 local
    clock.now = instance.next_at
    worker.run_once()
    assert _actions(factory) == [("push", "sent", None)]


def test_the_cap_refuses_the_seventh_touch_in_thirty_days(factory, outbox_dir):
    from callwise.journeys.gate import TableFacts

    six = [MORNING.replace(tzinfo=None) + timedelta(hours=8) - timedelta(days=d) for d in range(1, 7)]
    facts = TableFacts(bars={("c1", ch): None for ch in ("sms", "app_push")}, touches={"c1": six})
    _started(factory, outbox_dir, facts=facts)
    assert _actions(factory)[:2] == [("push", "refused", "cross_channel_cap"), ("sms", "refused", "cross_channel_cap")]
    assert _instance(factory).exit_reason == "refused"


def test_a_running_instance_keeps_its_version_and_entry_is_idempotent(factory, outbox_dir):
    first = load(factory)
    again = load(factory)
    assert (first.version, first.new, again.version, again.new) == (1, True, 1, False)
    add_customers(factory, ["c1", "c2"])
    assert enter(factory, "care", ["c1"], MORNING).entered == 1
    changed = journey_from_bytes(CARE.replace(b"within: P1D", b"within: P3D"), "care.yaml")
    assert load(factory, changed).version == 2
    report = enter(factory, "care", ["c1", "c2", "c9"], MORNING)
    assert (report.entered, report.already, report.unknown, report.version) == (1, 1, 1, 2)
    assert (_instance(factory, "c1").version, _instance(factory, "c2").version) == (1, 2)
    assert care().sha256 != changed.sha256
