"""The campaign's measured results for the board: ``results_for`` computed once per data version, off the request.

``results_for`` reads the lake (the control group's conversions live there) and takes seconds, so a page request
never runs it. A request asks the cache for the campaign's snapshot at the ops DB's data version
(:func:`callwise.board.campaign.data_version`): it gets the newest snapshot there is (possibly of an older
version, with its time, so the page says how fresh it is) and, when that one is missing or stale, the cache
computes a new one on its single background thread. While outcomes stream in the version changes every few
seconds; a snapshot younger than ``min_age`` is kept all the same, so the lake is read at most once a minute
per campaign (decision 0032).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from callwise.clock import utcnow
from callwise.i18n.errors import Translated

Compute = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Snapshot:
    """One computation's outcome: the results, or why there are none (a catalogue key and its values)."""

    version: Hashable
    computed_at: datetime
    result: dict[str, Any] | None = None
    reason_key: str | None = None
    reason_values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lookup:
    """What a request gets: the newest snapshot (or None), whether it is of the current version, and whether a
    newer one is being computed."""

    snapshot: Snapshot | None
    current: bool
    computing: bool


class ResultsCache:
    """Snapshots per key (the service and campaign), computed one at a time on a background thread."""

    def __init__(self, min_age: timedelta = timedelta(seconds=60), max_entries: int = 256) -> None:
        self.min_age = min_age
        self.max_entries = max_entries
        self._snapshots: OrderedDict[Hashable, Snapshot] = OrderedDict()
        self._running: dict[Hashable, Future[None]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="board-results")

    def get(self, key: Hashable, version: Hashable, compute: Compute) -> Lookup:
        """The snapshot for ``key``; starts ``compute`` in the background when none is current and none runs."""
        with self._lock:
            found = self._snapshots.get(key)
            if found is not None:
                self._snapshots.move_to_end(key)
            current = found is not None and found.version == version
            young = found is not None and utcnow() - found.computed_at < self.min_age
            running = key in self._running
            if not current and not young and not running:
                self._running[key] = self._pool.submit(self._compute, key, version, compute)
                running = True
            return Lookup(found, current, running)

    def wait(self, key: Hashable, timeout: float | None = None) -> None:
        """Block until the computation for ``key`` (if any) is done: for tests and the CLI, never a request."""
        with self._lock:
            future = self._running.get(key)
        if future is not None:
            future.result(timeout)

    def drain(self, timeout: float | None = None) -> None:
        """Block until every computation started so far is done (a test's end, before its database goes)."""
        with self._lock:
            futures = list(self._running.values())
        for future in futures:
            future.result(timeout)

    def _compute(self, key: Hashable, version: Hashable, compute: Compute) -> None:
        try:
            snapshot = Snapshot(version, utcnow(), result=compute())
        except Exception as failed:  # never a traceback on the page: a sentence says why
            snapshot = _refused(version, failed)
        with self._lock:
            self._snapshots[key] = snapshot
            self._snapshots.move_to_end(key)
            while len(self._snapshots) > self.max_entries:
                self._snapshots.popitem(last=False)
            self._running.pop(key, None)


def _refused(version: Hashable, failed: Exception) -> Snapshot:
    """Why there are no results: the error's catalogue sentence (e.g. no members yet), else its kind only."""
    if isinstance(failed, Translated) and failed.key is not None:
        return Snapshot(version, utcnow(), reason_key=failed.key, reason_values=dict(failed.values))
    return Snapshot(version, utcnow(), reason_key=FAILED, reason_values={"error": type(failed).__name__})


FAILED = "board.campaign.results_failed"
RESULTS = ResultsCache()  # one per process: the page module and tests share it
