"""The one clock: every "now" in callwise is time-zone aware UTC, read here so tests and code agree."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, time-zone aware (a naive now would compare wrongly with stored UTC times)."""
    return datetime.now(UTC)
