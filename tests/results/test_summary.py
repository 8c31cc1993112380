"""campaign_results: one JSON-ready dict, the same for the same frame, refusing bad settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from callwise.results.effect import ResultsError, itt
from callwise.results.summary import campaign_results, json_ready
from tests.results.frames import hand_frame

COSTS = {"cost_per_call": 2, "cost_per_minute": 1, "cost_per_sms": 0.1, "value_per_conversion": 100}


def test_summary_holds_every_part_and_is_json_and_deterministic():
    frame = hand_frame(30, 100, 5, 50)
    result = campaign_results(frame, COSTS, 30, campaign_id="c-1", extras={"seed": 3})
    for key in ("itt", "costs", "value", "reached", "harm", "adjusted", "breakdowns", "sequential", "arms", "thompson"):
        assert key in result
    assert result["members"] == {"total": 150, "treatment": 100, "control": 50}
    assert result["itt"]["incremental_conversions"]["estimate"] == pytest.approx(20.0)
    assert result["costs"]["total"] == pytest.approx(460.0)
    assert result["value"]["cpia"]["estimate"] == pytest.approx(23.0)
    assert result["extras"] == {"seed": 3} and result["window_days"] == 30
    text = json.dumps(result, sort_keys=True, allow_nan=False)
    again = json.dumps(
        campaign_results(frame.sample(frac=1, random_state=1), COSTS, 30, campaign_id="c-1", extras={"seed": 3}),
        sort_keys=True,
    )
    assert text == again  # row order does not matter
    assert "C00001" not in text  # no customer id in the results


def test_the_daily_look_and_the_arms_are_part_of_the_results():
    result = campaign_results(hand_frame(30, 100, 5, 50), COSTS, 30)
    assert result["sequential"]["p_value"] <= 1.0 and "effect_shown" in result["sequential"]
    assert set(result["thompson"]) >= {"control"}
    assert sum(result["thompson"].values()) == pytest.approx(1.0, abs=1e-5)  # rounded to 6 digits


def test_summary_warns_about_small_cells_and_unbounded_cpia():
    result = campaign_results(hand_frame(12, 100, 5, 50), COSTS, 30)
    assert "small_cells" in result["warnings"] and "cpia_unbounded_high" in result["warnings"]


def test_costs_object_with_attributes_is_accepted():
    class Settings:
        cost_per_call = 2.0
        cost_per_minute = 1.0
        cost_per_sms = 0.1

    assert campaign_results(hand_frame(30, 100, 5, 50), Settings(), 30)["costs"]["total"] == pytest.approx(460.0)


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"window_days": 0}, "results.error.bad_window"),
        ({"alpha": 1.5}, "results.error.bad_alpha"),
        ({"costs": {"cost_per_sms": -0.1}}, "results.error.bad_cost"),
    ],
)
def test_bad_settings_are_refused(kwargs, key):
    args = {"frame": hand_frame(30, 100, 5, 50), "costs": COSTS, "window_days": 30} | kwargs
    with pytest.raises(ResultsError) as error:
        campaign_results(**args)
    assert error.value.key == key


def test_missing_revenue_column_falls_back_to_value_per_conversion():
    frame = hand_frame(30, 100, 5, 50).drop(columns="revenue")
    r = itt(frame, costs=None)
    assert r["revenue"]["basis"] == "value_per_conversion"
    result = campaign_results(frame, COSTS, 30)
    assert result["itt"]["revenue"]["incremental"]["estimate"] == pytest.approx(2000.0)


def test_json_ready_rounds_and_drops_non_finite():
    assert json_ready({"a": np.float64(0.123456789), "b": float("nan"), "c": 12345.6789, "d": np.int64(3)}) == {
        "a": 0.123457,
        "b": None,
        "c": 12345.68,
        "d": 3,
    }
