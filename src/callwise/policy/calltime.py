"""Call-time rules in the customer's local time: quiet hours and closed days.

Plans speak the bank's clock (naive datetimes in ``bank_timezone``); the rules speak the customer's. A slot
``[start, start + slot)`` is legal for a customer in zone Z when no minute of it, read on Z's clock, falls in
the quiet hours and none of the local days it touches is closed. Work is done once per distinct zone (a bank
has a handful of zones and millions of customers) with zoneinfo, so daylight-saving zones are handled; the
rules themselves are integer arithmetic on microseconds. A zone name that cannot be read has no legal slot:
without its clock, no hour can be shown to be legal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from callwise.policy.config import Policy
from callwise.policy.rules import MINUTES_PER_DAY, WEEKDAYS
from callwise.schema.contract import DEFAULT_TIMEZONE

US_PER_MINUTE = 60_000_000
US_PER_DAY = 86_400_000_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


class LegalSlots(NamedTuple):
    """Legal slots per distinct zone: ``mask[i, j]`` is true when slot j is legal in ``zones[i]``."""

    zones: np.ndarray
    mask: np.ndarray

    def rows(self, timezones: object) -> np.ndarray:
        """Row of ``mask`` for each customer's zone (zones not in ``zones`` raise KeyError)."""
        rows = pd.Index(self.zones).get_indexer(np.asarray(timezones, dtype=object))
        if (rows < 0).any():
            raise KeyError("a time zone that was not in the mask")
        return np.asarray(rows)

    def for_customers(self, timezones: object) -> np.ndarray:
        """The mask expanded to one row per customer (memory: customers × slots booleans)."""
        return np.asarray(self.mask[self.rows(timezones)])


def zone(name: object) -> ZoneInfo | None:
    """The zone called ``name``, or None when it cannot be read."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _naive(values: object) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(values, dtype="datetime64[us]"))


def _localize(naive: pd.DatetimeIndex, tz: ZoneInfo) -> np.ndarray:
    """Naive wall-clock times in ``tz`` → UTC microseconds (an ambiguous hour is read as standard time)."""
    aware = naive.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").as_unit("us").asi8


def bank_utc(naive: object, bank_timezone: str = DEFAULT_TIMEZONE) -> np.ndarray:
    """Naive bank-clock times → UTC microseconds."""
    bank = zone(bank_timezone)
    if bank is None:
        raise ValueError(f"unknown bank time zone {bank_timezone!r}")
    return _localize(_naive(naive), bank)


def zone_codes(timezones: object) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct zone names): the per-zone loops run over a handful of codes."""
    codes, names = pd.factorize(np.asarray(timezones, dtype=object), use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(names, dtype=object)


def local_from_utc(utc_us: np.ndarray, codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds → (local wall-clock microseconds, zone readable) per row, zone by zone."""
    local = np.zeros(len(utc_us), dtype=np.int64)
    known = np.zeros(len(utc_us), dtype=bool)
    for k, name in enumerate(names):
        tz = zone(name)
        if tz is None:
            continue
        rows = np.flatnonzero(codes == k)
        instants = pd.DatetimeIndex(utc_us[rows].view("datetime64[us]")).tz_localize("UTC")
        local[rows] = instants.tz_convert(tz).tz_localize(None).as_unit("us").asi8
        known[rows] = True
    return local, known


def utc_from_local(local: object, codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Naive local wall-clock times → (UTC microseconds, zone readable) per row, zone by zone."""
    naive = _naive(local)
    utc = np.zeros(len(naive), dtype=np.int64)
    known = np.zeros(len(naive), dtype=bool)
    for k, name in enumerate(names):
        tz = zone(name)
        if tz is None:
            continue
        rows = np.flatnonzero(codes == k)
        utc[rows] = _localize(naive[rows], tz)
        known[rows] = True
    return utc, known


def to_utc(local: object, timezones: object) -> pd.Series:
    """Naive customer-local times → naive UTC (NaT where the zone cannot be read)."""
    utc, known = utc_from_local(local, *zone_codes(timezones))
    values = utc.view("datetime64[us]").copy()
    values[~known] = np.datetime64("NaT")
    return pd.Series(values)


def _open_minutes(policy: Policy, start_us: np.ndarray, end_us: np.ndarray) -> np.ndarray:
    """True where no minute of [start, end) (local microseconds) is in the quiet hours."""
    quiet = np.array(policy.rules.quiet_hours.quiet_minutes(), dtype=np.int64)
    cumulative = np.concatenate([[0], np.cumsum(np.concatenate([quiet, quiet]))])
    day_start = np.floor_divide(start_us, US_PER_DAY) * US_PER_DAY
    first = (start_us - day_start) // US_PER_MINUTE
    last = -((day_start - end_us) // US_PER_MINUTE)  # ceiling: a partly used minute counts
    last = np.clip(np.maximum(last, first + 1), 0, 2 * MINUTES_PER_DAY)
    return np.asarray((cumulative[last] - cumulative[first]) == 0)


def _open_days(policy: Policy, start_us: np.ndarray, end_us: np.ndarray) -> np.ndarray:
    """True where neither the first nor the last local day the interval touches is closed."""
    closed = policy.rules.closed_days
    ok = np.ones(len(start_us), dtype=bool)
    if not closed.enabled or not (closed.dates or closed.weekdays):
        return ok
    dates = np.array([d.toordinal() - 719_163 for d in closed.dates], dtype=np.int64)  # days since 1970-01-01
    weekdays = np.array([WEEKDAYS.index(w) for w in closed.weekdays], dtype=np.int64)
    for moment in (start_us, np.maximum(end_us - 1, start_us)):
        day = np.floor_divide(moment, US_PER_DAY)
        ok &= ~(np.isin(day, dates) | np.isin((day + _EPOCH_WEEKDAY) % 7, weekdays))
    return ok


def legal_intervals(policy: Policy, local_start: object, local_end: object) -> np.ndarray:
    """Legal = outside quiet hours and on open local days; the interval is read on the customer's clock."""
    start, end = _naive(local_start).asi8, _naive(local_end).asi8
    return np.asarray(_open_minutes(policy, start, end) & _open_days(policy, start, end))


def legal_at(policy: Policy, local: datetime, minutes: int) -> bool:
    """:func:`legal_intervals` for one contact from ``local`` (wall clock) lasting ``minutes``, without arrays:
    microseconds instead of a millisecond of array set-up, for checking one follow-up at a time."""
    end = local + timedelta(minutes=minutes)
    closed = policy.rules.closed_days
    if closed.enabled and (closed.dates or closed.weekdays):
        last = end - timedelta(microseconds=1) if end > local else local
        for day in {local.date(), last.date()}:
            if day in closed.dates or WEEKDAYS[day.weekday()] in closed.weekdays:
                return False
    quiet = policy.rules.quiet_hours.quiet_minutes()
    first = local.hour * 60 + local.minute
    span = max(-(-int((end - local.replace(second=0, microsecond=0)).total_seconds()) // 60), 1)
    return not any(quiet[(first + m) % len(quiet)] for m in range(span))


def legal_slot_mask(
    policy: Policy,
    slot_starts: object,
    timezones: object,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> LegalSlots:
    """For each distinct zone in ``timezones`` and each slot (bank-clock start), whether calling is legal."""
    starts = bank_utc(slot_starts, bank_timezone)
    names = np.unique(np.asarray(timezones, dtype=object).astype(str))
    mask = np.zeros((len(names), len(starts)), dtype=bool)
    for i, name in enumerate(names):
        codes = np.zeros(len(starts), dtype=np.int64)
        local, known = local_from_utc(starts, codes, np.array([name], dtype=object))
        local_end, _ = local_from_utc(starts + slot_minutes * US_PER_MINUTE, codes, np.array([name], dtype=object))
        mask[i] = known & _open_minutes(policy, local, local_end) & _open_days(policy, local, local_end)
    return LegalSlots(names, mask)


def local_hour_of_week(slot_starts: object, timezone: str, bank_timezone: str = DEFAULT_TIMEZONE) -> np.ndarray:
    """Hour of the week on the customer's clock for each bank-clock slot start (Monday 00:00 = 0)."""
    if zone(timezone) is None:
        raise ValueError(f"unknown time zone {timezone!r}")
    starts = bank_utc(slot_starts, bank_timezone)
    local, _ = local_from_utc(starts, np.zeros(len(starts), dtype=np.int64), np.array([timezone], dtype=object))
    day = np.floor_divide(local, US_PER_DAY)
    hour = (local - day * US_PER_DAY) // (60 * US_PER_MINUTE)
    return np.asarray(((day + _EPOCH_WEEKDAY) % 7) * 24 + hour)


def local_calls(
    call_at: object, timezones: object, bank_timezone: str = DEFAULT_TIMEZONE, slot_minutes: int = 60
) -> pd.DataFrame:
    """Per call: local start and end of its slot on the customer's clock, and the UTC start (NaT if no zone)."""
    utc = bank_utc(call_at, bank_timezone)
    codes, names = zone_codes(timezones)
    start, known = local_from_utc(utc, codes, names)
    end, _ = local_from_utc(utc + slot_minutes * US_PER_MINUTE, codes, names)
    nat = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "local_start": np.where(known, start.view("datetime64[us]"), nat),
            "local_end": np.where(known, end.view("datetime64[us]"), nat),
            "utc": utc.view("datetime64[us]"),
        }
    )


def legal_calls(
    policy: Policy,
    call_at: object,
    timezones: object,
    bank_timezone: str = DEFAULT_TIMEZONE,
    slot_minutes: int = 60,
) -> tuple[np.ndarray, np.ndarray]:
    """Per call: (outside quiet hours, on an open day), on the customer's clock; an unreadable zone fails both."""
    utc = bank_utc(call_at, bank_timezone)
    codes, names = zone_codes(timezones)
    return legal_by_code(policy, utc, codes, names, slot_minutes)


def legal_by_code(
    policy: Policy, utc_us: np.ndarray, codes: np.ndarray, names: np.ndarray, slot_minutes: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`legal_calls` for calls already in UTC microseconds with zone codes (the gate's fast path)."""
    start, known = local_from_utc(utc_us, codes, names)
    end, _ = local_from_utc(utc_us + slot_minutes * US_PER_MINUTE, codes, names)
    return _open_minutes(policy, start, end) & known, _open_days(policy, start, end) & known
