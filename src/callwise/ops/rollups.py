"""Outcome roll-ups: counts per (campaign, local day, disposition), kept with the outcomes they count.

The dashboard's overview reads its volumes (dials, connects, conversions, complaints, DNC requests, talk time)
from ``outcome_rollups``: one row per campaign, day and disposition instead of one per call, so a page over a
million outcomes sums a few thousand rows. ``add_outcomes`` runs inside the transaction that stores the outcomes
(``record_outcomes``, so the API and the dialer import alike): a batch either lands in both tables or in neither,
and a duplicate (an idempotency key stored before) is never counted, since only newly stored outcomes are added.
The upsert adds to the row in one statement (``ON CONFLICT DO UPDATE SET calls = calls + excluded.calls``), so
concurrent writers on PostgreSQL cannot lose each other's counts; rows are taken in key order, so two batches
wait for each other rather than deadlock. ``rebuild_rollups`` recounts everything from ``call_outcomes`` (after
a change of the bank's time zone, or to check). Decision 0031.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callwise.ops.db import table_of
from callwise.ops.models import CallOutcome, OutcomeRollup

KEY = ("campaign_id", "day", "disposition")
NO_CAMPAIGN = ""  # the rollup's campaign of an outcome without one


def default_timezone() -> str:
    """The bank's time zone from the settings (``CALLWISE_TIMEZONE``), when a caller does not give it."""
    from callwise.settings import Settings

    return Settings().timezone


def add_outcomes(session: Session, outcomes: Iterable[Any], bank_timezone: str | None = None) -> int:
    """Count newly stored outcomes (anything with ``campaign_id``, ``ts``, ``disposition``, ``duration_s``) into
    the roll-ups, in the caller's transaction; returns the number of roll-up rows touched."""
    zone = ZoneInfo(bank_timezone or default_timezone())
    counts: dict[tuple[str, date, str], list[float]] = {}
    for o in outcomes:  # a batch of at most a few thousand: the rows being stored, already in memory
        key = (o.campaign_id or NO_CAMPAIGN, o.ts.astimezone(zone).date(), o.disposition)
        entry = counts.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += float(o.duration_s or 0.0)
    rows = [
        {"campaign_id": k[0], "day": k[1], "disposition": k[2], "calls": int(v[0]), "talk_seconds": v[1]}
        for k, v in sorted(counts.items())
    ]
    _upsert(session, rows)
    return len(rows)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = table_of(OutcomeRollup)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY),
        set_={
            "calls": table.c.calls + statement.excluded.calls,
            "talk_seconds": table.c.talk_seconds + statement.excluded.talk_seconds,
        },
    )
    session.execute(statement, rows)


def rebuild_rollups(session: Session, bank_timezone: str | None = None, chunk: int = 200_000) -> int:
    """Recount every roll-up from ``call_outcomes`` (in the caller's transaction); returns the rows written.

    The outcomes are read in chunks and counted with pandas (the local day needs the time-zone database, which
    SQLite lacks), so memory stays at one chunk whatever the table's size.
    """
    zone = bank_timezone or default_timezone()
    o = CallOutcome
    query = select(o.campaign_id, o.ts, o.disposition, o.duration_s).execution_options(yield_per=chunk)
    parts: list[pd.DataFrame] = []
    for part in session.execute(query).partitions():
        frame = pd.DataFrame(part, columns=["campaign_id", "ts", "disposition", "duration_s"])
        frame["campaign_id"] = frame["campaign_id"].fillna(NO_CAMPAIGN)
        frame["day"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(zone).dt.date
        frame["duration_s"] = pd.to_numeric(frame["duration_s"]).fillna(0.0)
        grouped = frame.groupby(list(KEY)).agg(calls=("ts", "size"), talk_seconds=("duration_s", "sum"))
        parts.append(grouped.reset_index())
    session.execute(delete(OutcomeRollup))
    if not parts:
        return 0
    total = pd.concat(parts).groupby(list(KEY), as_index=False)[["calls", "talk_seconds"]].sum()
    columns = zip(
        total["campaign_id"].astype(str),
        total["day"],
        total["disposition"].astype(str),
        total["calls"].astype("int64").tolist(),
        total["talk_seconds"].astype(float).tolist(),
        strict=True,
    )
    rows = [dict(zip(("campaign_id", "day", "disposition", "calls", "talk_seconds"), r, strict=True)) for r in columns]
    session.execute(table_of(OutcomeRollup).insert(), rows)
    return len(rows)
