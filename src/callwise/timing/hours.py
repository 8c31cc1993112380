"""Hours of the week and the nested time cells the answer model pools over.

An hour-of-week slot is ``weekday * 24 + hour`` (Monday 00:00 = 0 … Sunday 23:00 = 167) in the customer's
local time. The model borrows strength from coarser cells of the same week: all legal hours → (weekday or
weekend, day-part) → (weekday or weekend, hour) → the slot itself. Answering habits differ far more between
a Tuesday morning and a Tuesday evening than between a Tuesday and a Thursday morning, so these cells are
where the pooling is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

HOURS_OF_WEEK = 168
DEFAULT_LEGAL = (9, 21)  # 09:00–20:59 local time, the policy's default calling window
# Day-part boundaries: morning 09–12, lunch 12–14, afternoon 14–18, evening 18–21; the rest is night.
DEFAULT_DAYPARTS = (9, 12, 14, 18, 21)
DAYPART_NAMES = ("night", "morning", "lunch", "afternoon", "evening")
WEEKEND = (5, 6)  # Saturday, Sunday


class TimingError(ValueError):
    """Input the answer model cannot use; the message names the table and the field."""


def default_legal_hours() -> np.ndarray:
    """168 booleans: 09:00–20:59 on every day of the week."""
    hours = np.arange(HOURS_OF_WEEK) % 24
    return (hours >= DEFAULT_LEGAL[0]) & (hours < DEFAULT_LEGAL[1])


def legal_mask(legal_hours: np.ndarray | None) -> np.ndarray:
    """A validated mask of 168 booleans (``None`` → the default window)."""
    if legal_hours is None:
        return default_legal_hours()
    mask = np.asarray(legal_hours)
    if mask.dtype != bool or mask.shape != (HOURS_OF_WEEK,):
        raise TimingError(f"legal_hours must be 168 booleans (one per hour of the week), got shape {mask.shape}")
    if not mask.any():
        raise TimingError("legal_hours allows no hour of the week; nothing can be modelled")
    return mask.copy()


def hour_of_week(ts: pd.Series) -> np.ndarray:
    """Slot of each (naive, customer-local) timestamp, as int16."""
    ts = pd.to_datetime(ts)
    return (ts.dt.day_of_week.to_numpy() * 24 + ts.dt.hour.to_numpy()).astype(np.int16)


def check_hours(hours_of_week: object) -> np.ndarray:
    """Hour-of-week slots as an int array, refusing anything outside 0–167."""
    hours = np.atleast_1d(np.asarray(hours_of_week))
    if hours.dtype.kind not in "iu":
        raise TimingError(f"hours_of_week must be integers 0–167, got {hours.dtype}")
    if hours.size and (hours.min() < 0 or hours.max() >= HOURS_OF_WEEK):
        raise TimingError("hours_of_week must lie in 0–167 (Monday 00:00 = 0)")
    return hours.astype(np.int64)


@dataclass(frozen=True)
class TimeGrid:
    """The nested cells of the week, as maps from each of the 168 slots to a cell number per level."""

    daypart_bounds: tuple[int, ...] = DEFAULT_DAYPARTS
    weekend: tuple[int, ...] = WEEKEND

    def __post_init__(self) -> None:
        b = self.daypart_bounds
        if not b or list(b) != sorted(set(b)) or b[0] < 0 or b[-1] > 24:
            raise TimingError(f"day-part boundaries must be increasing hours within 0–24, got {list(b)}")

    @cached_property
    def daytype(self) -> np.ndarray:
        """0 on weekdays, 1 on weekend days, for each slot."""
        return np.isin(np.arange(HOURS_OF_WEEK) // 24, self.weekend).astype(np.int64)

    @cached_property
    def daypart(self) -> np.ndarray:
        """Day-part of each slot: 0 = night (outside the boundaries), 1… = the parts between boundaries."""
        hour = np.arange(HOURS_OF_WEEK) % 24
        part = np.searchsorted(np.asarray(self.daypart_bounds), hour, side="right")
        return np.where(part >= len(self.daypart_bounds), 0, part).astype(np.int64)

    @property
    def n_dayparts(self) -> int:
        return len(self.daypart_bounds)

    @cached_property
    def levels(self) -> tuple[np.ndarray, ...]:
        """Coarse to fine: whole week, (day type, day-part), (day type, hour), slot."""
        slot = np.arange(HOURS_OF_WEEK)
        return (
            np.zeros(HOURS_OF_WEEK, np.int64),
            self.daytype * self.n_dayparts + self.daypart,
            self.daytype * 24 + slot % 24,
            slot,
        )

    @property
    def level_names(self) -> tuple[str, ...]:
        return ("week", "daypart", "hour", "slot")

    @property
    def part_cells(self) -> np.ndarray:
        """(day type, day-part) cell of each slot: the cells of the customer's own time-of-day habit."""
        return self.levels[1]

    @property
    def n_part_cells(self) -> int:
        return 2 * self.n_dayparts
