"""Slots of a campaign, rosters in the ways call centres write them, and capacity per language pool."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from callwise.schedule.slots import ScheduleInputError, campaign_slots, day_range, parse_shift, workforce

DAYS = [date(2026, 7, 6), date(2026, 7, 7), date(2026, 7, 11)]  # Mon, Tue, Sat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri 09:00-18:00", [(d, 9.0, 18.0) for d in range(5)]),
        ("sat-sun 09:00-18:00", [(5, 9.0, 18.0), (6, 9.0, 18.0)]),
        ("周一至周五 12:00-21:00", [(d, 12.0, 21.0) for d in range(5)]),
        ("wed 10:30-12:00; sat 10:00-14:00", [(2, 10.5, 12.0), (5, 10.0, 14.0)]),
        ("fri-mon 09:00-10:00", [(4, 9.0, 10.0), (5, 9.0, 10.0), (6, 9.0, 10.0), (0, 9.0, 10.0)]),
        ("星期六、星期日 09:00~18:00", [(5, 9.0, 18.0), (6, 9.0, 18.0)]),
    ],
)
def test_shifts_are_read_in_english_and_chinese(text, expected):
    assert sorted(parse_shift(text)) == sorted(expected)


@pytest.mark.parametrize("text", ["", "mon 09:00", "someday 09:00-18:00", "mon 18:00-09:00", "mon 25:00-26:00"])
def test_bad_shifts_are_refused(text):
    with pytest.raises(ValueError):
        parse_shift(text)


def test_campaign_slots_cover_each_day_and_hour():
    slots = campaign_slots(DAYS, 9, 20)
    assert len(slots) == 3 * 11
    assert str(slots.starts[0]) == "2026-07-06T09:00:00" and str(slots.starts[-1]) == "2026-07-11T19:00:00"
    assert (slots.day == np.repeat([0, 1, 2], 11)).all()
    with pytest.raises(ScheduleInputError):
        campaign_slots(DAYS, 20, 9)
    with pytest.raises(ScheduleInputError):
        campaign_slots([], 9, 20)


def test_day_range_skips_closed_days():
    days = day_range(date(2026, 10, 1), 3, closed={date(2026, 10, 1), date(2026, 10, 2)})
    assert days == [date(2026, 10, 3), date(2026, 10, 4), date(2026, 10, 5)]


def agents(**overrides):
    frame = pd.DataFrame(
        {
            "agent_id": ["A1", "A2", "A3", "A4"],
            "skills": ["wealth|fund", "credit_card", "wealth", "wealth,insurance"],
            "languages": ["zh", "zh", "zh|yue", None],
            "shift": ["mon-fri 09:00-18:00", "mon-fri 09:00-18:00", "mon-fri 09:30-12:00", "sat 09:00-18:00"],
            "calls_per_hour": [10.0, 12.0, 8.0, 6.0],
        }
    )
    return frame.assign(**overrides)


def test_capacity_counts_only_skilled_agents_on_shift_by_the_share_of_the_hour():
    slots = campaign_slots(DAYS, 9, 20)
    force = workforce(agents(), slots, "wealth", ["zh"])
    assert list(force.agents["agent_id"]) == ["A1", "A3", "A4"]  # A2 sells credit cards only
    monday = force.capacity[0, :11]
    assert monday[0] == pytest.approx(10 + 8 * 0.5)  # A3 starts at 09:30
    assert monday[1] == pytest.approx(18) and monday[3] == pytest.approx(10) and monday[10] == 0
    saturday = force.capacity[0, 22:]
    assert saturday[:9] == pytest.approx([6.0] * 9)  # A4 (no language given: Mandarin) works Saturdays


def test_an_agent_serves_the_rarest_language_they_speak():
    slots = campaign_slots(DAYS, 9, 20)
    force = workforce(agents(), slots, "wealth", ["yue", "zh"])
    assert force.pools == ["yue", "zh"]
    assert dict(zip(force.agents["agent_id"], force.agents["pool"], strict=True))["A3"] == "yue"
    total = workforce(agents(), slots, "wealth", ["zh"]).capacity.sum()
    assert force.capacity.sum() == pytest.approx(total), "no agent is counted twice"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (agents().drop(columns="shift"), "no column 'shift'"),
        (agents(calls_per_hour=[10, -1, 8, 6]), "A2: calls_per_hour"),
        (agents(shift=["mon-fri 09:00-18:00", "whenever", "mon 09:00-10:00", "sat 09:00-10:00"]), "agent A2"),
    ],
)
def test_bad_agents_are_refused_naming_the_agent_or_column(frame, message):
    with pytest.raises(ScheduleInputError, match=message):
        workforce(frame, campaign_slots(DAYS, 9, 20), None, ["zh"])
