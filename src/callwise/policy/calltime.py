"""Call-time rules in the customer's local time: quiet hours and closed days.

Plans speak the bank's clock (naive datetimes in ``bank_timezone``); the rules speak the customer's. A slot
``[start, start + slot)`` is legal for a customer in zone Z when no minute of it, read on Z's clock, falls in
the quiet hours and none of the local days it touches is closed. Work is done once per distinct zone (a bank
has a handful of zones and millions of customers) with zoneinfo, so daylight-saving zones are handled.
A zone name that cannot be read has no legal slot: without its clock, no hour can be shown to be legal.
"""

from __future__ import annotations

from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from callwise.policy.config import Policy
from callwise.policy.rules import MINUTES_PER_DAY, WEEKDAYS
from callwise.schema.contract import DEFAULT_TIMEZONE


class LegalSlots(NamedTuple):
    """Legal slots per distinct zone: ``mask[i, j]`` is true when slot j is legal in ``zones[i]``."""

    zones: np.ndarray
    mask: np.ndarray

    def rows(self, timezones: object) -> np.ndarray:
        """Row of ``mask`` for each customer's zone (zones not in ``zones`` raise KeyError)."""
        rows = pd.Index(self.zones).get_indexer(np.asarray(timezones, dtype=object))
        if (rows < 0).any():
            raise KeyError("a time zone that was not in the mask")
        return rows

    def for_customers(self, timezones: object) -> np.ndarray:
        """The mask expanded to one row per customer (memory: customers × slots booleans)."""
        return self.mask[self.rows(timezones)]


def zone(name: str) -> ZoneInfo | None:
    """The zone called ``name``, or None when it cannot be read."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _bank_instants(naive: pd.DatetimeIndex, bank_timezone: str) -> pd.DatetimeIndex:
    """Naive bank-clock times as instants (an ambiguous hour is read as standard time)."""
    bank = zone(bank_timezone)
    if bank is None:
        raise ValueError(f"unknown bank time zone {bank_timezone!r}")
    return naive.tz_localize(bank, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")


def _local(instants: pd.DatetimeIndex, tz: ZoneInfo) -> pd.DatetimeIndex:
    return instants.tz_convert(tz).tz_localize(None)


def to_utc(local: object, timezones: object) -> pd.Series:
    """Naive customer-local times → naive UTC, zone by zone (NaT where the zone cannot be read)."""
    local = pd.Series(pd.DatetimeIndex(np.asarray(local, dtype="datetime64[us]")))
    tz_names = pd.Series(np.asarray(timezones, dtype=object))
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us]")
    for name, where in tz_names.groupby(tz_names, sort=True).groups.items():
        tz = zone(name)
        if tz is None:
            continue
        idx = pd.DatetimeIndex(local.loc[where])
        aware = idx.tz_localize(tz, ambiguous=np.zeros(len(idx), dtype=bool), nonexistent="shift_forward")
        out.loc[where] = aware.tz_convert("UTC").tz_localize(None).as_unit("us")
    return out


def _open_minutes(policy: Policy, local_start: pd.DatetimeIndex, local_end: pd.DatetimeIndex) -> np.ndarray:
    """True where no minute of [local_start, local_end) is in the quiet hours."""
    quiet = np.array(policy.rules.quiet_hours.quiet_minutes(), dtype=np.int64)
    cumulative = np.concatenate([[0], np.cumsum(np.concatenate([quiet, quiet]))])
    day = local_start.normalize()
    first = np.floor((local_start - day) / pd.Timedelta(minutes=1)).astype(np.int64)
    last = np.ceil((local_end - day) / pd.Timedelta(minutes=1)).astype(np.int64)
    last = np.clip(np.maximum(last, first + 1), 0, 2 * MINUTES_PER_DAY)
    return (cumulative[last] - cumulative[first]) == 0


def _open_days(policy: Policy, local_start: pd.DatetimeIndex, local_end: pd.DatetimeIndex) -> np.ndarray:
    """True where neither the first nor the last local day the interval touches is closed."""
    closed = policy.rules.closed_days
    ok = np.ones(len(local_start), dtype=bool)
    if not closed.enabled or not (closed.dates or closed.weekdays):
        return ok
    dates = pd.DatetimeIndex(pd.to_datetime(list(closed.dates))).as_unit("us")
    weekdays = [WEEKDAYS.index(w) for w in closed.weekdays]
    last_moment = local_end - pd.Timedelta(microseconds=1)
    for moment in (local_start, last_moment.where(last_moment >= local_start, local_start)):
        day = moment.normalize().as_unit("us")
        ok &= ~(day.isin(dates) | np.isin(day.day_of_week, weekdays))
    return ok


def legal_intervals(policy: Policy, local_start: pd.DatetimeIndex, local_end: pd.DatetimeIndex) -> np.ndarray:
    """Legal = outside quiet hours and on open local days; the interval is read on the customer's clock."""
    return _open_minutes(policy, local_start, local_end) & _open_days(policy, local_start, local_end)


def legal_slot_mask(
    policy: Policy,
    slot_starts: object,
    timezones: object,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> LegalSlots:
    """For each distinct zone in ``timezones`` and each slot (bank-clock start), whether calling is legal."""
    starts = _bank_instants(pd.DatetimeIndex(np.asarray(slot_starts, dtype="datetime64[us]")), bank_timezone)
    ends = starts + pd.Timedelta(minutes=slot_minutes)
    names = np.unique(np.asarray(timezones, dtype=object).astype(str))
    mask = np.zeros((len(names), len(starts)), dtype=bool)
    for i, name in enumerate(names):
        tz = zone(name)
        if tz is not None:
            mask[i] = legal_intervals(policy, _local(starts, tz), _local(ends, tz))
    return LegalSlots(names, mask)


def local_hour_of_week(slot_starts: object, timezone: str, bank_timezone: str = DEFAULT_TIMEZONE) -> np.ndarray:
    """Hour of the week on the customer's clock for each bank-clock slot start (Monday 00:00 = 0)."""
    tz = zone(timezone)
    if tz is None:
        raise ValueError(f"unknown time zone {timezone!r}")
    starts = _bank_instants(pd.DatetimeIndex(np.asarray(slot_starts, dtype="datetime64[us]")), bank_timezone)
    local = _local(starts, tz)
    return (local.day_of_week * 24 + local.hour).to_numpy(dtype=np.int64)


def local_calls(
    call_at: object, timezones: object, bank_timezone: str = DEFAULT_TIMEZONE, slot_minutes: int = 60
) -> pd.DataFrame:
    """Per call: local start and end of its slot on the customer's clock, and the UTC start (NaT if no zone)."""
    starts = _bank_instants(pd.DatetimeIndex(np.asarray(call_at, dtype="datetime64[us]")), bank_timezone)
    ends = starts + pd.Timedelta(minutes=slot_minutes)
    tz_names = pd.Series(np.asarray(timezones, dtype=object)).astype(str)
    out = pd.DataFrame(
        {
            "local_start": pd.Series(pd.NaT, index=tz_names.index, dtype="datetime64[us]"),
            "local_end": pd.Series(pd.NaT, index=tz_names.index, dtype="datetime64[us]"),
            "utc": starts.tz_convert("UTC").tz_localize(None).as_unit("us"),
        }
    )
    for name, where in tz_names.groupby(tz_names, sort=True).groups.items():
        tz = zone(name)
        if tz is None:
            continue
        rows = np.asarray(where)
        out.loc[rows, "local_start"] = _local(starts[rows], tz).as_unit("us")
        out.loc[rows, "local_end"] = _local(ends[rows], tz).as_unit("us")
    return out


def legal_calls(
    policy: Policy,
    call_at: object,
    timezones: object,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> tuple[np.ndarray, np.ndarray]:
    """Per call: (outside quiet hours, on an open day), on the customer's clock; an unreadable zone fails both."""
    local = local_calls(call_at, timezones, bank_timezone, slot_minutes)
    known = local["local_start"].notna().to_numpy()
    start = pd.DatetimeIndex(local["local_start"].fillna(pd.Timestamp(0)))
    end = pd.DatetimeIndex(local["local_end"].fillna(pd.Timestamp(0)))
    return _open_minutes(policy, start, end) & known, _open_days(policy, start, end) & known
