"""Dates in configuration files, read by the same parser as ingest (``2026-7-6``, ``2026/7/6``, ``20260706``,
``2026年7月6日`` …), so a date a bank's files use is a date its campaign file may use too.

What the parser refuses is named: a day-first or month-first date (``03/05/2026`` could be either), a day
that is not on the calendar (``2026-02-30``), a year outside what the lake keeps, or a time of day.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from callwise.configfile import Invalid
from callwise.i18n.message import msg
from callwise.ingest.normalise import EARLIEST, LATEST, parse_one_date

_YEAR_LAST = re.compile(r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$")
_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$|^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"\d[ T]+\d{1,2}\s*[:时点]")


def read_date(value: Any) -> Any:
    """A date from text (or the number ``20260706``); anything else is left for the model to refuse."""
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    if isinstance(value, date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _TIME.search(text):
        raise Invalid(msg("config.date.time_of_day", value=text))
    parsed = parse_one_date(text)
    if parsed is not None:
        return parsed
    if _YEAR_LAST.match(text):
        raise Invalid(msg("config.date.ambiguous", value=text))
    shape = _YEAR_FIRST.match(text)
    if shape is None:
        raise Invalid(msg("config.date.unreadable", value=text))
    year = int(shape.group(1) or shape.group(4))
    if not EARLIEST.year <= year < LATEST.year:
        raise Invalid(msg("config.date.years", value=text, first=EARLIEST.year, last=LATEST.year - 1))
    raise Invalid(msg("config.date.not_a_day", value=text))


ConfigDate = Annotated[date, BeforeValidator(read_date)]
