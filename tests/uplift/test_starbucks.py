"""The Starbucks promotion experiment (real, randomised): the exercise's policy score by hand; the defaults on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import SHARED_DATA

from callwise.uplift import UpliftInputError, make_uplift
from callwise.uplift.metrics import qini_coefficient
from callwise.uplift.policy import promote, score_policy

FEATURES = [f"V{i}" for i in range(1, 8)]


def _experiment(name: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    path = SHARED_DATA / name
    assert path.exists(), f"Starbucks data missing at {path}"
    frame = pd.read_parquet(path)
    return frame[FEATURES], frame["purchase"].to_numpy(), (frame["Promotion"] == "Yes").to_numpy()


def test_policy_score_by_hand():
    # Selected: rows 0–5. Treated among them: 0, 1, 2, 3 (buyers 0, 1); control: 4, 5 (buyer 4).
    y = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    t = np.array([1, 1, 1, 1, 0, 0, 0, 1])
    selected = np.array([1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    score = score_policy(y, t, selected, value=10, cost=0.15)
    assert score["irr"] == pytest.approx(2 / 4 - 1 / 2)
    assert score["nir"] == pytest.approx(10 * 2 - 0.15 * 4 - 10 * 1)  # 9.40
    assert (score["selected"], score["treated"], score["control"]) == (6, 4, 2)
    assert (score["buyers_treated"], score["buyers_control"]) == (2, 1)
    with pytest.raises(UpliftInputError):
        score_policy(y, t, selected[:-1], value=10, cost=0.15)


def test_promote_where_expected_increment_is_positive():
    assert promote(np.array([0.016, 0.014, -0.2, 0.5]), 10, 0.15).tolist() == [True, False, False, True]


def test_promoting_everyone_on_the_test_file_scores_as_the_exercise_says():
    _, y, t = _experiment("starbucks-promo-test.parquet")
    score = score_policy(y, t, np.ones(len(y), dtype=bool), value=10, cost=0.15)
    assert score["irr"] == pytest.approx(0.0096, abs=5e-5)
    assert score["nir"] == pytest.approx(-1132.20)


def test_the_default_t_learner_meets_the_exercise_on_the_test_file():
    """The tuned defaults (no bagging: the model does not depend on the seed) against the acceptance figures."""
    X, y, t = _experiment("starbucks-promo-training.parquet")
    model = make_uplift("t", interval_folds=0).fit(X, y, t)
    X_test, y_test, t_test = _experiment("starbucks-promo-test.parquet")
    uplift = model.predict_uplift(X_test)
    assert qini_coefficient(y_test, t_test, uplift) > 0.20  # LightGBM's own defaults: 0.159
    policy = score_policy(y_test, t_test, promote(uplift, 10, 0.15), value=10, cost=0.15)
    assert policy["nir"] > 190 and policy["irr"] > 0.0188  # the exercise's reference: 189.45 and 0.0188
    assert 0.1 < policy["share"] < 0.6  # selective: promoting everyone loses 1,132.20
