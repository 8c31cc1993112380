"""The attribution board's numbers: :func:`callwise.attribution.report.attribution_report`, computed once per data
version of the tables it reads (a lake write changes the key), off the request on the results cache's background
thread: a report of every campaign of a large bank takes a minute, so a request waits a few seconds for it and
otherwise gets the newest report there is (or none yet) and a page that refreshes itself until the new one is done."""

from __future__ import annotations

import contextlib
from concurrent.futures import TimeoutError as StillRunning
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from callwise.board.cache import VersionedCache, lake_version
from callwise.board.campaign_results import ResultsCache, Snapshot
from callwise.lake import Lake

TABLES = ("contacts", "conversions", "campaigns", "campaign_members", "customers")


@dataclass(frozen=True)
class Found:
    """The report, or why there is none (a catalogue key and its values); ``computing``: a newer one is on its way."""

    report: dict[str, Any] | None = None
    reason_key: str | None = None
    reason_values: dict[str, Any] = field(default_factory=dict)
    computing: bool = False


REPORTS = ResultsCache(min_age=timedelta(0), max_entries=32)
FIRST_WAIT_S = 3.0  # how long a request waits for a report being computed before it answers "computing"


def board_report(lake: Lake | None, campaign_id: str | None, lookback_days: int) -> Found:
    if lake is None:
        return Found(reason_key="board.attribution.empty.lake")
    key = (str(lake.root), campaign_id, lookback_days)
    version = lake_version(lake, TABLES)
    lookup = REPORTS.get(key, version, lambda: _compute(lake, campaign_id, lookback_days))
    if lookup.computing and not lookup.current:
        with contextlib.suppress(StillRunning):
            REPORTS.wait(key, timeout=FIRST_WAIT_S)
        lookup = REPORTS.get(key, version, lambda: _compute(lake, campaign_id, lookback_days))
    return _found(lookup.snapshot, computing=lookup.computing and not lookup.current)


def _found(snapshot: Snapshot | None, computing: bool) -> Found:
    if snapshot is None:
        return Found(reason_key="board.attribution.computing", computing=True)
    return Found(snapshot.result, snapshot.reason_key, snapshot.reason_values, computing)


def _compute(lake: Lake, campaign_id: str | None, lookback_days: int) -> dict[str, Any]:
    """On the background thread, through a lake connection of its own (requests keep using the service's)."""
    from callwise.attribution.report import attribution_report

    own = Lake(lake.root, lake.engine, lake.threads, lake.memory_limit, lake.spill_dir)
    return attribution_report(own, campaign_id, lookback_days)


_IDS: VersionedCache[list[str]] = VersionedCache(size=8)


def campaign_ids(lake: Lake | None) -> list[str]:
    """The campaigns the page offers: those of the lake's contacts (the ones that can have touches)."""
    if lake is None or not lake.has("contacts") or "campaign_id" not in lake.table("contacts").columns:
        return []

    def compute() -> list[str]:
        contacts = lake.table("contacts")
        found = contacts.select("campaign_id").distinct().to_pyarrow()["campaign_id"].to_pylist()
        return sorted(str(v) for v in found if v not in (None, ""))

    return _IDS.get(lake_version(lake, ("contacts",)), compute)
