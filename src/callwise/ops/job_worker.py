"""One job runner per process: claims jobs from the queue one at a time and keeps each one's lease alive.

The service's lifespan starts it (its first round re-queues what dead processes left) and stops it: ``stop`` takes
no new job, gives the running one ``shutdown_s`` to finish, and otherwise hands its lease back, so another
process can take the job at once instead of waiting for the lease to run out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from callwise.ops.job_queue import Claim, JobConfig, claim_next, heartbeat, release, sweep, worker_owner

log = logging.getLogger("callwise.jobs")


class JobWorker:
    """Runs ``run(claim)`` for each job it claims, one at a time, in a thread of its own; a loop thread claims and
    heartbeats. Both are daemon threads: a build handed back at shutdown cannot hold the process's exit."""

    def __init__(
        self, factory: sessionmaker[Session], run: Callable[[Claim], None], config: JobConfig, owner: str | None = None
    ) -> None:
        self.factory, self.run, self.config = factory, run, config
        self.owner = owner or worker_owner()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._loop: threading.Thread | None = None

    def start(self) -> JobWorker:
        """Start the loop; its first round sweeps what dead processes left, then it claims."""
        self._loop = threading.Thread(target=self._serve, name="callwise-jobs", daemon=True)
        self._loop.start()
        return self

    def wake(self) -> None:
        """A job was queued here: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Take no new job; let the running one finish within ``shutdown_s``, else release its lease."""
        self._stopping.set()
        self._wake.set()
        if self._loop is not None:
            self._loop.join(self.config.shutdown_s + 5)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            claim = None
            try:
                sweep(self.factory, self.config)  # every round, so an orphan waits at most one poll
                claim = claim_next(self.factory, self.owner, self.config)
            except Exception:  # the database is out of reach: try again at the next poll
                log.exception("job queue unavailable")
            if claim is None:
                self._wake.wait(self.config.poll_s)
                self._wake.clear()
                continue
            job = threading.Thread(target=self._run_one, args=(claim,), name="callwise-job", daemon=True)
            job.start()
            self._supervise(claim, job)

    def _run_one(self, claim: Claim) -> None:
        try:
            self.run(claim)
        except Exception:
            log.exception("job %s raised", claim.job_id)
        finally:
            self._wake.set()

    def _supervise(self, claim: Claim, job: threading.Thread) -> None:
        """Heartbeat until the job ends; when stopping, wait at most ``shutdown_s`` and then release it."""
        beat = self.config.heartbeat_s
        next_beat, deadline = time.monotonic() + beat, None
        while job.is_alive():
            if self._stopping.is_set() and deadline is None:
                deadline = time.monotonic() + self.config.shutdown_s
            if deadline is not None and time.monotonic() >= deadline:
                released = release(self.factory, claim)
                log.warning("job %s still running at shutdown: %s", claim.job_id, "released" if released else "lost")
                return
            self._wake.wait(max(0.0, min(next_beat, deadline or next_beat) - time.monotonic()))
            self._wake.clear()
            if time.monotonic() >= next_beat and job.is_alive():
                next_beat += beat
                try:
                    if not heartbeat(self.factory, claim, self.config):
                        log.warning("job %s: lease lost; its next write will stop it", claim.job_id)
                except Exception:  # a missed heartbeat is not fatal: the lease outlasts several
                    log.exception("job %s: heartbeat failed", claim.job_id)
