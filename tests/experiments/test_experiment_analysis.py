"""Lift with a confidence interval: published examples, the chi-square test, and coverage."""

import numpy as np
import pytest
from scipy import stats

from callwise.experiments import ExperimentError
from callwise.experiments.analysis import lift_with_ci


def test_newcombe_1998_examples():
    # Newcombe, Statistics in Medicine 17 (1998), Table II: method 10 (hybrid score) and method 1 (Wald)
    r = lift_with_ci(56, 70, 48, 80)
    assert r["lift_absolute"] == pytest.approx(0.2)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    w = lift_with_ci(56, 70, 48, 80, method="wald")
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((0.0575, 0.3425), abs=1e-4)
    r = lift_with_ci(9, 10, 3, 10)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.1705, 0.8090), abs=1e-4)


def test_p_value_is_the_chi_square_test_of_the_two_by_two_table():
    for counts in [(130, 4_000, 25, 1_000), (56, 70, 48, 80), (30, 1_000, 31, 1_000)]:
        conv_t, n_t, conv_c, n_c = counts
        table = [[conv_t, n_t - conv_t], [conv_c, n_c - conv_c]]
        expected = stats.chi2_contingency(table, correction=False).pvalue
        r = lift_with_ci(*counts)
        assert r["p_value"] == pytest.approx(expected, rel=1e-9)
        assert r["significant"] == (expected < 0.05)
        assert r["lift_relative"] == pytest.approx((conv_t / n_t - conv_c / n_c) / (conv_c / n_c))


def test_no_conversions_at_all():
    r = lift_with_ci(0, 100, 0, 50)
    assert r["lift_absolute"] == 0 and r["lift_relative"] is None and r["p_value"] == 1.0
    assert r["ci_low"] < 0 < r["ci_high"]


def test_newcombe_interval_covers_the_true_lift_95_percent_of_the_time():
    rng = np.random.default_rng(4)
    p_t, p_c, n_t, n_c, runs = 0.05, 0.03, 2_000, 500, 2_000
    hits = 0
    for x_t, x_c in zip(rng.binomial(n_t, p_t, runs), rng.binomial(n_c, p_c, runs), strict=True):
        r = lift_with_ci(int(x_t), n_t, int(x_c), n_c)
        hits += r["ci_low"] <= p_t - p_c <= r["ci_high"]
    assert 0.93 <= hits / runs <= 0.97


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((10, 0, 5, 100), {}, "the treatment group is empty"),
        ((10, 100, 5, 0), {}, "the control group is empty"),
        ((101, 100, 5, 100), {}, "more conversions \\(101\\) than customers \\(100\\)"),
        ((-1, 100, 5, 100), {}, "conv_treat must be a whole number"),
        ((1.5, 100, 5, 100), {}, "conv_treat"),
        ((10, 100, 5, 100), {"alpha": 0}, "alpha"),
        ((10, 100, 5, 100), {"method": "exact"}, "method must be"),
    ],
)
def test_invalid_counts(args, kwargs, message):
    with pytest.raises(ExperimentError, match=message):
        lift_with_ci(*args, **kwargs)
