"""Journeys against a migrated operational DB (SQLite and PostgreSQL), with customers and a file sender."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from callwise.journeys.definition import Journey, journey_from_bytes
from callwise.journeys.gate import TableFacts
from callwise.journeys.store import save_journey
from callwise.journeys.worker import JourneyWorker, WorkerConfig
from callwise.loop.senders import FileSender
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import Customer
from callwise.policy.config import default_policy

# 10:00 in Shanghai: every channel open.
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

CARE = """
id: care
name: {zh: 关怀, en: Care}
product_id: P1
entry:
  moment: [deposit_maturing]
steps:
  - id: push
    action: {channel: app_push, template: t_push}
    next: opened
    on_refused: sms
  - id: opened
    branch: {event: opened, within: P1D, then: done, else: sms}
  - id: sms
    action: {channel: sms, template: t_sms}
    next: pause
  - id: pause
    wait: {for: PT2H}
    next: call
  - id: call
    action: {channel: call, template: call_script}
    next: done
  - id: done
    exit: completed
templates:
  t_push: {zh: 您的存款即将到期, en: Your deposit matures soon}
  t_sms: {zh: "【银行】存款到期", en: "[Bank] your deposit matures"}
""".encode()


def care() -> Journey:
    return journey_from_bytes(CARE, "care.yaml")


def add_customers(factory, ids, consent: bool = True, timezone: str = "Asia/Shanghai") -> None:
    with transaction(factory) as session:
        for customer_id in ids:
            session.add(Customer(customer_id=customer_id, timezone=timezone, consent_marketing=consent))


def open_channels(ids, channels=("sms", "app_push", "wechat", "email")) -> TableFacts:
    """Lake facts in which every customer consented to every message channel and has no touch on record."""
    return TableFacts(bars={(c, ch): None for c in ids for ch in channels})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def factory(db_engine):
    return session_factory(db_engine)


@pytest.fixture
def outbox_dir(tmp_path) -> Path:
    return tmp_path / "outbox"


def make_worker(factory, outbox_dir: Path, clock, facts=None, **config) -> JourneyWorker:
    sender = FileSender(outbox_dir, clock=clock)
    senders = dict.fromkeys(("sms", "app_push", "wechat", "email", "call", "task"), sender)
    return JourneyWorker(
        factory,
        default_policy(),
        senders,
        facts=facts if facts is not None else TableFacts(),
        config=WorkerConfig(**config),
        clock=clock,
    )


def load(factory, journey: Journey | None = None):
    return save_journey(factory, journey or care(), "test")
