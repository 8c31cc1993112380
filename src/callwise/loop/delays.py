"""When a follow-up falls due: a fixed delay, the next local morning, or the time the customer asked for.

Three spellings, checked when the rules file is read: an ISO-8601 duration in weeks, days, hours, minutes and
seconds (``P3D``, ``PT1H``, ``P1DT12H``; months and years have no fixed length and are refused),
``next_morning@HH:MM`` (the next local calendar day at that time), and ``callback_at`` (the customer's
requested time, or the next whole hour when none was given or it is already past).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from callwise.configfile import Invalid
from callwise.i18n.message import msg

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MORNING = re.compile(r"^next_morning@([0-9]{1,2}):([0-9]{2})$")
MAX_DELAY = timedelta(days=365)  # a longer delay is a typo, not a follow-up
CALLBACK_MIN_LEAD = timedelta(minutes=10)  # a requested time closer than this to now is treated as none


@dataclass(frozen=True)
class Delay:
    """A parsed delay: ``kind`` is ``after``, ``next_morning`` or ``callback_at``."""

    text: str
    kind: str
    after: timedelta = timedelta(0)
    minute_of_day: int = 0

    def due(self, ts: datetime, now: datetime, tz: ZoneInfo, callback_at: datetime | None = None) -> datetime:
        """Due time in UTC for an outcome at ``ts`` (UTC), never before ``now``."""
        start = max(ts, now)
        if self.kind == "after":
            return max(ts + self.after, now)
        if self.kind == "next_morning":
            local_day = ts.astimezone(tz).date() + timedelta(days=1)
            hour, minute = divmod(self.minute_of_day, 60)
            local = datetime(local_day.year, local_day.month, local_day.day, hour, minute, tzinfo=tz)
            return max(local.astimezone(UTC), now)
        if callback_at is not None and callback_at >= start + CALLBACK_MIN_LEAD:
            return callback_at
        local = start.astimezone(tz).replace(minute=0, second=0, microsecond=0, tzinfo=None) + timedelta(hours=1)
        return local.replace(tzinfo=tz).astimezone(UTC)


def parse_delay(text: object) -> Delay:
    """The delay written as ``text``; ValueError with the accepted spellings otherwise."""
    if not isinstance(text, str):
        raise Invalid(msg("loop.delay.not_text", value=repr(text)))
    value = text.strip()
    if value == "callback_at":
        return Delay(value, "callback_at")
    morning = _MORNING.match(value)
    if morning:
        hour, minute = int(morning[1]), int(morning[2])
        if hour > 23 or minute > 59:
            raise Invalid(msg("loop.delay.bad_morning", value=value))
        return Delay(value, "next_morning", minute_of_day=hour * 60 + minute)
    if value.startswith("P") and re.search(r"[YM]", value[1:].split("T")[0]):
        raise Invalid(msg("loop.delay.months", value=value))
    duration = _DURATION.match(value)
    if not duration or value in ("P", "PT"):
        raise Invalid(msg("loop.delay.unreadable", value=value))
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in duration.groups())
    after = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if after > MAX_DELAY:
        raise Invalid(msg("loop.delay.too_long", value=value, days=MAX_DELAY.days))
    return Delay(value, "after", after=after)
