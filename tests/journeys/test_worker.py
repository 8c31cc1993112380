"""The worker walks instances through their steps; every action is written once; branches and exits hold."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from callwise.journeys.store import enter
from callwise.ops.db import transaction
from callwise.ops.models import Followup, JourneyAction, JourneyInstance
from tests.journeys.conftest import MORNING, Clock, add_customers, load, make_worker, open_channels


def _instances(factory):
    with factory() as session:
        return list(session.scalars(select(JourneyInstance).order_by(JourneyInstance.instance_id)))


def _actions(factory):
    with factory() as session:
        return list(session.scalars(select(JourneyAction).order_by(JourneyAction.action_id)))


def _written(outbox_dir):
    return [json.loads(line) for path in sorted(outbox_dir.glob("*.jsonl")) for line in path.read_text().splitlines()]


def test_an_unopened_push_is_followed_by_an_sms_then_a_call_after_the_wait(factory, outbox_dir):
    load(factory)
    add_customers(factory, ["c1"])
    clock = Clock(MORNING)
    worker = make_worker(factory, outbox_dir, clock, facts=open_channels(["c1"]))
    assert enter(factory, "care", ["c1"], MORNING).entered == 1
    first = worker.run_once()
    assert (first.queued, first.sent) == (1, 1)
    [instance] = _instances(factory)
    assert instance.current_step == "opened"
    clock.now = MORNING + timedelta(days=1, minutes=1)  # the push was not opened within a day
    worker.run_once()
    [instance] = _instances(factory)
    assert instance.current_step == "pause" and instance.state == "active"
    clock.now += timedelta(hours=2)
    worker.run_once()
    [instance] = _instances(factory)
    assert instance.state == "exited" and instance.exit_reason == "completed"
    assert instance.path == ["push", "opened", "sms", "pause", "call", "done"]
    assert [(a.step_id, a.channel, a.status) for a in _actions(factory)] == [
        ("push", "app_push", "sent"),
        ("sms", "sms", "sent"),
        ("call", "call", "sent"),
    ]
    assert sorted(m["channel"] for m in _written(outbox_dir)) == ["app_push", "call", "sms"]


def test_a_step_run_again_writes_no_second_action(factory, outbox_dir):
    load(factory)
    add_customers(factory, ["c1"])
    clock = Clock(MORNING)
    worker = make_worker(factory, outbox_dir, clock, facts=open_channels(["c1"]))
    enter(factory, "care", ["c1"], MORNING)
    worker.run_once()
    with transaction(factory) as session:  # a stale retry: the instance is put back on the step it did
        instance = session.scalars(select(JourneyInstance)).one()
        instance.current_step, instance.path, instance.next_at = "push", ["push"], MORNING
    worker.run_once()
    worker.run_once()
    with factory() as session:
        keys = session.scalars(select(Followup.dedupe_key)).all()
    assert keys == [_actions(factory)[0].idempotency_key]
    assert len(_actions(factory)) == 1 and len(_written(outbox_dir)) == 1
    assert _instances(factory)[0].current_step == "opened"


def test_two_workers_at_once_take_each_instance_once(factory, outbox_dir):
    import threading

    ids = [f"c{i}" for i in range(24)]
    load(factory)
    add_customers(factory, ids)
    enter(factory, "care", ids, MORNING)
    clock = Clock(MORNING)
    workers = [make_worker(factory, outbox_dir, clock, facts=open_channels(ids), batch=5) for _ in range(2)]
    reports = []

    def run(worker) -> None:
        for _ in range(8):
            reports.append(worker.run_once())

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.queued for r in reports) == len(ids)  # the push, once per customer
    keys = [a.idempotency_key for a in _actions(factory)]
    assert len(keys) == len(set(keys)) == len(ids)
    assert sorted(m["dedupe_key"] for m in _written(outbox_dir)) == sorted(keys)
    assert all(i.current_step == "opened" and i.lease_owner is None for i in _instances(factory))
