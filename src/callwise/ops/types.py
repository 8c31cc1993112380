"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from callwise.clock import utcnow


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back time-zone aware.

    SQLite keeps no zone, PostgreSQL keeps one: without this a value read back on SQLite would be naive and
    compare wrongly with an aware one. Naive values are refused on the way in, so local times cannot slip in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; the operational DB stores UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How far a time sent by a dialer, CRM system or agent may lie ahead of ours: their clocks drift a little.
CLOCK_SKEW = timedelta(minutes=5)


def in_future(ts: datetime) -> bool:
    """True when ``ts`` (time-zone aware) lies ahead of now by more than the clock skew allowed."""
    return ts > utcnow().replace(microsecond=0) + CLOCK_SKEW
