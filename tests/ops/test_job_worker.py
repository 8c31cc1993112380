"""A process's job worker: it keeps a long job's lease alive, and stops within its time, leaving no thread behind."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from callwise.ops.db import session_factory, transaction
from callwise.ops.job_queue import Claim, JobConfig, fence, sweep
from callwise.ops.job_worker import JobWorker
from callwise.ops.models import Job

FAST = JobConfig(lease=timedelta(seconds=0.4), max_attempts=3, poll_s=0.05, shutdown_s=0.3)


def _queue(factory) -> str:
    job_id = str(uuid.uuid4())
    with transaction(factory) as session:
        session.add(Job(job_id=job_id, kind="list_build", status="queued", created_by="t"))
    return job_id


def _job(factory, job_id: str) -> Job:
    with factory() as session:
        return session.get(Job, job_id)


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _job_threads(before: set[threading.Thread]) -> list[str]:
    """The job threads started since ``before`` that are still alive."""
    return [t.name for t in threading.enumerate() if t not in before and t.name.startswith("callwise-job")]


def test_heartbeats_keep_a_job_longer_than_its_lease_from_being_taken(db_engine):
    factory = session_factory(db_engine)
    job_id = _queue(factory)
    requeued, before = [], set(threading.enumerate())

    def slow(claim: Claim) -> None:  # three leases long; another process sweeps all the while
        deadline = time.monotonic() + 3 * FAST.lease.total_seconds()
        while time.monotonic() < deadline:
            requeued.append(sweep(factory, FAST).requeued)
            time.sleep(0.05)
        with transaction(factory) as session:
            fence(session, claim, status="done", owner=None, lease_until=None)

    worker = JobWorker(factory, slow, FAST).start()
    try:
        _wait_for(lambda: _job(factory, job_id).status == "done")
    finally:
        worker.stop()
    assert requeued and sum(requeued) == 0
    assert _job(factory, job_id).attempts == 1
    assert _job_threads(before) == []  # stopped idle: every thread of the worker is gone


def test_stopping_releases_a_job_that_does_not_finish_in_time(db_engine):
    factory = session_factory(db_engine)
    job_id = _queue(factory)
    started, go_on, before = threading.Event(), threading.Event(), set(threading.enumerate())

    def stuck(_: Claim) -> None:
        started.set()
        go_on.wait(10)

    worker = JobWorker(factory, stuck, FAST).start()
    assert started.wait(5)
    began = time.monotonic()
    worker.stop()
    assert time.monotonic() - began < FAST.shutdown_s + 1  # bounded, however long the job would take
    job = _job(factory, job_id)
    assert (job.status, job.owner, job.lease_until, job.attempts) == ("queued", None, None, 0)  # another takes it
    still = [t for t in threading.enumerate() if t not in before and t.name == "callwise-job"]
    assert still and all(t.daemon for t in still)  # the handed-back build runs on, but cannot hold the exit
    go_on.set()
    _wait_for(lambda: _job_threads(before) == [])
