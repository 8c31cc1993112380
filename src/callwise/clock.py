"""The one clock: every "now" in callwise is time-zone aware UTC, read here so tests and code agree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, in UTC, time-zone aware (a naive now would compare wrongly with stored UTC times)."""
    return datetime.now(UTC)


def today_in(zone: str) -> date:
    """Today's date on the clock of ``zone`` (the bank's day, not the server's)."""
    return utcnow().astimezone(ZoneInfo(zone)).date()
