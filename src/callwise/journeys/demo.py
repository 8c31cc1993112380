"""The demo's journeys: the shipped example journey walked by a few hundred of the demo bank's customers over the
last days, so the journeys page has instances at every step, receipts, call outcomes, refusals and exits.

Everything goes through the functions production uses: ``save_journey``, ``enter``, the worker (with the lake's
channel facts and the policy in force) and ``record_receipt``; only the clock is the demo's, stepped hour by hour
over days that have passed, and the receipts and answers are drawn from a hash of the customer id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callwise.journeys.definition import journey_from_bytes
from callwise.journeys.gate import CustomerFacts, TableFacts
from callwise.journeys.receipts import Receipt, record_receipt
from callwise.journeys.store import enter, save_journey
from callwise.journeys.worker import JourneyWorker
from callwise.ops.db import transaction
from callwise.ops.models import CallOutcome, Customer, JourneyAction, JourneyDefinition
from callwise.policy.config import Policy

EXAMPLE = "deposit_maturity.yaml"
ACTOR = "demo"
STEP = timedelta(hours=3)  # the demo clock's step: the worker runs eight rounds a day


def _share(customer_id: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def seed_journeys(
    factory: sessionmaker[Session],
    policy: Policy,
    facts: CustomerFacts | None,
    today: datetime,
    customers: int = 160,
    bank_timezone: str = "Asia/Shanghai",
) -> bool:
    """Walk the example journey from ten days before ``today`` until ``today``; nothing when journeys exist."""
    with factory() as session:
        if session.scalar(select(func.count()).select_from(JourneyDefinition)):
            return False
        ids = list(
            session.scalars(
                select(Customer.customer_id)
                .where(Customer.consent_marketing.is_(True), Customer.dnc.is_(False))
                .order_by(Customer.customer_id)
                .limit(customers)
            )
        )
    if not ids:
        return False
    raw = (files("callwise.journeys") / "examples" / EXAMPLE).read_bytes()
    save_journey(factory, journey_from_bytes(raw, EXAMPLE), ACTOR)
    zone = ZoneInfo(bank_timezone)
    start = datetime.combine(today.date() - timedelta(days=10), time(9, 30), tzinfo=zone).astimezone(UTC)
    clock = [start]
    worker = JourneyWorker(factory, policy, {}, facts=facts or TableFacts(), clock=lambda: clock[0])
    half = len(ids) // 2  # two waves of entry, so some customers are still on their way
    enter(factory, "deposit_maturity", ids[:half], start)
    seen: set[str] = set()
    while clock[0] < today.astimezone(UTC):
        if clock[0] >= start + timedelta(days=9) and half:  # the second wave is still on its way today
            enter(factory, "deposit_maturity", ids[half:], clock[0])
            half = 0
        worker.run_once()
        _answer(factory, seen, clock[0])
        clock[0] += STEP
    return True


def _answer(factory: sessionmaker[Session], seen: set[str], now: datetime) -> None:
    """Receipts for the pushes and SMS queued since the last look; an answered call for half of the calls."""
    with transaction(factory) as session:
        fresh = session.execute(
            select(JourneyAction.idempotency_key, JourneyAction.customer_id, JourneyAction.channel).where(
                JourneyAction.status != "refused"
            )
        ).all()
        for key, customer_id, channel in fresh:
            if key in seen:
                continue
            seen.add(key)
            if channel == "call":
                if _share(customer_id, "answered") < 0.5:
                    session.add(
                        CallOutcome(
                            idempotency_key=f"demo-{key}"[:128],
                            customer_id=customer_id,
                            ts=now + timedelta(minutes=30),
                            disposition="answered",
                            source="import",
                        )
                    )
                continue
            record_receipt(session, Receipt(key, "delivered", now), ACTOR)
            if _share(customer_id, channel) < 0.35:
                record_receipt(session, Receipt(key, "opened", now + timedelta(minutes=20)), ACTOR)
            elif _share(customer_id, "unsubscribe") < 0.03:
                record_receipt(session, Receipt(key, "unsubscribed", now + timedelta(minutes=40)), ACTOR)
