"""The jobs table as a queue with leases, so a job runs in one process at a time and never stays "running".

A worker claims a queued job with a conditional UPDATE (queued → running, with its ``owner`` and a
``lease_until``), so two workers — threads, ``--workers`` processes or hosts — never take the same one. While
the job runs its worker extends the lease (a heartbeat), and every write the job makes is fenced by the owner:
a worker that lost its lease stops at its next write. A lease that ran out means its process died: the sweep
puts the job back in the queue, up to ``max_attempts`` starts, and then fails it with a reason.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.i18n import t
from callwise.ops.db import rows_affected, transaction
from callwise.ops.models import Job

log = logging.getLogger("callwise.jobs")


FREED = {"owner": None, "lease_until": None}  # a job no process holds


@dataclass(frozen=True)
class JobConfig:
    """How long a lease lasts, how often a job may be started, how long a worker waits for work and at shutdown."""

    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 3
    poll_s: float = 2.0
    shutdown_s: float = 10.0

    @property
    def heartbeat_s(self) -> float:
        """A quarter of the lease: three heartbeats may be lost before another worker takes the job."""
        return self.lease.total_seconds() / 4


@dataclass(frozen=True)
class Claim:
    """A job this worker holds the lease of; ``attempt`` counts its starts from 1."""

    job_id: str
    owner: str
    attempt: int


class LeaseLost(RuntimeError):
    """The job's lease is no longer this worker's (it ran out and the job was re-queued, taken or released)."""


@dataclass(frozen=True)
class SweepReport:
    requeued: int = 0
    failed: int = 0


def worker_owner() -> str:
    """``host:pid:random``: unique per worker, and it says which process held a job."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim_next(
    factory: sessionmaker[Session], owner: str, config: JobConfig, now: datetime | None = None
) -> Claim | None:
    """Take the oldest queued job under a lease for ``owner``; None when the queue is empty."""
    now = now or utcnow()
    candidates = select(Job.job_id).where(Job.status == "queued").order_by(Job.created_at, Job.job_id).limit(5)
    with transaction(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        for job_id in session.scalars(candidates).all():
            taken = session.execute(
                update(Job)
                .where(Job.job_id == job_id, Job.status == "queued")  # the condition is the claim: one winner
                .values(
                    status="running",
                    owner=owner,
                    lease_until=now + config.lease,
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
            )
            if rows_affected(taken) == 1:
                attempt = session.scalar(select(Job.attempts).where(Job.job_id == job_id)) or 1
                return Claim(job_id, owner, attempt)
    return None


def fence(session: Session, claim: Claim, **values: Any) -> None:
    """Write ``values`` to the job only while ``claim`` still holds its lease; else raise LeaseLost."""
    written = session.execute(
        update(Job)
        .where(Job.job_id == claim.job_id, Job.owner == claim.owner, Job.status == "running")
        .values(updated_at=utcnow(), **values)
    )
    if rows_affected(written) != 1:
        raise LeaseLost(f"job {claim.job_id}: the lease of {claim.owner} is gone")


def heartbeat(factory: sessionmaker[Session], claim: Claim, config: JobConfig) -> bool:
    """Extend the lease; False when it was lost already."""
    now = utcnow()
    try:
        with transaction(factory) as session:
            fence(session, claim, lease_until=now + config.lease)
    except LeaseLost:
        return False
    return True


def release(factory: sessionmaker[Session], claim: Claim) -> bool:
    """Hand the job back to the queue (a worker shutting down); the start does not count as an attempt."""
    try:
        with transaction(factory) as session:
            freed = {**FREED, "attempts": Job.attempts - 1}
            fence(session, claim, status="queued", stage="released", progress=0.0, **freed)
    except LeaseLost:
        return False
    return True


def sweep(factory: sessionmaker[Session], config: JobConfig, now: datetime | None = None) -> SweepReport:
    """Re-queue the jobs whose lease ran out (their process died); fail those started ``max_attempts`` times."""
    now = now or utcnow()
    # No lease at all: a job left "running" by a version of callwise without leases.
    orphaned = (Job.status == "running") & or_(Job.lease_until < now, Job.lease_until.is_(None))
    freed = {**FREED, "updated_at": now}
    reason = {lang: t("ops.job.abandoned", lang, attempts=config.max_attempts) for lang in ("en", "zh")}
    with transaction(factory) as session:
        failed = rows_affected(
            session.execute(
                update(Job)
                .where(orphaned, Job.attempts >= config.max_attempts)
                .values(status="failed", error=reason["en"], error_zh=reason["zh"], **freed)
            )
        )
        requeued = rows_affected(
            session.execute(
                update(Job)
                .where(orphaned, Job.attempts < config.max_attempts)
                .values(status="queued", stage="requeued", progress=0.0, **freed)
            )
        )
    if failed or requeued:
        log.warning(
            "jobs whose process stopped: %d re-queued, %d failed after %d starts", requeued, failed, config.max_attempts
        )
    return SweepReport(requeued=requeued, failed=failed)
