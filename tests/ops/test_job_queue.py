"""The jobs table as a leased queue: one claimer per job, orphans re-queued then failed, a lost lease fenced off."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from callwise.clock import utcnow
from callwise.ops.db import make_engine, session_factory, transaction
from callwise.ops.job_queue import JobConfig, LeaseLost, claim_next, fence, heartbeat, release, sweep
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, IssuedList, Job

CONFIG = JobConfig(lease=timedelta(seconds=30), max_attempts=3)


def _queue(factory, count: int, status: str = "queued") -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with transaction(factory) as session:
        session.add_all(Job(job_id=i, kind="list_build", status=status, created_by="t") for i in ids)
    return ids


def _job(factory, job_id: str) -> Job:
    with factory() as session:
        return session.get(Job, job_id)


def test_workers_racing_for_the_queue_never_take_one_job_twice(db_engine):
    """Four workers, each with its own engine (as four processes have), drain 40 jobs: each is taken once."""
    ids = _queue(session_factory(db_engine), 40)
    url = db_engine.url.render_as_string(hide_password=False)
    taken: dict[str, list[str]] = {}
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def drain(name: str) -> None:
        engine = make_engine(url)
        factory, mine = session_factory(engine), []
        try:
            start.wait()
            while (claim := claim_next(factory, name, CONFIG)) is not None:
                mine.append(claim.job_id)
        except BaseException as error:  # surfaced below, not lost in the thread
            errors.append(error)
        finally:
            taken[name] = mine
            engine.dispose()

    threads = [threading.Thread(target=drain, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    every = [job for jobs in taken.values() for job in jobs]
    assert sorted(every) == sorted(ids)  # all taken, none twice
    factory = session_factory(db_engine)
    owners = {j: _job(factory, j).owner for j in ids}
    assert all(owners[j] == name for name, jobs in taken.items() for j in jobs)


def test_a_job_whose_process_keeps_dying_is_requeued_then_failed_with_a_reason(db_engine):
    factory = session_factory(db_engine)
    (job_id,) = _queue(factory, 1)
    now = utcnow()
    for attempt in (1, 2, 3):
        claim = claim_next(factory, f"dead-{attempt}", CONFIG, now=now)
        assert claim is not None and claim.attempt == attempt
        assert sweep(factory, CONFIG, now=now + timedelta(seconds=29)).requeued == 0  # the lease still runs
        now += CONFIG.lease + timedelta(seconds=1)  # the process died: nobody renews it
        report = sweep(factory, CONFIG, now=now)
        assert (report.requeued, report.failed) == ((1, 0) if attempt < 3 else (0, 1))
    job = _job(factory, job_id)
    assert job.status == "failed" and job.owner is None and job.lease_until is None and job.attempts == 3
    assert "started 3 times" in job.error and "3 次" in job.error_zh
    assert claim_next(factory, "late", CONFIG, now=now) is None


def test_a_running_job_left_by_a_version_without_leases_is_requeued(db_engine):
    factory = session_factory(db_engine)
    (job_id,) = _queue(factory, 1, status="running")  # what a crash left behind before leases existed
    assert sweep(factory, CONFIG).requeued == 1
    assert _job(factory, job_id).status == "queued"


def test_a_worker_that_lost_its_lease_can_write_nothing_and_issues_no_list(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as session:
        session.add(Campaign(campaign_id="c1", name="x", product_id="P", spec={}, created_by="t"))
    (job_id,) = _queue(factory, 1)
    now = utcnow()
    stalled = claim_next(factory, "stalled", CONFIG, now=now - CONFIG.lease - timedelta(seconds=1))
    sweep(factory, CONFIG, now=now)
    taker = claim_next(factory, "taker", CONFIG, now=now)
    assert stalled is not None and taker is not None and taker.attempt == 2
    assert heartbeat(factory, stalled, CONFIG) is False and heartbeat(factory, taker, CONFIG) is True

    with pytest.raises(LeaseLost), transaction(factory) as session:  # the stalled build reaches its last step
        issue_list(session, "c1", pd.DataFrame(), {}, "t", job_id, "Asia/Shanghai")
        fence(session, stalled, status="done")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(IssuedList)) == 0  # rolled back with the fence

    with transaction(factory) as session:
        first = issue_list(session, "c1", pd.DataFrame(), {}, "t", job_id, "Asia/Shanghai")
        fence(session, taker, status="done")
    with transaction(factory) as session:  # issuing is keyed by the job: asked again, it is the same list
        again = issue_list(session, "c1", pd.DataFrame(), {}, "t", job_id, "Asia/Shanghai")
    assert again.list_id == first.list_id
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(IssuedList)) == 1
    assert _job(factory, job_id).status == "done"


def test_a_released_job_is_queued_again_without_spending_an_attempt(db_engine):
    factory = session_factory(db_engine)
    (job_id,) = _queue(factory, 1)
    claim = claim_next(factory, "leaving", CONFIG)
    assert release(factory, claim) is True
    job = _job(factory, job_id)
    assert (job.status, job.owner, job.attempts) == ("queued", None, 0)
    assert claim_next(factory, "next", CONFIG).attempt == 1
