"""Delay spellings: ISO-8601 durations, next_morning@HH:MM, callback_at; and when each falls due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callwise.loop.delays import parse_delay

SHANGHAI = ZoneInfo("Asia/Shanghai")
TS = datetime(2026, 7, 1, 6, 20, tzinfo=UTC)  # 14:20 in Shanghai


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("P3D", timedelta(days=3)),
        ("PT1H", timedelta(hours=1)),
        ("PT15M", timedelta(minutes=15)),
        ("PT0S", timedelta(0)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT90M", timedelta(minutes=90)),
        (" P3D ", timedelta(days=3)),
    ],
)
def test_durations(text, after):
    delay = parse_delay(text)
    assert delay.kind == "after" and delay.after == after


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("P1M", "months or years"),
        ("P1Y", "months or years"),
        ("P1Y2M3D", "months or years"),
        ("3 days", "is not a delay"),
        ("P", "is not a delay"),
        ("PT", "is not a delay"),
        ("P3DT", "is not a delay"),
        ("p3d", "is not a delay"),
        ("-P3D", "is not a delay"),
        ("P1.5D", "is not a delay"),
        ("", "is not a delay"),
        ("P400D", "longer than 365 days"),
        ("next_morning@25:00", "no valid time of day"),
        ("next_morning@09:60", "no valid time of day"),
        ("next_morning", "is not a delay"),
        ("next_morning@9", "is not a delay"),
        ("callback", "is not a delay"),
    ],
)
def test_bad_delays_are_refused_with_the_accepted_spellings(text, words):
    with pytest.raises(ValueError, match=words):
        parse_delay(text)


@pytest.mark.parametrize("value", [3, 3.0, None, True, ["P3D"]])
def test_a_delay_must_be_text(value):
    with pytest.raises(ValueError, match="a delay is text like"):
        parse_delay(value)


def test_a_fixed_delay_counts_from_the_outcome_but_is_never_in_the_past():
    delay = parse_delay("PT1H")
    assert delay.due(TS, TS, SHANGHAI) == TS + timedelta(hours=1)
    late = TS + timedelta(days=2)
    assert delay.due(TS, late, SHANGHAI) == late


def test_next_morning_is_the_next_local_day():
    delay = parse_delay("next_morning@09:30")
    assert delay.due(TS, TS, SHANGHAI) == datetime(2026, 7, 2, 1, 30, tzinfo=UTC)
    # 23:30 UTC on 30 June is already 1 July, 07:30, in Shanghai: the next morning is 2 July.
    early = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert delay.due(early, early, SHANGHAI) == datetime(2026, 7, 2, 1, 30, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")  # daylight saving time: 09:30 EDT is 13:30 UTC
    assert delay.due(TS, TS, new_york) == datetime(2026, 7, 2, 13, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
    assert delay.due(winter, winter, new_york) == datetime(2026, 1, 11, 14, 30, tzinfo=UTC)


def test_callback_at_the_requested_time_else_the_next_whole_hour():
    delay = parse_delay("callback_at")
    asked = datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    assert delay.due(TS, TS, SHANGHAI, asked) == asked
    assert delay.due(TS, TS, SHANGHAI, None) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # 15:00 local
    too_soon = TS + timedelta(minutes=5)
    assert delay.due(TS, TS, SHANGHAI, too_soon) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    now = TS + timedelta(hours=3, minutes=1)  # processed late: the asked-for time has passed
    assert delay.due(TS, now, SHANGHAI, TS + timedelta(hours=1)) == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: the whole hour is local
    assert delay.due(TS, TS, kolkata, None) == datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
