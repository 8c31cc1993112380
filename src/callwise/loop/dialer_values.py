"""Cell values of a dialer export: local timestamps to UTC, call durations, the parts of an idempotency key.

Vectorised over whole columns. Timestamps reuse ingest's parser, so every spelling ingest reads (``2026/7/1
9:05``, ``2026年7月1日 9时5分``, ``20260701090500`` …) is read here too; the zone is the export's, not the bank's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from callwise.ingest.normalise import ZONE_SUFFIX, parse_datetime, parse_number, within_years
from callwise.policy.calltime import to_utc

_DATE_ONLY = r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{8}"
_CLOCK = r"(\d+):(\d{1,2})(?::(\d{1,2}))?"


def utc_times(text: pd.Series, timezone: str) -> tuple[pd.Series, np.ndarray]:
    """(UTC instants, unreadable) for local timestamps on ``timezone``'s clock; a date without a time is bad."""
    text = text.str.replace(r"(\d:\d{2})[.,]\d+", r"\1", regex=True)  # whole seconds: the dialer's milliseconds go
    zoned = text.str.contains(ZONE_SUFFIX, regex=True).fillna(False).astype(bool)
    local = parse_datetime(text.where(~zoned, None))
    utc = pd.Series(to_utc(local.to_numpy(), np.full(len(text), timezone, dtype=object)).to_numpy())
    out = utc.dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    if zoned.any():
        out[zoned.to_numpy()] = pd.to_datetime(text[zoned], utc=True, errors="coerce", format="ISO8601").to_numpy()
    date_only = text.str.fullmatch(_DATE_ONLY).fillna(False).astype(bool).to_numpy()
    out[date_only] = None  # NaT in a datetime column
    out = within_years(out)  # also for times given with a zone: year 1 is no call time
    bad = text.notna().to_numpy() & out.isna().to_numpy()
    return out, bad


def durations(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Seconds from ``83``, ``83.5``, ``83秒``, ``1:23`` or ``0:01:23``; negative or unreadable is bad."""
    clock = text.str.extract(f"^{_CLOCK}$")
    as_clock = clock[0].notna()
    h_m_s = clock.astype("float64")
    bad_clock = as_clock & ((h_m_s[1] > 59) | (h_m_s[2] > 59))  # minutes and seconds of a clock stay below 60
    seconds_clock = np.where(h_m_s[2].notna(), h_m_s[0] * 3600 + h_m_s[1] * 60 + h_m_s[2], h_m_s[0] * 60 + h_m_s[1])
    plain = parse_number(text.str.replace(r"\s*(?:秒|s|sec|secs|seconds)$", "", regex=True))
    seconds = pd.Series(np.where(as_clock, seconds_clock, plain.astype("float64")), dtype="float64")
    seconds = seconds.where((seconds >= 0) & ~bad_clock.to_numpy())
    bad = text.notna().to_numpy() & seconds.isna().to_numpy()
    return seconds, bad


def escape_part(values: pd.Series) -> pd.Series:
    """``%`` and ``:`` percent-encoded, so ``campaign:call`` can never be read two ways."""
    return values.str.replace("%", "%25", regex=False).str.replace(":", "%3A", regex=False)
