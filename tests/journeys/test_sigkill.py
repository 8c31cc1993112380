"""A worker killed with SIGKILL mid-step, or mid-send, loses no action and sends none twice (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from callwise.journeys.definition import journey_from_bytes
from callwise.journeys.store import enter, save_journey
from callwise.ops.models import Followup, JourneyAction, JourneyInstance
from tests.journeys.conftest import MORNING, add_customers

ROOT = Path(__file__).resolve().parents[2]
THREE_TOUCHES = b"""
id: three
name: {zh: three, en: Three touches}
entry: {moment: [salary_arrived]}
steps:
  - {id: push, action: {channel: app_push, template: t}, next: sms}
  - {id: sms, action: {channel: sms, template: s}, next: call}
  - {id: call, action: {channel: call, template: c}, next: done}
  - {id: done, exit: completed}
templates:
  t: {zh: "hello", en: "hello"}
  s: {zh: "\xe3\x80\x90\xe9\x93\xb6\xe8\xa1\x8c\xe3\x80\x91hi", en: "[Bank] hi"}
"""
CUSTOMERS = [f"c{i}" for i in range(6)]
LEASE_S = 1.5


def _driver(url: str, outbox: Path, mode: str, nth: int, flag: Path, start_offset_s: float) -> subprocess.Popen:
    start = (MORNING + timedelta(seconds=start_offset_s)).isoformat()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    args = [sys.executable, "-m", "tests.journeys.kill_driver", url, str(outbox), mode, str(nth), str(flag), start]
    return subprocess.Popen([*args, str(LEASE_S)], cwd=ROOT, env=env)


def _kill_when_stopped(process: subprocess.Popen, flag: Path) -> None:
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert process.poll() is None, "the worker ended before it reached the step to be killed in"
        assert time.monotonic() < deadline, "the worker never reached the step to be killed in"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL


@pytest.mark.parametrize("mode, nth", [("step", 4), ("send", 5)])
def test_a_worker_killed_mid_step_loses_no_action_and_sends_none_twice(db_engine, tmp_path, mode, nth):
    from callwise.ops.db import session_factory

    factory = session_factory(db_engine)
    save_journey(factory, journey_from_bytes(THREE_TOUCHES, "three.yaml"), "test")
    add_customers(factory, CUSTOMERS)
    enter(factory, "three", CUSTOMERS, MORNING)
    url = db_engine.url.render_as_string(hide_password=False)
    outbox, flag = tmp_path / "outbox", tmp_path / "stopped"

    first = _driver(url, outbox, mode, nth, flag, 0)
    _kill_when_stopped(first, flag)
    with factory() as session:
        before = len(session.scalars(select(JourneyAction)).all())
    assert before < 3 * len(CUSTOMERS)  # killed with work left
    # The restarted worker's clock is past the dead one's leases (its own and the outbox's).
    second = _driver(url, outbox, "none", 0, tmp_path / "unused", 2 * LEASE_S + 60)
    assert second.wait(90) == 0

    lines = [json.loads(line) for path in sorted(outbox.glob("*.jsonl")) for line in path.read_text().splitlines()]
    written = Counter(line["dedupe_key"] for line in lines)
    with factory() as session:
        actions = session.scalars(select(JourneyAction)).all()
        instances = session.scalars(select(JourneyInstance)).all()
        outbox_rows = session.scalars(select(Followup)).all()
    expected = {f"journey:three:{i.instance_id}:{step}" for i in instances for step in ("push", "sms", "call")}
    assert set(written) == expected and set(written.values()) == {1}  # every action once in the sender's output
    assert sorted(a.idempotency_key for a in actions) == sorted(expected)  # and once in journey_actions
    assert {a.status for a in actions} == {"sent"}
    assert {(o.status, o.dedupe_key in expected) for o in outbox_rows} == {("sent", True)}
    assert len(outbox_rows) == len(expected)
    for instance in instances:  # none stuck: every one ended where the journey ends, its lease handed back
        assert (instance.state, instance.exit_reason, instance.live) == ("exited", "completed", None)
        assert instance.path == ["push", "sms", "call", "done"] and instance.lease_owner is None
