"""Filters: the default range, the previous period of the same length, and a query string a link can carry."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs

from callwise.board.filters import Filters

TODAY = date(2026, 12, 2)


def test_the_default_period_is_the_last_seven_days():
    assert Filters().period(TODAY) == (date(2026, 11, 26), TODAY)
    assert Filters().previous(TODAY) == (date(2026, 11, 19), date(2026, 11, 25))


def test_the_previous_period_has_the_same_length():
    asked = Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert asked.previous(TODAY) == (date(2026, 10, 2), date(2026, 10, 31))


def test_the_query_keeps_only_what_is_set_and_applies_changes():
    filters = Filters(date_from=date(2026, 11, 1), campaign="CMP 1&2", page=1)
    assert parse_qs(filters.query()) == {"date_from": ["2026-11-01"], "campaign": ["CMP 1&2"]}
    assert parse_qs(filters.query(page=3, team="T1"))["page"] == ["3"]
    assert Filters().query() == ""
