"""p(answer) per slot in the customer's own clock, under the policy; the response score turned into a margin."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from callwise.policy import default_policy
from callwise.schedule.slots import campaign_slots
from callwise.schedule.stage import answer_matrix, answered_conversion
from callwise.timing import fit_from_lake

SLOTS = campaign_slots([date(2026, 7, 1), date(2026, 7, 2)], 9, 21)  # Wed, Thu; 09:00–20:59 Beijing


@pytest.fixture(scope="module")
def answer_model(small_bank):
    return fit_from_lake(small_bank["lake"], datetime(2026, 7, 1))


def customers(model, **columns):
    """Three customers with call history (so their own profile differs from the global one)."""
    known = model.customer_ids[model.customer_attempts >= 3][:3]
    base = {
        "customer_id": list(known),
        "timezone": ["Asia/Shanghai", "Asia/Urumqi", "Asia/Shanghai"],
        "non_personalised": [False, False, True],
        "last_call_at": pd.to_datetime([None, None, None]),
    }
    return pd.DataFrame({**base, **columns})


def test_quiet_hours_apply_in_each_customers_own_time_zone(answer_model):
    p = answer_matrix(customers(answer_model), answer_model, default_policy(), SLOTS, "Asia/Shanghai")
    hour = SLOTS.hour
    assert (p[0, hour < 21] > 0).all()  # Beijing: 09:00–20:59 is all legal
    urumqi = p[1]
    assert (urumqi[(hour == 9) | (hour == 10)] == 0).all(), "09:00 Beijing is 07:00 in Urumqi"
    assert (urumqi[(hour >= 11) & (hour <= 20)] > 0).all(), "20:00 Beijing is 18:00 in Urumqi"


def test_opted_out_customers_get_the_global_profile(answer_model):
    p = answer_matrix(customers(answer_model), answer_model, default_policy(), SLOTS, "Asia/Shanghai")
    third = customers(answer_model)["customer_id"].iloc[2]
    wednesday_9 = [2 * 24 + 9]
    general = answer_model.probabilities([third], wednesday_9, non_personalised=[True])[0, 0]
    own = answer_model.probabilities([third], wednesday_9)[0, 0]
    assert own != pytest.approx(general)
    assert p[2, 0] == pytest.approx(general)


def test_no_slot_before_the_minimum_gap_after_the_last_call(answer_model):
    last = pd.to_datetime(["2026-07-01 10:30", None, None])
    p = answer_matrix(
        customers(answer_model, last_call_at=last), answer_model, default_policy(), SLOTS, "Asia/Shanghai"
    )
    starts = pd.DatetimeIndex(SLOTS.starts)
    assert (p[0, starts < pd.Timestamp("2026-07-01 14:30")] == 0).all()  # 4 hours after 10:30
    assert (p[0, starts >= pd.Timestamp("2026-07-01 15:00")] > 0).all()


def test_margin_credits_conversions_to_answered_calls():
    p = np.array([[0.5, 0.5, 0.0], [0.1, 0.1, 0.1]], np.float32)
    conv = answered_conversion(np.array([0.1, 0.5]), p)
    assert conv[0] == pytest.approx(0.1 / (1 - 0.5**3))  # mean over allowed slots only
    assert conv[1] == 1.0  # capped: more conversions than answers cannot be
