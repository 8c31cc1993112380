"""``fit_uplift``: auto picks by cross-validated Qini; a named learner still carries its out-of-fold evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.uplift.helpers import TINY

from callwise.uplift import LEARNERS, UpliftInputError, cross_validate_uplift, fit_uplift, make_uplift
from callwise.uplift import defaults as uplift_defaults
from callwise.uplift.metrics import qini_coefficient

STARBUCKS = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def tiny_defaults(monkeypatch):
    """The learners' default settings made tiny, so ``fit_uplift`` (which takes the defaults) runs fast."""
    for table in (uplift_defaults.OUTCOME, uplift_defaults.EFFECT):
        for name in table:
            monkeypatch.setitem(table, name, TINY)


def test_auto_chooses_the_best_cross_validated_learner(data, tiny_defaults):
    X, y, t, _ = data
    model, selection = fit_uplift(X, y, t, folds=2, seed=3)
    assert set(selection["cv_qini"]) == set(LEARNERS)
    best = max(selection["cv_qini"].values())
    assert selection["cv_qini"][selection["learner"]] == best and model.name == selection["learner"]
    assert selection["requested"] == "auto" and selection["folds"] == 2
    assert selection["evaluation"]["qini"] == pytest.approx(best)
    assert selection["evaluation"]["rows"] == len(y)
    json.dumps(selection, allow_nan=False)
    assert len(model.members_) == uplift_defaults.INTERVAL_FOLDS  # the refit on every row has its interval


def test_named_learner_with_and_without_evaluation(data, tiny_defaults):
    X, y, t, _ = data
    model, selection = fit_uplift(X, y, t, learner="dr", folds=2)
    assert model.name == "dr" and list(selection["cv_qini"]) == ["dr"] and selection["evaluation"]["qini"] > 0.1
    model, selection = fit_uplift(X, y, t, learner="t", folds=0)
    assert selection["evaluation"] is None and selection["cv_qini"] == {}
    with pytest.raises(UpliftInputError, match="at least 2 folds"):
        fit_uplift(X, y, t, folds=0)
    with pytest.raises(UpliftInputError, match="choose one of auto, t, s, x, dr"):
        fit_uplift(X, y, t, learner="best")
    with pytest.raises(UpliftInputError, match="too few treated or control buyers"):
        fit_uplift(X.head(30), y[:30], t[:30], learner="t", folds=20)


def test_a_large_table_is_cross_validated_on_a_stratified_sample_and_refitted_on_every_row(data, tiny_defaults):
    X, y, t, _ = data
    model, selection = fit_uplift(X, y, t, learner="s", folds=2, cv_rows=1000)
    assert selection["cv_rows"] == selection["evaluation"]["rows"] == 1000
    shares = {k: np.mean(2 * t + y == k) for k in range(4)}
    assert selection["evaluation"]["treated"] == pytest.approx(1000 * (shares[2] + shares[3]), abs=2)
    full = make_uplift("s", random_state=0).fit(X, y, t)
    assert np.allclose(model.predict_uplift(X), full.predict_uplift(X)), "the model itself sees every row"
    assert fit_uplift(X, y, t, learner="s", folds=2)[1]["cv_rows"] == len(y)


def test_cross_validate_reports_each_fold(data, tiny_defaults):
    X, y, t, _ = data
    result = cross_validate_uplift("s", X, y, t, folds=3, seed=1)
    assert result["learner"] == "s" and len(result["per_fold"]) == 3
    assert all(fold["qini"] > 0 for fold in result["per_fold"])
    assert {"qini", "auuc", "uplift_at", "ate", "deciles", "calibration", "curve"} <= set(result)


def test_starbucks_promotion():
    """The real experiment: a T-learner fitted on the training file ranks the test file's customers."""
    train = pd.read_parquet(STARBUCKS / "starbucks-promo-training.parquet")
    test = pd.read_parquet(STARBUCKS / "starbucks-promo-test.parquet")
    features = [f"V{i}" for i in range(1, 8)]
    settings = {"n_estimators": 40, "learning_rate": 0.1, "num_leaves": 7, "min_child_samples": 300}
    model = make_uplift("t", outcome_params=settings, interval_folds=0)
    model.fit(train[features], train["purchase"], train["Promotion"] == "Yes")
    uplift = model.predict_uplift(test[features])
    qini = qini_coefficient(test["purchase"], test["Promotion"] == "Yes", uplift)
    assert qini > 0.12  # random ranking: 0; the published T-learner on LightGBM defaults: 0.159
    assert model.propensity_info_["source"] == "share"  # randomised: the balance check finds nothing
    assert np.isfinite(uplift).all()
