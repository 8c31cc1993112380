"""A journey worker in a process of its own, for the SIGKILL test: ``python -m tests.journeys.kill_driver``.

Arguments: database URL, outbox directory, mode (``step``: stop inside the Nth step that queues an action, before
it commits; ``send``: stop after the sender wrote the Nth message, before the outbox records it; ``none``: run to
the end), N, flag file (written when the worker stops, so the test knows when to kill it), start time (ISO), lease
seconds. The worker's clock runs from the start time at the speed of the wall clock.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from callwise.journeys.gate import TableFacts
from callwise.journeys.worker import JourneyWorker, WorkerConfig
from callwise.loop.outbox import DeliveryResult, OutboxMessage
from callwise.loop.senders import FileSender
from callwise.ops.db import make_engine, session_factory
from callwise.ops.models import Customer, Followup, JourneyInstance
from callwise.policy.config import default_policy


def main() -> None:
    url, outbox, mode, nth, flag, start, lease = sys.argv[1:8]
    began, origin = time.monotonic(), datetime.fromisoformat(start)

    def clock() -> datetime:
        return origin + timedelta(seconds=time.monotonic() - began)

    def stop_here() -> None:
        Path(flag).write_text("stopped")
        time.sleep(3600)  # the test kills the process now

    files = FileSender(outbox, clock=clock)
    sent = {"n": 0}

    class StoppingSender:
        def send(self, message: OutboxMessage) -> DeliveryResult:
            result = files.send(message)
            sent["n"] += 1
            if mode == "send" and sent["n"] == int(nth):
                stop_here()  # written to the file, not yet recorded as sent
            return result

    queued = {"n": 0}

    def on_step(session, instance, outcome) -> None:
        if outcome.action == "queued":
            queued["n"] += 1
            if mode == "step" and queued["n"] == int(nth):
                session.flush()  # the outbox row and the state are written, not committed
                stop_here()

    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        ids = list(session.scalars(select(Customer.customer_id)))
    facts = TableFacts(bars={(c, ch): None for c in ids for ch in ("sms", "app_push", "wechat", "email")})
    sender = StoppingSender()
    worker = JourneyWorker(
        factory,
        default_policy(),
        dict.fromkeys(("sms", "app_push", "wechat", "email", "call", "task"), sender),
        facts=facts,
        config=WorkerConfig(lease=timedelta(seconds=float(lease)), batch=3, poll_s=0.1),
        clock=clock,
        on_step=on_step,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        worker.run_once()
        with factory() as session:
            active = session.scalar(select(func.count()).where(JourneyInstance.state == "active"))
            unsent = session.scalar(select(func.count()).where(Followup.status != "sent"))
        if not active and not unsent:
            break
        time.sleep(0.1)
    engine.dispose()


if __name__ == "__main__":
    main()
