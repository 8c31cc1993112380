"""Call-time rules on the customer's clock: quiet hours at the minute and the hour, closed days, DST."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from callwise.policy import default_policy, legal_calls, legal_slot_mask, load_policy, local_hour_of_week


def policy_with(tmp_path: Path, rules: str):
    path = tmp_path / "policy.yaml"
    path.write_text(f"name: t\nversion: 1\nrules:\n{rules}", encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize(
    ("bank_time", "zone", "legal"),
    [
        ("2026-07-01 20:59", "Asia/Shanghai", True),
        ("2026-07-01 21:00", "Asia/Shanghai", False),
        ("2026-07-01 08:59", "Asia/Shanghai", False),
        ("2026-07-01 09:00", "Asia/Shanghai", True),
        ("2026-07-01 21:00", "Asia/Urumqi", True),  # 19:00 in Urumqi
        ("2026-07-01 22:59", "Asia/Urumqi", True),  # 20:59 there
        ("2026-07-01 23:00", "Asia/Urumqi", False),  # 21:00 there
        ("2026-07-01 10:59", "Asia/Urumqi", False),  # 08:59 there
        ("2026-07-01 11:00", "Asia/Urumqi", True),  # 09:00 there
    ],
)
def test_a_call_starting_at_a_minute_in_two_zones(bank_time, zone, legal):
    quiet_ok, day_ok = legal_calls(default_policy(), [pd.Timestamp(bank_time)], [zone], slot_minutes=1)
    assert bool(quiet_ok[0]) is legal and bool(day_ok[0])


@pytest.mark.parametrize(
    ("slot", "zone", "legal"),
    [
        ("2026-07-01 20:00", "Asia/Shanghai", True),  # the hour ends at 21:00
        ("2026-07-01 21:00", "Asia/Shanghai", False),
        ("2026-07-01 08:00", "Asia/Shanghai", False),  # the hour ends at 09:00 but starts too early
        ("2026-07-01 09:00", "Asia/Shanghai", True),
        ("2026-07-01 20:30", "Asia/Shanghai", False),  # runs into 21:00
        ("2026-07-01 21:00", "Asia/Urumqi", True),  # 19:00–20:00 there
        ("2026-07-01 22:00", "Asia/Urumqi", True),  # 20:00–21:00 there
        ("2026-07-01 23:00", "Asia/Urumqi", False),
        ("2026-07-01 10:00", "Asia/Urumqi", False),  # 08:00 there
        ("2026-07-01 11:00", "Asia/Urumqi", True),
    ],
)
def test_an_hourly_slot_must_lie_wholly_outside_quiet_hours(slot, zone, legal):
    zones, mask = legal_slot_mask(default_policy(), [pd.Timestamp(slot)], [zone])
    assert list(zones) == [zone] and bool(mask[0, 0]) is legal


def test_mask_is_per_distinct_zone_and_expands_per_customer():
    slots = pd.date_range("2026-07-01 07:00", periods=17, freq="h")
    customers = ["Asia/Urumqi", "Asia/Shanghai", "Asia/Urumqi", "Asia/Shanghai"]
    result = legal_slot_mask(default_policy(), slots, customers)
    assert list(result.zones) == ["Asia/Shanghai", "Asia/Urumqi"] and result.mask.shape == (2, 17)
    hours = slots.hour.to_numpy()
    assert (result.mask[0] == ((hours >= 9) & (hours <= 20))).all()
    assert (result.mask[1] == ((hours >= 11) & (hours <= 22))).all()  # two hours behind
    per_customer = result.for_customers(customers)
    assert per_customer.shape == (4, 17) and (per_customer[0] == result.mask[1]).all()


def test_a_zone_that_cannot_be_read_has_no_legal_slot():
    slots = pd.date_range("2026-07-01 09:00", periods=12, freq="h")
    result = legal_slot_mask(default_policy(), slots, ["Mars/Olympus", "Asia/Shanghai"])
    assert not result.mask[list(result.zones).index("Mars/Olympus")].any()
    assert result.mask[list(result.zones).index("Asia/Shanghai")].all()


def test_daylight_saving_is_followed():
    # New York starts DST on 2026-03-08: 21:00 Beijing is 08:00 local the day before and 09:00 on the day.
    slots = [pd.Timestamp("2026-03-07 21:00"), pd.Timestamp("2026-03-08 21:00")]
    _, mask = legal_slot_mask(default_policy(), slots, ["America/New_York"])
    assert mask[0].tolist() == [False, True]
    assert local_hour_of_week(slots, "America/New_York").tolist() == [5 * 24 + 8, 6 * 24 + 9]


def test_local_hour_of_week_starts_monday_midnight_on_the_customer_clock():
    monday = pd.Timestamp("2026-07-06 00:00")
    assert local_hour_of_week([monday], "Asia/Shanghai").tolist() == [0]
    assert local_hour_of_week([monday], "Asia/Urumqi").tolist() == [6 * 24 + 22]  # Sunday 22:00 there
    with pytest.raises(ValueError, match="time zone"):
        local_hour_of_week([monday], "Nowhere/Land")


def test_closed_dates_and_weekdays_are_local_days(tmp_path):
    policy = policy_with(tmp_path, "  closed_days:\n    dates: ['2026-10-01']\n    weekdays: [sun]\n")
    cases = [
        # bank clock (Beijing), zone, legal
        ("2026-07-06 10:00", "Asia/Shanghai", True),  # Monday
        ("2026-07-05 10:00", "Asia/Shanghai", False),  # Sunday
        ("2026-10-01 10:00", "Asia/Shanghai", False),  # closed date
        ("2026-10-02 10:00", "Asia/Shanghai", True),
        ("2026-07-06 02:00", "Europe/London", False),  # Monday in Beijing, Sunday 19:00 in London
        ("2026-07-06 17:00", "Europe/London", True),  # Monday 10:00 in London
    ]
    times = [pd.Timestamp(c[0]) for c in cases]
    quiet_ok, day_ok = legal_calls(policy, times, [c[1] for c in cases])
    assert (quiet_ok & day_ok).tolist() == [c[2] for c in cases]
    assert quiet_ok.all()  # each of them is refused for its day only
    switched_off = policy_with(tmp_path, "  closed_days: {enabled: false, weekdays: [sun]}\n")
    _, open_again = legal_calls(switched_off, times, ["Asia/Shanghai"] * 6)
    assert open_again.all()


def test_widened_quiet_hours_apply_to_the_whole_slot(tmp_path):
    policy = policy_with(tmp_path, "  quiet_hours:\n    start: '20:00'\n    end: '09:30'\n")
    slots = pd.to_datetime(["2026-07-01 19:00", "2026-07-01 20:00", "2026-07-01 09:00", "2026-07-01 10:00"])
    _, mask = legal_slot_mask(policy, slots, ["Asia/Shanghai"])
    assert mask[0].tolist() == [True, False, False, True]


def test_slots_may_be_given_as_numpy_datetimes():
    slots = np.array(["2026-07-01T09:00", "2026-07-01T21:00"], dtype="datetime64[s]")
    _, mask = legal_slot_mask(default_policy(), slots, np.array(["Asia/Shanghai"], dtype=object))
    assert mask.tolist() == [[True, False]]
