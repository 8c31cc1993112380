"""Daily looks: the mixture SPRT against hand computation, its exact randomisation martingale, and bad input."""

from __future__ import annotations

import math
from itertools import combinations, pairwise

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from callwise.experiments.analysis import lift_with_ci
from callwise.results.sequential import (
    ResultsError,
    always_valid,
    always_valid_counts,
    daily_counts,
)


def _mixture(ratio, scale: float) -> float:
    """∫ ratio(exp(u)) φ(u; 0, scale) du by adaptive quadrature: an independent reference for the grid."""
    value, _ = integrate.quad(lambda u: ratio(math.exp(u)) * stats.norm.pdf(u, scale=scale), -12 * scale, 12 * scale)
    return value


def _frame(groups: list[str], days: list[float | None]) -> dict[str, list]:
    return {"group": groups, "conversion_day": [np.nan if d is None else d for d in days]}


def test_one_conversion_on_one_day_is_the_hand_computed_mixture() -> None:
    # 3 treatment, 2 control, one conversion (treatment) on day 0: P_ψ(x = 1) = 3ψ / (3ψ + 2), P_1 = 3/5.
    frame = _frame(["treatment"] * 3 + ["control"] * 2, [0.4, None, None, None, None])
    result = always_valid(frame, window_days=1, prior_scale=0.5)
    expected = _mixture(lambda psi: (3 * psi / (3 * psi + 2)) / 0.6, 0.5)
    assert result["likelihood_ratio"] == pytest.approx(expected, rel=2e-3)
    assert result["p_value"] == pytest.approx(min(1.0, 1 / expected), rel=2e-3)
    assert result["daily"]["at_risk_treatment"] == [3] and result["daily"]["conversions_treatment"] == [1]


def test_ties_within_a_day_are_one_batch_counted_exactly() -> None:
    # Two treatment conversions on day 1 of 3 T / 2 C: P_ψ(x = 2) = 3ψ² / (3ψ² + 6ψ + 1), P_1 = 3/10.
    frame = _frame(["treatment"] * 3 + ["control"] * 2, [1.2, 1.9, None, None, None])
    result = always_valid(frame, window_days=2, prior_scale=0.5)
    expected = _mixture(lambda p: (3 * p * p / (3 * p * p + 6 * p + 1)) / 0.3, 0.5)
    assert result["daily"]["likelihood_ratio"][0] == pytest.approx(1.0)  # nothing on day 0
    assert result["likelihood_ratio"] == pytest.approx(expected, rel=2e-3)
    # Broken into two days instead (one at a time, the at-risk set shrinking) it is a different, also valid, test.
    split = always_valid(_frame(["treatment"] * 3 + ["control"] * 2, [0.5, 1.5, None, None, None]), prior_scale=0.5)
    two_steps = _mixture(lambda p: (5 * p / (3 * p + 2)) * (4 * p / (2 * p + 2)), 0.5)
    assert split["likelihood_ratio"] == pytest.approx(two_steps, rel=2e-3)


def test_under_the_sharp_null_the_ratio_averages_one_over_every_possible_assignment() -> None:
    # The calls change nothing: each member's conversion day is fixed; only the random labels vary. Averaging Λ
    # over all C(7, 3) equally likely assignments gives exactly 1 on every day (the randomisation martingale).
    days = [0.2, 0.7, 1.5, 1.5, 2.1, None, None]
    totals = np.zeros(3)
    assignments = list(combinations(range(7), 3))
    for treated in assignments:
        groups = ["treatment" if i in treated else "control" for i in range(7)]
        totals += always_valid(_frame(groups, days), window_days=3, prior_scale=0.8)["daily"]["likelihood_ratio"]
    assert totals / len(assignments) == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)


def test_mean_ratio_is_one_and_false_alarms_stay_below_alpha_in_seeded_simulation() -> None:
    rng = np.random.default_rng(20261201)
    finals, alarms = [], 0
    for _ in range(1500):
        n = 400
        treated = rng.random(n) < 0.8
        p = rng.beta(2, 10, n)  # members differ; the calls change nothing
        day = np.where(rng.random(n) < p, rng.integers(0, 10, n) + rng.random(n), np.nan)
        result = always_valid_counts(daily_counts(treated, day, 10), confidence=False)
        finals.append(result["likelihood_ratio"])
        alarms += result["first_day_shown"] is not None
    finals_arr = np.array(finals)
    se = finals_arr.std(ddof=1) / math.sqrt(finals_arr.size)
    assert abs(finals_arr.mean() - 1) < 4 * se + 0.02
    assert alarms / 1500 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 1500)


def test_always_valid_p_value_is_the_running_minimum_and_never_rises() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    treated = rng.random(n) < 0.9
    day = np.where(rng.random(n) < np.where(treated, 0.08, 0.05), rng.random(n) * 20, np.nan)
    result = always_valid({"group": np.where(treated, "treatment", "control"), "conversion_day": day}, window_days=20)
    daily = result["daily"]
    p = np.array(daily["p_value"])
    assert np.all(np.diff(p) <= 0)
    expected = np.minimum(1, 1 / np.maximum.accumulate(np.exp(daily["log_likelihood_ratio"])))
    assert p == pytest.approx(expected)
    assert daily["effect_shown"] == [bool(v <= 0.05) for v in p]
    assert result["first_day_shown"] == (daily["effect_shown"].index(True) if True in daily["effect_shown"] else None)


def test_a_strong_effect_is_shown_and_the_confidence_sequence_excludes_one_exactly_then() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    treated = rng.random(n) < 0.9
    day = np.where(rng.random(n) < np.where(treated, 0.06, 0.03), rng.random(n) * 30, np.nan)
    result = always_valid({"group": np.where(treated, "treatment", "control"), "conversion_day": day}, window_days=30)
    daily = result["daily"]
    assert result["effect_shown"] and result["first_day_shown"] is not None
    for shown, low, high in zip(daily["effect_shown"], daily["cs_low"], daily["cs_high"], strict=True):
        excludes_one = (low is not None and low > 1) or (high is not None and high < 1)
        assert excludes_one == shown
    assert result["cs_low"] < result["hazard_ratio"] < result["cs_high"]
    assert 1.4 < result["hazard_ratio"] < 3.0  # the truth is about 2
    widths = [h - lo for lo, h in zip(daily["cs_low"], daily["cs_high"], strict=True) if lo and h]
    assert all(b <= a + 1e-12 for a, b in pairwise(widths))  # intersected over the days


def test_no_conversions_yet_is_no_evidence() -> None:
    result = always_valid(_frame(["treatment"] * 5 + ["control"] * 5, [None] * 10), window_days=3)
    assert result["daily"]["likelihood_ratio"] == [1.0, 1.0, 1.0]
    assert result["p_value"] == 1.0 and not result["effect_shown"] and result["first_day_shown"] is None
    assert result["cs_low"] is None and result["cs_high"] is None and result["hazard_ratio"] is None
    assert result["daily"]["naive_p_value"] == [1.0, 1.0, 1.0]


def test_naive_repeated_test_is_the_two_proportion_z_test_on_the_conversions_so_far() -> None:
    groups = ["treatment"] * 60 + ["control"] * 40
    days = [0.5] * 5 + [2.5] * 10 + [None] * 45 + [1.5] * 3 + [None] * 37
    result = always_valid(_frame(groups, days), window_days=3)
    for d, (conv_t, conv_c) in enumerate([(5, 0), (5, 3), (15, 3)]):
        assert result["daily"]["naive_p_value"][d] == pytest.approx(lift_with_ci(conv_t, 60, conv_c, 40)["p_value"])


def test_window_days_leaves_later_conversions_out_and_the_default_reaches_the_last_one() -> None:
    frame = _frame(["treatment", "treatment", "control", "control"], [0.5, 4.2, None, 1.0])
    assert always_valid(frame)["window_days"] == 5
    short = always_valid(frame, window_days=2)
    assert short["conversions_treatment"] == 1 and short["conversions_control"] == 1


def test_a_dataframe_and_a_mapping_give_the_same_answer() -> None:
    frame = _frame(["treatment"] * 4 + ["control"] * 3, [0.1, 2.0, None, None, 1.0, None, None])
    frame["converted"] = [1, 1, 0, 0, 1, 0, 0]
    assert always_valid(pd.DataFrame(frame)) == always_valid(frame)


@pytest.mark.parametrize(
    ("frame", "options", "words"),
    [
        ({"group": ["treatment"]}, {}, "no column conversion_day"),
        ({"group": [], "conversion_day": []}, {}, "is empty"),
        ({"group": ["treatment", "test"], "conversion_day": [1.0, None]}, {}, "row 2: group 'test'"),
        ({"group": ["treatment", "treatment"], "conversion_day": [1.0, None]}, {}, "control group"),
        ({"group": ["control"], "conversion_day": [1.0]}, {}, "treatment group"),
        ({"group": ["treatment", "control"], "conversion_day": [-1.0, None]}, {}, "row 1: conversion_day is -1.0"),
        ({"group": ["treatment", "control"], "conversion_day": [math.inf, None]}, {}, "row 1"),
        ({"group": ["treatment", "control"], "conversion_day": ["soon", None]}, {}, "row 1"),
        (
            {"group": ["treatment", "control"], "conversion_day": [None, 2.0], "converted": [0, 0]},
            {},
            "row 2: converted is 0",
        ),
        ({"group": ["treatment", "control"], "conversion_day": [1, 2], "converted": [1, 3]}, {}, "row 2: converted"),
        ({"group": ["treatment", "control"], "conversion_day": [1, 2]}, {"alpha": 1.0}, "alpha"),
        ({"group": ["treatment", "control"], "conversion_day": [1, 2]}, {"window_days": 0}, "window_days"),
        ({"group": ["treatment", "control"], "conversion_day": [1, 2]}, {"prior_scale": 0}, "prior_scale"),
        ({"group": ["treatment", "control"], "conversion_day": [1, 2]}, {"prior_scale": 5.0}, "prior_scale"),
        ({"group": ["treatment", "control"], "conversion_day": [1]}, {}, "differ in length"),
        ("not a frame", {}, "mapping"),
    ],
)
def test_bad_input_is_refused_with_one_sentence_in_both_languages(frame, options, words) -> None:
    with pytest.raises(ResultsError) as caught:
        always_valid(frame, **options)
    assert words in str(caught.value)
    assert caught.value.message("zh") != str(caught.value)
