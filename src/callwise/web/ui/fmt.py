"""Numbers, money, percentages and dates in the reader's locale (Babel's CLDR data): 1,234.5 / 2026年12月2日."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates, numbers

LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB"}
MISSING = "—"


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


class Formatter:
    """The page's formatting in one language and the bank's time zone; every function renders None as a dash."""

    def __init__(self, lang: str, timezone: str = "Asia/Shanghai") -> None:
        self.locale = LOCALES[lang]
        self.zone = ZoneInfo(timezone)

    def num(self, value: Any, digits: int = 0) -> str:
        if _absent(value):
            return MISSING
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return numbers.format_decimal(value, format=pattern, locale=self.locale)

    def signed(self, value: Any, digits: int = 0) -> str:
        if _absent(value):
            return MISSING
        text = self.num(abs(value), digits)
        return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text

    def pct(self, value: Any, digits: int = 1) -> str:
        """``value`` is a fraction: 0.123 → 12.3%."""
        if _absent(value):
            return MISSING
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return numbers.format_percent(value, format=pattern, locale=self.locale)

    def money(self, value: Any, digits: int = 0) -> str:
        if _absent(value):
            return MISSING
        pattern = "¤#,##0" + ("." + "0" * digits if digits else "")
        return numbers.format_currency(value, "CNY", format=pattern, locale=self.locale, currency_digits=False)

    def date(self, value: Any) -> str:
        if _absent(value):
            return MISSING
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return dates.format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: Any) -> str:
        if _absent(value):
            return MISSING
        if not isinstance(value, dt.datetime):
            return self.date(value)
        return dates.format_datetime(self._local(value), format="medium", locale=self.locale)

    def cell(self, value: Any, kind: str | None = None) -> str:
        """A table cell: ``kind`` (num, pct, money, date, datetime, signed) or a guess from the value's type."""
        if kind:
            return str(getattr(self, kind)(value))
        if _absent(value):
            return MISSING
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, int):
            return self.num(value)
        if isinstance(value, float):
            return self.num(value, 2)
        if isinstance(value, dt.datetime):
            return self.datetime(value)
        if isinstance(value, dt.date):
            return self.date(value)
        return str(value)

    def _local(self, value: dt.datetime) -> dt.datetime:
        return (
            value.astimezone(self.zone) if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.zone)
        )
