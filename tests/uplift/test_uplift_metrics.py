"""The uplift metrics: by hand on a tiny case, against scikit-uplift (an independent implementation), edge cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklift import metrics as sk

from callwise.uplift import UpliftInputError
from callwise.uplift.metrics import (
    UPLIFT_AT,
    auuc,
    evaluate_uplift,
    perfect_qini_curve,
    qini_coefficient,
    qini_curve,
    uplift_at_k,
    uplift_by_decile,
    uplift_curve,
)


def test_qini_curve_by_hand():
    # Best first: (t=1, y=1), (t=0, y=0), (t=1, y=0), (t=0, y=1).
    y = np.array([1, 0, 0, 1])
    t = np.array([1, 0, 1, 0])
    uplift = np.array([0.4, 0.3, 0.2, 0.1])
    n, incremental = qini_curve(y, t, uplift)
    # n=1: 1 treated buyer, no control → 1; n=2: 1 − 0 × 1/1 = 1; n=3: 1 − 0 × 2/1 = 1; n=4: 1 − 1 × 2/2 = 0.
    np.testing.assert_allclose(n, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(incremental, [0, 1, 1, 1, 0])
    # Perfect: the treated buyer first, the control buyer last: the same curve here, so the coefficient is 1.
    assert qini_coefficient(y, t, uplift) == pytest.approx(1.0)
    assert qini_coefficient(y, t, -uplift) < 0


def test_ties_enter_together():
    y = np.array([1, 0, 1, 0])
    t = np.array([1, 1, 0, 0])
    n, incremental = qini_curve(y, t, np.array([0.5, 0.5, 0.5, 0.1]))
    np.testing.assert_allclose(n, [0, 3, 4])
    np.testing.assert_allclose(incremental, [0, 1 - 1 * 2 / 1, 0])


def _experiment(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    score = np.round(rng.normal(size=n), 1)  # rounded: many ties
    y = (rng.random(n) < 0.1 + 0.1 * t * (score > 0)).astype(int)
    return y, t, score + rng.normal(scale=0.5, size=n).round(1)


# scikit-uplift 0.5.1 still calls a helper scikit-learn 1.8 deprecates; harmless for the figures.
@pytest.mark.filterwarnings("ignore:Function stable_cumsum is deprecated:FutureWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_scikit_uplift(seed):
    y, t, score = _experiment(seed)
    assert qini_coefficient(y, t, score) == pytest.approx(sk.qini_auc_score(y, score, t), abs=1e-12)
    assert auuc(y, t, score) == pytest.approx(sk.uplift_auc_score(y, score, t), abs=1e-12)
    for k in UPLIFT_AT:
        assert uplift_at_k(y, t, score, k) == pytest.approx(sk.uplift_at_k(y, score, t, "overall", k), abs=1e-12)
    for ours, theirs in (
        (qini_curve(y, t, score), sk.qini_curve(y, score, t)),
        (uplift_curve(y, t, score), sk.uplift_curve(y, score, t)),
        (perfect_qini_curve(y, t), sk.perfect_qini_curve(y, t)),
    ):
        np.testing.assert_allclose(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-9)


def test_by_decile_counts_and_order():
    y, t, score = _experiment(3)
    deciles = uplift_by_decile(y, t, score)
    assert deciles["rows"].sum() == len(y)
    assert list(deciles["decile"]) == list(range(1, 11))
    assert deciles["predicted"].is_monotonic_decreasing
    top = np.argsort(score, kind="mergesort")[::-1][: deciles["rows"].iloc[0]]  # scikit-uplift's order of ties
    expected = y[top][t[top] == 1].mean() - y[top][t[top] == 0].mean()
    assert deciles["observed"].iloc[0] == pytest.approx(expected)
    assert (deciles["low"] < deciles["observed"]).all()
    assert (deciles["observed"] < deciles["high"]).all()


def test_evaluate_is_json_and_complete():
    y, t, score = _experiment(4)
    result = evaluate_uplift(y, t, score)
    json.dumps(result, allow_nan=False)
    assert set(result["uplift_at"]) == {"0.1", "0.2", "0.3", "0.5"}
    assert result["rows"] == len(y) and result["treated"] + result["control"] == len(y)
    assert result["ate"] == pytest.approx(y[t == 1].mean() - y[t == 0].mean(), abs=1e-6)
    assert len(result["curve"]["share"]) == 101 and result["curve"]["qini"][0] == 0
    assert result["curve"]["random"][-1] == pytest.approx(result["curve"]["qini"][-1])
    assert len(result["deciles"]) == 10
    assert set(result["calibration"]) == {"slope", "intercept", "mean_abs_error"}
    assert result["qini"] == pytest.approx(qini_coefficient(y, t, score), abs=1e-6)


def test_calibrated_predictions_have_slope_one():
    rng = np.random.default_rng(5)
    n = 200_000
    effect = rng.uniform(0, 0.3, n)
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.2 + effect * t).astype(int)
    calibration = evaluate_uplift(y, t, effect)["calibration"]
    assert calibration["slope"] == pytest.approx(1.0, abs=0.1)
    assert calibration["mean_abs_error"] < 0.02


def test_refusals():
    y, t, score = np.array([1, 0, 1]), np.array([1, 0, 1]), np.array([0.1, 0.2, 0.3])
    with pytest.raises(UpliftInputError, match="different numbers of rows"):
        qini_coefficient(y, t, score[:2])
    with pytest.raises(UpliftInputError, match="treated and control"):
        qini_coefficient(y, np.ones(3, dtype=int), score)
    with pytest.raises(UpliftInputError, match="must be 0/1"):
        qini_coefficient(np.array([0, 2, 1]), t, score)
    with pytest.raises(UpliftInputError, match="share k"):
        uplift_at_k(y, t, score, 0)
    assert np.isnan(uplift_at_k(y, t, score, 0.34))  # the top row is treated only: no control rate
    assert UpliftInputError("uplift.input.one_group", treated=3, control=0).message("zh").startswith("增益模型")
