"""The filters a board view is narrowed by; they live in the URL so a view can be bookmarked and shared."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Filters:
    """A date range, a campaign, a product, a team, and the page of a paged table; ``None`` means all."""

    date_from: date | None = None
    date_to: date | None = None
    campaign: str | None = None
    product: str | None = None
    team: str | None = None
    page: int = 1

    def period(self, today: date) -> tuple[date, date]:
        """The range shown, both ends included: the one asked for, else the last seven days to ``today``."""
        end = self.date_to or today
        start = self.date_from or end - timedelta(days=DEFAULT_DAYS - 1)
        return start, end

    def previous(self, today: date) -> tuple[date, date]:
        """The range of the same length just before ``period``, for the comparison on every tile."""
        start, end = self.period(today)
        length = (end - start).days + 1
        return start - timedelta(days=length), start - timedelta(days=1)

    def query(self, **changes: Any) -> str:
        """The URL query string of these filters with ``changes`` applied; only the values that are set."""
        changed = replace(self, **changes) if changes else self
        pairs = {}
        for item in fields(changed):
            value = getattr(changed, item.name)
            if value is None or (item.name == "page" and value == 1):
                continue
            pairs[item.name] = value.isoformat() if isinstance(value, date) else str(value)
        return urlencode(pairs)
