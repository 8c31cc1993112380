"""Times as text that says its zone: UTC with ``Z`` for machines, the customer's wall clock with its offset.

A dialer file or an API answer that gives a bare ``09:30`` leaves its reader to guess whose clock that is; these
helpers write ISO 8601 with the offset, so the zone travels with every value (docs/lists.md, docs/api.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from callwise.policy.calltime import zone


def utc_iso(starts: pd.Series) -> pd.Series:
    """Each UTC instant as ``2026-07-01T01:00:00Z`` (missing stays missing)."""
    utc = pd.to_datetime(starts, utc=True)
    return utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype("str")


def local_iso(starts: pd.Series, zones: pd.Series) -> pd.Series:
    """Each instant on its own zone's clock with the offset, e.g. ``2026-07-01T09:00:00+08:00``.

    Converted zone by zone (a list has a handful of zones, not one per row); an unknown zone gives an empty cell.
    """
    utc = pd.to_datetime(starts, utc=True).reset_index(drop=True)
    names = pd.Series(zones, dtype="str").reset_index(drop=True)
    out = pd.Series([""] * len(utc), dtype="str")
    for name, rows in names.groupby(names).groups.items():
        if zone(str(name)) is None:
            continue
        local = utc[rows].dt.tz_convert(str(name))
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        out[rows] = text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return out


def local_instant(moment: datetime, timezone: str) -> datetime:
    """One aware instant on ``timezone``'s clock (UTC when the zone is unknown)."""
    return moment.astimezone(zone(timezone) or UTC)
