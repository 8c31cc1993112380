"""One call per phone number per day: which customers share a number, and on which calendar its days count.

The gate refuses what breaks the rule and the scheduler plans around it; both count a number's calls here, so
what the plan avoids is exactly what the gate would refuse. A number's days are the local days of its first
customer's zone (verdicts order, by id); calls on record count on that calendar too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from callwise.policy.calltime import US_PER_DAY, local_from_utc
from callwise.schema.contract import PHONE_KEY

GROUP = np.int64(2**32)  # key = group * 2**32 + value: sorted look-ups per customer or number and day
DAY0 = 2**30  # days since 1970 shifted to stay positive inside a key


@dataclass(frozen=True)
class NumberCalendar:
    """Each customer's number and the zone whose local days count for that number."""

    number: np.ndarray  # (customers,) code of each customer's number; customers sharing one share the code
    zone_of_number: np.ndarray  # (numbers,) zone code of the number's first customer
    zone_of_customer: np.ndarray  # (customers,) zone code
    zones: np.ndarray  # zone names

    def days(self, rows: np.ndarray, utc: np.ndarray, own_day: np.ndarray) -> np.ndarray:
        """Local day of each call (customer row, UTC µs, day on the customer's own clock) on its number's calendar."""
        zone = self.zone_of_number[self.number[rows]]
        other = np.flatnonzero(zone != self.zone_of_customer[rows])
        day = np.array(own_day, dtype=np.int64, copy=True)
        if len(other):
            local, _ = local_from_utc(utc[other], zone[other], self.zones)
            day[other] = np.floor_divide(local, US_PER_DAY)
        return day

    def keys(self, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        """One key per (number, day): equal keys are calls to one number on one of its days."""
        return day_keys(self.number[rows], day)


def number_calendar(frame: pd.DataFrame, zone_of_customer: np.ndarray, zones: np.ndarray) -> NumberCalendar:
    """The numbers of the customers in ``frame`` (the verdicts' frame: every customer, eligible or not)."""
    number, _ = pd.factorize(frame[PHONE_KEY])
    number = number.astype(np.int64)
    missing = np.flatnonzero(number < 0)  # no number on record: shared with nobody
    number[missing] = number.max(initial=-1) + 1 + np.arange(len(missing))
    _, first = np.unique(number, return_index=True)
    return NumberCalendar(number, zone_of_customer[first], zone_of_customer, zones)


def day_keys(number: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.asarray(number, np.int64) * GROUP + (np.asarray(day, np.int64) + DAY0)


def count_in(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """How often each of ``keys`` occurs in ``sorted_keys``."""
    return np.searchsorted(sorted_keys, keys, "right") - np.searchsorted(sorted_keys, keys, "left")


@dataclass(frozen=True)
class NumberDays:
    """For the n customers of a plan: their number, its local day of each slot, and the calls it has left.

    ``watch`` marks the customers whose calls could meet another call to their number on one day: the number is
    shared with another customer of the plan, has calls on record on a campaign day, or its calendar puts two
    campaign days on one local day. Everyone else is left alone (the scheduler already calls a customer at most
    once a campaign day), so the work is over the rare shared numbers only.
    """

    number: np.ndarray  # (n,) int64 code of each customer's number
    calendar: np.ndarray  # (n,) row of ``day`` for the customer's number
    day: np.ndarray  # (calendars, slots) int64 local day of each slot start on that calendar
    on_record: np.ndarray  # sorted keys of the calls on record on the campaign's days, one per call
    limit: int
    watch: np.ndarray  # (n,) bool

    def keys(self, rows: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """(number, local day) key of calling customer ``rows`` in ``slots`` (broadcast together)."""
        return day_keys(self.number[rows], self.day[self.calendar[rows], slots])

    def left(self, keys: np.ndarray) -> np.ndarray:
        """Calls each (number, day) may still get after the calls on record."""
        return self.limit - count_in(self.on_record, keys)

    def full_on_record(self, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
        """(customer rows, their slots × bool) where the calls on record already use the number's day."""
        rows = np.flatnonzero(self.watch)
        keys = self.keys(rows[:, None], np.arange(n_slots)[None, :])
        full = self.left(keys) <= 0
        hit = full.any(axis=1)
        return rows[hit], full[hit]


def plan_number_days(
    calendar: NumberCalendar,
    rows: np.ndarray,
    slot_utc: np.ndarray,
    slot_day: np.ndarray,
    record_keys: np.ndarray,
    limit: int,
) -> NumberDays:
    """The :class:`NumberDays` of the plan's customers (``rows`` of the calendar's frame) over the slots.

    ``slot_utc`` is each slot's start (UTC µs), ``slot_day`` its campaign day; ``record_keys`` the
    (number, day) keys of every call on record, on the numbers' calendars.
    """
    number = calendar.number[rows]
    used, calendar_of = np.unique(calendar.zone_of_number[number], return_inverse=True)
    calendar_of = calendar_of.ravel().astype(np.int64)
    day = np.zeros((len(used), len(slot_utc)), np.int64)
    for k, zone in enumerate(used):  # the zones of the plan's numbers: a handful
        local, _ = local_from_utc(slot_utc, np.full(len(slot_utc), zone), calendar.zones)
        day[k] = np.floor_divide(local, US_PER_DAY)
    on_record = np.sort(record_keys[np.isin(record_keys % GROUP - DAY0, day)])
    _, inverse, counts = np.unique(number, return_inverse=True, return_counts=True)
    shared = counts[inverse.ravel()] > 1
    recorded = np.isin(number, on_record // GROUP)
    aligned = np.array([_one_to_one(slot_day, d) for d in day], dtype=bool)
    watch = shared | recorded | ~aligned[calendar_of]
    return NumberDays(number, calendar_of, day, on_record, limit, watch)


def _one_to_one(slot_day: np.ndarray, local_day: np.ndarray) -> bool:
    """Whether the slots' campaign days and local days match one to one (else a customer may meet their own
    re-attempt on one local day)."""
    pairs = np.unique(np.stack([slot_day, local_day]), axis=1).shape[1]
    return bool(pairs == len(np.unique(slot_day)) == len(np.unique(local_day)))


def nth_in_group(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 … within runs of equal values of a sorted key."""
    index = np.arange(len(keys))
    starts = np.r_[True, keys[1:] != keys[:-1]]
    return index - np.maximum.accumulate(np.where(starts, index, 0))
