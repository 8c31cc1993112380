"""The journey worker's throughput on the embedded default (SQLite file): customers entered, steps advanced and
touches queued through the policy, and the outbox delivered to files, for a three-touch journey.

1. Load the journey (app push → SMS → call, no waits) and enter N customers (3,000 by default) at 10:00 local.
2. Run the worker until every instance has exited: each step one transaction with the gate's counts, each touch
   an outbox row; delivery to JSON-lines files by ``deliver_due``.
3. Check the result: 3 actions per customer, each once in ``journey_actions`` and once in the files.

Writes benchmarks/results/journeys_worker.json. Usage: python benchmarks/journeys_worker.py [customers]
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from _bench import write_result
from callwise import __version__
from callwise.clock import utcnow
from callwise.journeys.definition import journey_from_bytes
from callwise.journeys.gate import TableFacts
from callwise.journeys.store import enter, save_journey
from callwise.journeys.worker import JourneyWorker, WorkerConfig
from callwise.loop.senders import FileSender
from callwise.ops.db import make_engine, session_factory, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import Customer, JourneyAction, JourneyInstance
from callwise.policy.config import default_policy

JOURNEY = """
id: bench
name: {zh: bench, en: bench}
entry: {moment: [salary_arrived]}
steps:
  - {id: push, action: {channel: app_push, template: p}, next: sms}
  - {id: sms, action: {channel: sms, template: s}, next: call}
  - {id: call, action: {channel: call, template: c}, next: done}
  - {id: done, exit: completed}
templates:
  p: {zh: "您的工资已到账", en: "Your salary has arrived"}
  s: {zh: "【示例银行】您的工资已到账", en: "[Example Bank] Your salary has arrived"}
""".encode()
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def main(customers: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'ops.db'}")
        upgrade(engine)
        factory = session_factory(engine)
        ids = [f"C{i:07d}" for i in range(customers)]
        with transaction(factory) as session:
            rows = [{"customer_id": c, "timezone": "Asia/Shanghai", "consent_marketing": True} for c in ids]
            session.execute(insert(Customer), rows)
        save_journey(factory, journey_from_bytes(JOURNEY, "bench.yaml"), "bench")
        started = time.perf_counter()
        report = enter(factory, "bench", ids, MORNING)
        enter_s = time.perf_counter() - started
        facts = TableFacts(bars={(c, ch): None for c in ids for ch in ("app_push", "sms")})
        clock = [MORNING]
        sender = FileSender(root / "outbox", clock=lambda: clock[0])
        senders = dict.fromkeys(("app_push", "sms", "call"), sender)
        worker = JourneyWorker(
            factory, default_policy(), {}, facts=facts, config=WorkerConfig(batch=500), clock=lambda: clock[0]
        )
        started = time.perf_counter()
        steps = queued = 0
        while True:
            done = worker.run_once()
            steps, queued = steps + done.steps, queued + done.queued
            if not done.claimed:
                break
        step_s = time.perf_counter() - started
        from callwise.ops.followups import deliver_due

        started = time.perf_counter()
        sent = 0
        while True:
            delivered = deliver_due(factory, senders, now=clock[0], limit=2000)
            sent += delivered.sent
            if not delivered.claimed:
                break
        deliver_s = time.perf_counter() - started
        lines = [p.read_text(encoding="utf-8").splitlines() for p in (root / "outbox").glob("*.jsonl")]
        import json

        written = Counter(json.loads(line)["dedupe_key"] for chunk in lines for line in chunk)
        with factory() as session:
            actions = session.scalar(select(func.count()).select_from(JourneyAction))
            active = session.scalar(select(func.count()).where(JourneyInstance.state == "active"))
        engine.dispose()
    result: dict[str, object] = {
        "benchmark": "journeys_worker",
        "callwise": __version__,
        "python": platform.python_version(),
        "database": "sqlite (file, WAL)",
        "customers": customers,
        "entered": report.entered,
        "enter_seconds": round(enter_s, 2),
        "steps": steps,
        "touches_queued": queued,
        "step_seconds": round(step_s, 2),
        "steps_per_second": round(steps / step_s, 1) if step_s else None,
        "touches_per_second": round(queued / step_s, 1) if step_s else None,
        "delivered": sent,
        "deliver_seconds": round(deliver_s, 2),
        "actions_once_in_db": actions == 3 * customers,
        "actions_once_in_files": len(written) == 3 * customers and set(written.values()) == {1},
        "instances_left_active": active,
        "measured_at": utcnow().isoformat(timespec="seconds"),
    }
    write_result("journeys_worker", result)
    return result


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000))
