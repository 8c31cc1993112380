"""Times as text that says its zone: UTC with ``Z`` for machines, the customer's wall clock with its offset.

A dialer file or an API answer that gives a bare ``09:30`` leaves its reader to guess whose clock that is; these
helpers write ISO 8601 with the offset, so the zone travels with every value (docs/lists.md, docs/api.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.policy.calltime import zone


def utc_iso(starts: pd.Series) -> pd.Series:
    """Each UTC instant as ``2026-07-01T01:00:00Z`` (missing stays missing)."""
    utc = pd.to_datetime(starts, utc=True)
    return clock_text(utc, "%Y-%m-%dT%H:%M:%SZ")


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
        out[rows] = _zoned_text(utc[rows], str(name))
    return out


def clock_text(times: pd.Series, fmt: str) -> pd.Series:
    """``times.dt.strftime(fmt)`` for the codes ``%Y %m %d %H %M %S`` and literal text, in one Arrow kernel.

    pandas formats each value in Python; Arrow formats the column at once. A time is written on its own wall
    clock (an aware one in its zone), seconds whole, as pandas does; missing stays missing. Series of ``str``.
    """
    wall = times.dt.tz_localize(None) if times.dt.tz is not None else times
    seconds = pa.array(wall.dt.floor("s").to_numpy(), from_pandas=True).cast(pa.timestamp("s"))
    text = pc.strftime(seconds, format=fmt, locale="C")
    return pd.Series(text.to_numpy(zero_copy_only=False), index=times.index, dtype="str")


def _zoned_text(utc: pd.Series, name: str) -> pd.Series:
    """``utc`` on zone ``name``'s clock with its offset as ``+08:00``."""
    local = utc.dt.tz_convert(name)
    offset = (local.dt.tz_localize(None) - utc.dt.tz_localize(None)).dt.total_seconds().to_numpy()
    if (np.nan_to_num(offset) % 60).any():  # an offset with seconds (old local mean times): as pandas writes it
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        replaced: pd.Series = text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
        return replaced
    minutes = np.abs(np.nan_to_num(offset)).astype(np.int64) // 60
    sign = np.where(offset < 0, "-", "+")
    hours = pc.utf8_lpad(pc.cast(pa.array(minutes // 60), pa.string()), 2, "0")
    mins = pc.utf8_lpad(pc.cast(pa.array(minutes % 60), pa.string()), 2, "0")
    zoned = pc.binary_join_element_wise(
        pa.array(clock_text(local, "%Y-%m-%dT%H:%M:%S"), pa.string(), from_pandas=True),
        pa.array(sign),
        hours,
        ":",
        mins,
        "",
    )
    return pd.Series(zoned.to_numpy(zero_copy_only=False), index=utc.index, dtype="str")


def local_instant(moment: datetime, timezone: str) -> datetime:
    """One aware instant on ``timezone``'s clock (UTC when the zone is unknown)."""
    return moment.astimezone(zone(timezone) or UTC)
