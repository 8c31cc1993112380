"""The earliest moment at or after a due time when the policy lets a call or message reach a customer.

Legality is decided by the policy's own call-time check (:func:`callwise.policy.calltime.legal_intervals`),
read on the customer's clock. A contact starting at ``t`` needs ``minutes`` of legal time, the way the gate
checks a planned call's slot. Legality can only switch on at the end of the quiet hours or at a local
midnight (when a closed day ends), so the candidates are the due time itself and those two moments on each
of the next days; all are checked at once, no minute-by-minute search.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from callwise.policy import Policy
from callwise.policy.calltime import US_PER_MINUTE, legal_at, legal_intervals, local_from_utc, utc_from_local, zone

HORIZON_DAYS = 62  # closed dates may run a few weeks (a long holiday plus closed weekdays); beyond is no time


def earliest_legal(policy: Policy, due: datetime, timezone: str, minutes: int) -> datetime | None:
    """First legal start at or after ``due`` (aware) in ``timezone``; None if the zone is unreadable or none
    falls within :data:`HORIZON_DAYS`."""
    tz = zone(timezone)
    if tz is None:
        return None
    if legal_at(policy, due.astimezone(tz).replace(tzinfo=None), minutes):
        return due  # the usual case, checked in microseconds: most follow-ups fall due inside legal hours
    names = np.array([timezone], dtype=object)
    due_us = _utc_us(due)
    due_local, _ = local_from_utc(np.array([due_us]), np.zeros(1, dtype=np.int64), names)
    first_day = due_local[0] // (86_400 * 1_000_000)
    days = np.arange(first_day, first_day + HORIZON_DAYS + 1, dtype=np.int64) * 86_400 * 1_000_000
    openings = np.concatenate([days, days + policy.rules.quiet_hours.end_minute * US_PER_MINUTE])
    opening_utc, _ = utc_from_local(openings.view("datetime64[us]"), np.zeros(len(openings), np.int64), names)
    candidates = np.unique(np.concatenate([[due_us], opening_utc[opening_utc >= due_us]]))
    codes = np.zeros(len(candidates), dtype=np.int64)
    start, _ = local_from_utc(candidates, codes, names)
    end, _ = local_from_utc(candidates + minutes * US_PER_MINUTE, codes, names)
    legal = legal_intervals(policy, start.view("datetime64[us]"), end.view("datetime64[us]"))
    if not legal.any():
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(candidates[np.argmax(legal)]))


def _utc_us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
