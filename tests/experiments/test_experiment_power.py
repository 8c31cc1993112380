"""Power numbers against simulated experiments and the textbook formulas."""

import math

import numpy as np
import pytest
from scipy import stats

from callwise.experiments import ExperimentError
from callwise.experiments.power import (
    control_share_tradeoff,
    detectable_lift,
    group_sizes,
    optimal_control_share,
    power_of,
    required_size,
)


def simulated_power(n_c, n_t, p_c, p_t, alpha, two_sided, sims=20_000, seed=1):
    """Run ``sims`` experiments and the pooled two-proportion z-test on each."""
    rng = np.random.default_rng(seed)
    x_c, x_t = rng.binomial(n_c, p_c, sims), rng.binomial(n_t, p_t, sims)
    pooled = (x_c + x_t) / (n_c + n_t)
    z = (x_t / n_t - x_c / n_c) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    if two_sided:
        return np.mean(np.abs(z) > stats.norm.isf(alpha / 2))
    return np.mean(z > stats.norm.isf(alpha))


def textbook_mde(n_c, n_t, p, alpha, power):
    """The usual shortcut: (z_α/2 + z_β)·√(p(1−p)(1/n_c + 1/n_t)), the base rate's variance in both groups."""
    return (stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)) * math.sqrt(p * (1 - p) * (1 / n_c + 1 / n_t))


@pytest.mark.parametrize(
    ("n", "share", "base", "two_sided"),
    [(100_000, 0.1, 0.03, True), (20_000, 0.1, 0.05, True), (50_000, 0.2, 0.02, False)],
)
def test_power_at_the_mde_is_80_percent_in_simulation(n, share, base, two_sided):
    r = detectable_lift(n, share, base, two_sided=two_sided)
    empirical = simulated_power(r["n_control"], r["n_treatment"], base, base + r["mde_absolute"], 0.05, two_sided)
    assert empirical == pytest.approx(0.8, abs=0.015)  # 20,000 runs: sd 0.003, plus the normal approximation


def test_the_textbook_shortcut_overstates_power_and_ours_does_not():
    r = detectable_lift(20_000, 0.1, 0.05)
    rough = textbook_mde(r["n_control"], r["n_treatment"], 0.05, 0.05, 0.8)
    assert rough < r["mde_absolute"] < 1.15 * rough
    empirical = simulated_power(r["n_control"], r["n_treatment"], 0.05, 0.05 + rough, 0.05, True)
    assert empirical < 0.77  # at the shortcut's "MDE" the test has clearly less than the promised 80%


def test_mde_meets_the_textbook_formula_when_the_lift_is_tiny():
    n_c, n_t = group_sizes(100_000_000, 0.5)
    r = detectable_lift(100_000_000, 0.5, 0.3)
    assert r["mde_absolute"] == pytest.approx(textbook_mde(n_c, n_t, 0.3, 0.05, 0.8), rel=2e-3)


def test_required_size_matches_fleiss_for_equal_groups():
    p1, p2, alpha, beta = 0.03, 0.04, 0.05, 0.2
    pbar = (p1 + p2) / 2
    za, zb = stats.norm.isf(alpha / 2), stats.norm.isf(beta)
    per_group = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (
        p2 - p1
    ) ** 2  # Fleiss, Statistical Methods for Rates and Proportions, without continuity correction
    r = required_size(0.01, 0.5, 0.03)
    assert abs(r["list_size"] - 2 * math.ceil(per_group)) <= 2


def test_required_size_is_the_inverse_of_the_mde():
    r = detectable_lift(80_000, 0.15, 0.04)
    back = required_size(r["mde_absolute"] * (1 + 1e-6), 0.15, 0.04)
    assert abs(back["list_size"] - 80_000) <= 5
    s = required_size(0.008, 0.1, 0.03, power=0.9)
    assert s["achieved_power"] >= 0.9
    n_c, n_t = group_sizes(s["list_size"] - 1, 0.1)
    assert power_of(0.008, n_c, n_t, 0.03) < 0.9  # one customer fewer is not enough


def test_power_function_sanity():
    assert power_of(0.0, 1_000, 9_000, 0.03) == pytest.approx(0.05, abs=1e-12)  # no lift: rejects at rate α
    assert power_of(0.0, 1_000, 9_000, 0.03, alpha=0.1, two_sided=False) == pytest.approx(0.1, abs=1e-12)
    lifts = np.linspace(0.001, 0.05, 50)
    assert np.all(np.diff(power_of(lifts, 1_000, 9_000, 0.03)) > 0)


def test_report_contents_and_the_trade_off():
    r = detectable_lift(100_000, 0.1, 0.03)
    assert (r["n_control"], r["n_treatment"], r["calls_not_placed"]) == (10_000, 90_000, 10_000)
    assert r["mde_relative"] == pytest.approx(r["mde_absolute"] / 0.03, rel=1e-6)
    assert r["expected_conversions"]["control"] == pytest.approx(300)
    assert r["expected_conversions"]["treatment_at_mde"] == pytest.approx(90_000 * (0.03 + r["mde_absolute"]))
    shares = [row["control_share"] for row in r["tradeoff"]]
    assert shares == [0.05, 0.1, 0.2, 0.5]
    mdes = [row["mde_absolute"] for row in r["tradeoff"]]
    assert mdes == sorted(mdes, reverse=True)  # a larger control group measures more precisely, up to half
    assert r["tradeoff"][1]["mde_absolute"] == r["mde_absolute"]
    assert 0.4 < r["optimal_control_share"] < 0.6
    assert r["normal_approximation_ok"]
    assert detectable_lift(100_000, 0.1, 0.03, two_sided=False)["mde_absolute"] < r["mde_absolute"]
    assert [row["control_share"] for row in control_share_tradeoff(1_000, 0.3, extra=0.33)] == [
        0.05,
        0.1,
        0.2,
        0.33,
        0.5,
    ]


def test_optimal_share_beats_its_neighbours():
    best = optimal_control_share(50_000, 0.05)
    at = {s: detectable_lift(50_000, s, 0.05)["mde_absolute"] for s in (best, best - 0.05, best + 0.05)}
    assert at[best] < at[best - 0.05] and at[best] < at[best + 0.05]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100_000, 0.0, 0.03), "control_share must be a number strictly between 0 and 1"),
        ((100_000, 1.0, 0.03), "control_share"),
        ((100_000, -0.1, 0.03), "control_share"),
        ((100_000, 0.1, 0.0), "base_rate"),
        ((100_000, 0.1, 1.0), "base_rate"),
        ((100_000, 0.1, 1.5), "base_rate"),
        ((100_000, 0.1, 0.03, 0.0), "alpha"),
        ((100_000, 0.1, 0.03, 1.0), "alpha"),
        ((100_000, 0.1, 0.03, 0.05, 1.0), "power must be a number"),
        ((100_000, 0.1, 0.03, 0.05, 0.04), "power \\(0.04\\) must be larger than alpha"),
        ((1, 0.1, 0.03), "at least 2 customers"),
        ((1_000.5, 0.1, 0.03), "whole number"),
        ((True, 0.1, 0.03), "whole number"),
        ((10, 0.01, 0.5), "leaves a group empty"),
        ((1_000, 0.1, 0.03), "too small to test: its smaller group expects only 3 conversions"),
    ],
)
def test_invalid_power_inputs(args, message):
    with pytest.raises(ExperimentError, match=message):
        detectable_lift(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.0, 0.1, 0.03), "lift must be an absolute lift above 0"),
        ((-0.01, 0.1, 0.03), "lift"),
        ((0.97, 0.1, 0.03), "below 1 − base rate"),
        ((0.01, 1.0, 0.03), "control_share"),
        ((0.01, 0.1, 0.03, 0.05, 0.01), "larger than alpha"),
    ],
)
def test_invalid_required_size_inputs(args, message):
    with pytest.raises(ExperimentError, match=message):
        required_size(*args)
