"""The journey worker: claims due instances under a lease, advances each one step per transaction, delivers.

Like the job queue (:mod:`callwise.ops.job_queue`): a claim is a conditional UPDATE that sets ``lease_owner`` and
``lease_until`` on instances that are due and held by nobody (or whose lease ran out: the sweep is the claim's own
condition), and every step's transaction begins by extending the lease *fenced by the owner* — a worker that lost
its lease writes nothing. A step commits its state change and its outbox row together; a worker killed before the
commit leaves the instance as it was (the next claim redoes the step, under the same key), one killed after it
leaves the step done. Delivery is the outbox's (:func:`callwise.ops.followups.deliver_due`): a message whose sender
died mid-send is sent again after its lease, with the same dedupe key, which the sender writes at most once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.journeys.gate import CustomerFacts, OpsOnly, TableFacts
from callwise.journeys.steps import StepOutcome, advance
from callwise.journeys.store import journey_version
from callwise.loop.outbox import Sender
from callwise.ops.db import rows_affected, transaction
from callwise.ops.followups import deliver_due
from callwise.ops.job_queue import worker_owner
from callwise.ops.models import Followup, JourneyAction, JourneyInstance
from callwise.policy.config import Policy

log = logging.getLogger("callwise.journeys")

# Called with the step's session and outcome just before the step commits (tests stop a worker there).
StepHook = Callable[[Session, JourneyInstance, StepOutcome], None]


@dataclass(frozen=True)
class WorkerConfig:
    lease: timedelta = timedelta(seconds=60)
    batch: int = 100  # instances claimed at a time
    max_steps: int = 50  # steps one instance may take in one claim (a journey has at most 200 and cannot loop)
    poll_s: float = 5.0
    bank_timezone: str = "Asia/Shanghai"
    facts_every: timedelta = timedelta(minutes=10)  # how often ``refresh_facts`` reads the lake again


@dataclass
class RunReport:
    claimed: int = 0
    steps: int = 0
    queued: int = 0
    refused: int = 0
    exited: int = 0
    lost: int = 0  # instances whose lease another worker took meanwhile
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def add(self, other: RunReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class JourneyWorker:
    factory: sessionmaker[Session]
    policy: Policy
    senders: Mapping[str, Sender]
    facts: CustomerFacts = field(default_factory=OpsOnly)
    config: WorkerConfig = field(default_factory=WorkerConfig)
    owner: str = field(default_factory=worker_owner)
    clock: Callable[[], datetime] = utcnow
    on_step: StepHook | None = None
    # Reads the lake's facts (consents, unsubscribes, contacts) of the given customers: those of the live instances
    # every ``facts_every``, and in between those of instances entered since; None: keep ``facts``.
    refresh_facts: Callable[[datetime, Sequence[str]], CustomerFacts] | None = None
    _facts_at: datetime | None = None

    def run_once(self) -> RunReport:
        """One round: advance every due instance as far as it can go now, then deliver what is due, then record
        which journey actions were sent or failed."""
        now = self.clock()
        if self.refresh_facts is not None and (
            self._facts_at is None or now - self._facts_at >= self.config.facts_every
        ):
            self.facts, self._facts_at = self.refresh_facts(now, live_customers(self.factory)), now
        report = RunReport()
        claimed = self.claim()
        self._read_missing_facts(claimed, now)
        for instance_id in claimed:
            report.claimed += 1
            self._walk(instance_id, report)
        if self.senders:
            delivered = deliver_due(self.factory, self.senders, now=self.clock(), lease=self.config.lease)
            report.sent, report.retried, report.dead = delivered.sent, delivered.retried, delivered.dead
        sync_action_status(self.factory, self.clock())
        return report

    def _read_missing_facts(self, claimed: list[int], now: datetime) -> None:
        """Facts of the claimed instances' customers that the last read did not cover (they entered since)."""
        if self.refresh_facts is None or not claimed or not isinstance(self.facts, TableFacts):
            return
        with self.factory() as session:
            ids = session.scalars(
                select(JourneyInstance.customer_id).where(JourneyInstance.instance_id.in_(claimed)).distinct()
            ).all()
        missing = self.facts.missing(ids)
        if missing:
            fresh = self.refresh_facts(now, missing)
            if isinstance(fresh, TableFacts):
                self.facts = self.facts.merged(fresh)

    def run_forever(self, stop: threading.Event) -> RunReport:
        total = RunReport()
        while not stop.is_set():
            try:
                total.add(self.run_once())
            except Exception:  # the database is out of reach: try again at the next poll
                log.exception("journey worker round failed")
            stop.wait(self.config.poll_s)
        return total

    def claim(self) -> list[int]:
        """Lease up to ``batch`` due instances that nobody holds (or whose holder's lease ran out)."""
        now = self.clock()
        free = or_(JourneyInstance.lease_until.is_(None), JourneyInstance.lease_until < now)
        due = (JourneyInstance.state == "active") & (JourneyInstance.next_at <= now) & free
        query = (
            select(JourneyInstance.instance_id)
            .where(due)
            .order_by(JourneyInstance.next_at, JourneyInstance.instance_id)
            .limit(self.config.batch)
        )
        with transaction(self.factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(JourneyInstance)
                .where(JourneyInstance.instance_id.in_(ids), due)
                .values(lease_owner=self.owner, lease_until=now + self.config.lease)
            )
            mine = select(JourneyInstance.instance_id).where(
                JourneyInstance.instance_id.in_(ids), JourneyInstance.lease_owner == self.owner
            )
            return sorted(session.scalars(mine))

    def _walk(self, instance_id: int, report: RunReport) -> None:
        for _ in range(self.config.max_steps):
            outcome = self.step(instance_id)
            if outcome is None:
                report.lost += 1
                return
            report.steps += 1
            report.queued += outcome.action == "queued"
            report.refused += outcome.action == "refused"
            if outcome.kind != "moved":
                report.exited += outcome.kind == "exited"
                return

    def step(self, instance_id: int) -> StepOutcome | None:
        """One step in one transaction, fenced by this worker's lease; None when the lease is not ours any more."""
        now = self.clock()
        with transaction(self.factory) as session:
            fenced = session.execute(
                update(JourneyInstance)
                .where(
                    JourneyInstance.instance_id == instance_id,
                    JourneyInstance.lease_owner == self.owner,
                    JourneyInstance.state == "active",
                )
                .values(lease_until=now + self.config.lease)
            )
            if rows_affected(fenced) != 1:
                return None
            instance = session.get(JourneyInstance, instance_id, populate_existing=True)
            if instance is None:  # fenced above, so it exists; a type checker cannot know that
                return None
            if instance.next_at > now:
                outcome = StepOutcome("waiting")
            else:
                journey = journey_version(session, instance.journey_id, instance.version)
                outcome = advance(session, journey, instance, self.policy, self.facts, now, self.config.bank_timezone)
            if outcome.kind != "moved":  # waiting or done: hand the instance back for the next claim
                instance.lease_owner = None
                instance.lease_until = None
            if self.on_step is not None:
                self.on_step(session, instance, outcome)
        return outcome


def live_customers(factory: sessionmaker[Session]) -> list[str]:
    """The customers of the active instances: the only ones whose lake facts the worker reads."""
    with factory() as session:
        query = select(JourneyInstance.customer_id).where(JourneyInstance.state == "active").distinct()
        return sorted(session.scalars(query))


def sync_action_status(factory: sessionmaker[Session], now: datetime) -> int:
    """Queued journey actions whose outbox row was sent become ``sent``; dead-lettered ones become ``failed``."""
    changed = 0
    with transaction(factory) as session:
        for outbox_status, status in (("sent", "sent"), ("dead", "failed")):
            keys = select(Followup.dedupe_key).where(Followup.status == outbox_status)
            changed += rows_affected(
                session.execute(
                    update(JourneyAction)
                    .where(JourneyAction.status == "queued", JourneyAction.idempotency_key.in_(keys))
                    .values(status=status, updated_at=now)
                )
            )
    return changed
