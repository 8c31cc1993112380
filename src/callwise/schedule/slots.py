"""The campaign's calling slots and the agents' capacity in each of them.

A slot is one hour ``[start, start + 1h)`` on one campaign day, in the bank's (the call centre's) clock.
Agents work weekly shifts written the way rosters are kept ("mon-fri 09:00-18:00", "周一至周五 09:00-18:00",
several parts separated by ";"); their capacity in a slot is calls_per_hour × the share of the hour on shift.
Agents are grouped into pools by language: a customer is only planned on the capacity of a pool that speaks
their language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
DEFAULT_LANGUAGE = "zh"


class ScheduleInputError(ValueError):
    """Agents, shifts or campaign days that cannot be planned on; the message names the agent or field."""


@dataclass(frozen=True)
class Slots:
    """Hourly slots of a campaign: ``starts`` (naive, bank time), with day index and hour of each."""

    starts: np.ndarray  # datetime64[s]
    day: np.ndarray  # index of the campaign day, 0-based
    hour: np.ndarray  # hour of day in bank time
    days: tuple[date, ...]

    def __len__(self) -> int:
        return len(self.starts)


def campaign_slots(days: list[date] | tuple[date, ...], first_hour: int, last_hour: int) -> Slots:
    """Slots on each day from ``first_hour`` to ``last_hour`` (exclusive), e.g. 9–20 gives 11 slots a day."""
    if not days:
        raise ScheduleInputError("the campaign has no calling days")
    if not 0 <= first_hour < last_hour <= 24:
        raise ScheduleInputError(f"calling hours {first_hour}–{last_hour} are not a window within a day")
    hours = np.arange(first_hour, last_hour)
    day_index = np.repeat(np.arange(len(days)), len(hours))
    hour = np.tile(hours, len(days))
    base = np.array([np.datetime64(datetime.combine(d, time.min), "s") for d in days])
    starts = base[day_index] + hour.astype("timedelta64[h]")
    return Slots(starts=starts.astype("datetime64[s]"), day=day_index, hour=hour, days=tuple(days))


def parse_shift(text: str) -> list[tuple[int, float, float]]:
    """A roster entry → [(weekday, start hour, end hour)], e.g. "mon-fri 09:00-18:00; sat 10:00-14:00"."""
    out: list[tuple[int, float, float]] = []
    for part in re.split(r"[;；]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(?P<days>.+?)\s+(?P<start>\d{1,2}:\d{2})\s*[-–~至]\s*(?P<end>\d{1,2}:\d{2})", part)
        if match is None:
            raise ValueError(f"cannot read shift {part!r} (expected e.g. 'mon-fri 09:00-18:00')")
        start, end = _hours(match["start"]), _hours(match["end"])
        if not 0 <= start < end <= 24:
            raise ValueError(f"shift hours {match['start']}-{match['end']} are not a window within a day")
        out.extend((day, start, end) for day in _weekdays(match["days"]))
    if not out:
        raise ValueError("empty shift")
    return out


def _hours(hhmm: str) -> float:
    h, m = (int(x) for x in hhmm.split(":"))
    if m >= 60 or h > 24 or (h == 24 and m):
        raise ValueError(f"{hhmm!r} is not a time of day")
    return h + m / 60


def _weekday(token: str) -> int:
    token = token.strip().lower()
    if token[:3] in WEEKDAYS:
        return WEEKDAYS.index(token[:3])
    zh = re.fullmatch(r"(?:周|星期|礼拜)([一二三四五六日天])", token)
    if zh:
        return _ZH_WEEKDAYS[zh[1]]
    raise ValueError(f"unknown weekday {token!r}")


def _weekdays(text: str) -> list[int]:
    days: list[int] = []
    for item in re.split(r"[,，、]", text):
        ends = re.split(r"\s*(?:-|–|至|到)\s*", item.strip())
        if len(ends) == 1:
            days.append(_weekday(ends[0]))
        elif len(ends) == 2:
            first, last = _weekday(ends[0]), _weekday(ends[1])
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"cannot read weekdays {item!r}")
    return sorted(set(days))


@dataclass(frozen=True)
class Workforce:
    """The agents able to work this campaign, what each can place per slot, and the pools' totals."""

    agents: pd.DataFrame  # usable agents with their pool (language)
    per_agent: np.ndarray  # (agents × slots) calls
    pools: list[str]
    capacity: np.ndarray  # (pools × slots) calls


def workforce(
    agents: pd.DataFrame, slots: Slots, category: str | None, languages_needed: list[str], share: float = 1.0
) -> Workforce:
    """Capacity per language pool and slot from the agents able to sell ``category``.

    An agent who speaks several needed languages serves the rarest of them (the majority language has the
    most speakers), so no agent is counted twice.
    """
    for column in ("agent_id", "shift", "calls_per_hour"):
        if column not in agents.columns:
            raise ScheduleInputError(f"the agents table has no column {column!r}")
    agents = agents.reset_index(drop=True)
    skilled = np.ones(len(agents), bool)
    if category and "skills" in agents.columns:
        skills = agents["skills"].fillna("").astype(str).str.lower().str.split(r"[|,，、\s]+", regex=True)
        skilled = skills.map(lambda s: category in s).to_numpy(bool)  # one test per agent, not per call
    speaks = _languages(agents)
    speakers = {lang: sum(lang in s for s in speaks) for lang in languages_needed}
    rarest_first = sorted(languages_needed, key=lambda lang: (speakers[lang], lang))
    pool = [next((lang for lang in rarest_first if lang in s), None) for s in speaks]
    usable = skilled & np.array([p is not None for p in pool], dtype=bool)
    agents = agents.assign(pool=np.array(pool, dtype=object))[usable].reset_index(drop=True)
    rate = pd.to_numeric(agents["calls_per_hour"], errors="coerce")
    bad = rate.isna() | (rate < 0)
    if bad.any():
        raise ScheduleInputError(f"agent {agents.loc[bad, 'agent_id'].iloc[0]}: calls_per_hour must be a number ≥ 0")
    weekday = np.array([d.weekday() for d in slots.days])[slots.day]
    on_shift = np.zeros((len(agents), len(slots)))
    for i, (agent_id, shift) in enumerate(zip(agents["agent_id"], agents["shift"], strict=True)):
        try:
            parts = parse_shift(str(shift) if isinstance(shift, str) else "")
        except ValueError as exc:
            raise ScheduleInputError(f"agent {agent_id}: {exc}") from None
        for day, start, end in parts:  # a handful of roster parts per agent
            overlap = np.clip(np.minimum(end, slots.hour + 1) - np.maximum(start, slots.hour), 0, 1)
            on_shift[i] = np.maximum(on_shift[i], np.where(weekday == day, overlap, 0))
    per_agent = on_shift * rate.to_numpy()[:, None] * share
    pools = sorted(languages_needed)
    in_pool = agents["pool"].to_numpy()
    capacity = np.stack([per_agent[in_pool == p].sum(axis=0) for p in pools]) if pools else np.zeros((0, len(slots)))
    return Workforce(agents=agents, per_agent=per_agent, pools=pools, capacity=capacity)


def _languages(agents: pd.DataFrame) -> list[set[str]]:
    if "languages" not in agents.columns:
        return [{DEFAULT_LANGUAGE} for _ in range(len(agents))]
    return [
        {x for x in re.split(r"[|,，、\s]+", str(v).lower()) if x}
        if isinstance(v, str) and v.strip()
        else {DEFAULT_LANGUAGE}
        for v in agents["languages"]
    ]


def day_range(
    start: date, days: int, closed: set[date] | None = None, closed_weekdays: set[int] | None = None
) -> list[date]:
    """``days`` calling days from ``start``, skipping closed dates and weekdays (Monday = 0)."""
    out: list[date] = []
    d = start
    closed, closed_weekdays = closed or set(), closed_weekdays or set()
    if len(closed_weekdays) >= 7:
        raise ScheduleInputError("the policy closes every weekday")
    while len(out) < days:
        if d not in closed and d.weekday() not in closed_weekdays:
            out.append(d)
        d += timedelta(days=1)
        if (d - start).days > 3 * days + 366:
            raise ScheduleInputError("the policy closes too many days to fit the campaign")
    return out
