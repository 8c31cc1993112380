"""The four learners find a known uplift, refuse what they cannot fit, and explain the uplift they predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.uplift.helpers import experiment, tiny

from callwise.models.lgbm import COMPILE_MIN_ROWS
from callwise.uplift import LEARNERS, UpliftInputError, make_uplift
from callwise.uplift.metrics import qini_coefficient


@pytest.fixture(scope="module")
def fitted(data):
    X, y, t, _ = data
    return {name: make_uplift(name, **tiny(name)).fit(X, y, t) for name in LEARNERS}


@pytest.mark.parametrize("name", LEARNERS)
def test_finds_the_uplift_on_new_customers(name, fitted):
    X, y, t, true = experiment(seed=1)
    uplift = fitted[name].predict_uplift(X)
    assert uplift.dtype == np.float64 and len(uplift) == len(X)
    assert np.corrcoef(uplift, true)[0, 1] > 0.6
    # Against the Qini of the true uplift (the best a model can do on these outcomes) and of no model at all.
    assert qini_coefficient(y, t, uplift) > 0.75 * qini_coefficient(y, t, true) > 0.1
    persuadable = true > 0.2
    assert uplift[persuadable].mean() > uplift[~persuadable].mean() + 0.1


@pytest.mark.parametrize("name", LEARNERS)
def test_outcomes_and_probabilities(name, fitted, data):
    X = data[0].head(200)
    model = fitted[name]
    p_treated, p_control = model.predict_outcomes(X)
    assert ((p_treated >= 0) & (p_treated <= 1) & (p_control >= 0) & (p_control <= 1)).all()
    proba = model.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba[:, 1], p_treated)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    inside = (p_treated > 0) & (p_treated < 1)  # X and DR clip p_treated = p_control + uplift to [0, 1]
    np.testing.assert_allclose((p_treated - p_control)[inside], model.predict_uplift(X)[inside], atol=1e-12)


@pytest.mark.parametrize("name", LEARNERS)
def test_interval_holds_the_prediction_and_widens_with_level(name, fitted, data):
    X = data[0].head(300)
    model = fitted[name]
    uplift = model.predict_uplift(X)
    low, high = model.uplift_interval(X, level=0.9)
    wide_low, wide_high = model.uplift_interval(X, level=0.99)
    assert (low <= uplift).all() and (uplift <= high).all()
    assert (wide_low <= low).all() and (high <= wide_high).all()
    assert (high - low).mean() > 0


@pytest.mark.parametrize("name", LEARNERS)
def test_reasons_are_features_that_raise_the_uplift(name, fitted, data):
    X, *_ = data
    model = fitted[name]
    reasons = model.explain(X.head(500), top=2)
    assert list(reasons.columns) == ["reason_1", "contribution_1", "reason_2", "contribution_2"]
    assert reasons.index.equals(X.head(500).index)
    named = reasons["reason_1"].dropna()
    assert set(named) <= {"x0", "x1", "segment"}
    assert (reasons.loc[named.index, "contribution_1"] > 0).all()
    # x0 > 0 is what makes a persuadable: it is the top reason for most of them.
    persuadable = X.head(500)["x0"] > 0.5
    assert (reasons.loc[persuadable, "reason_1"] == "x0").mean() > 0.6
    assert model.importance().index[0] == "x0"
    assert model.importance().sum() == pytest.approx(1.0)


def test_text_columns_are_categories_and_unseen_values_are_missing(fitted, data):
    X = data[0].head(5).copy()
    X["segment"] = ["a", "zzz", None, "=cmd|' /C calc'!A0", "c"]
    for model in fitted.values():
        assert np.isfinite(model.predict_uplift(X)).all()
    assert fitted["t"].categories_ == {"segment": ["a", "b", "c"]}


def test_arrays_are_accepted_with_the_fitted_width(fitted, data):
    X, y, t, _ = data
    model = make_uplift("t", **tiny("t")).fit(X[["x0", "x1"]].to_numpy(), y, t)
    assert len(model.predict_uplift(X[["x0", "x1"]].to_numpy())) == len(X)
    with pytest.raises(UpliftInputError, match="expects 2"):
        model.predict_uplift(np.zeros((3, 3)))
    with pytest.raises(UpliftInputError, match="lacks the model's columns: segment"):
        make_uplift("t", **tiny("t", interval_folds=0)).fit(X, y, t).predict_uplift(X[["x0", "x1"]])


def test_refusals(data):
    X, y, t, _ = data
    model = make_uplift("t", **tiny("t"))
    with pytest.raises(UpliftInputError, match="needs treated and control rows"):
        model.fit(X, y, np.ones(len(y), dtype=int))
    with pytest.raises(UpliftInputError, match="no control row bought"):
        model.fit(X, np.where(t == 0, 0, y), t)
    with pytest.raises(UpliftInputError, match="no treated row bought"):
        model.fit(X, np.where(t == 1, 0, y), t)
    with pytest.raises(UpliftInputError, match="different numbers of rows"):
        model.fit(X.head(10), y, t)
    with pytest.raises(UpliftInputError, match="must be 0/1"):
        model.fit(X, y, np.where(t == 1, "yes", "no"))
    with pytest.raises(UpliftInputError, match="strictly between 0 and 1"):
        model.fit(X, y, t, propensity=1.0)
    with pytest.raises(UpliftInputError, match="unknown uplift learner 'q'"):
        make_uplift("q")
    no_members = make_uplift("s", **tiny("s", interval_folds=0)).fit(X, y, t)
    with pytest.raises(UpliftInputError, match="without interval members"):
        no_members.uplift_interval(X)


def test_treatment_may_be_bool(data):
    X, y, t, _ = data
    a = make_uplift("t", **tiny("t", interval_folds=0)).fit(X, y, t.astype(bool)).predict_uplift(X)
    b = make_uplift("t", **tiny("t", interval_folds=0)).fit(X, y, t).predict_uplift(X)
    np.testing.assert_array_equal(a, b)


def test_propensity_known_share_or_estimated():
    X, y, t, _ = experiment()
    randomised = make_uplift("x", **tiny("x", interval_folds=0)).fit(X, y, t)
    assert randomised.propensity_info_["source"] == "share"
    assert randomised.propensity_info_["value"] == pytest.approx(t.mean(), abs=1e-6)
    given = make_uplift("x", **tiny("x", interval_folds=0)).fit(X, y, t, propensity=0.5)
    assert given.propensity_info_ == {"source": "given", "value": 0.5}
    Xc, yc, tc, true = experiment(seed=2, confounded=True)  # treatment depends on x1
    confounded = make_uplift("dr", **tiny("dr", interval_folds=0)).fit(Xc, yc, tc)
    info = confounded.propensity_info_
    assert info["source"] == "estimated" and info["balance"]["feature"] == "x1"
    assert np.corrcoef(confounded.predict_uplift(Xc), true)[0, 1] > 0.5
    xl = make_uplift("x", **tiny("x", interval_folds=0)).fit(Xc, yc, tc)
    assert xl.propensity_booster_ is not None
    assert np.isfinite(xl.predict_uplift(Xc)).all()


def test_same_seed_same_model(data):
    X, y, t, _ = data
    a = make_uplift("dr", **tiny("dr")).fit(X, y, t)
    b = make_uplift("dr", **tiny("dr", n_jobs=2)).fit(X, y, t)
    np.testing.assert_array_equal(a.predict_uplift(X), b.predict_uplift(X))
    np.testing.assert_array_equal(a.uplift_interval(X)[0], b.uplift_interval(X)[0])


def test_index_of_scored_frame_is_kept(fitted, data):
    X = data[0].head(4).set_axis([10, 11, 12, 13])
    assert list(fitted["s"].explain(X).index) == [10, 11, 12, 13]
    assert isinstance(fitted["s"].explain(X), pd.DataFrame)


@pytest.mark.parametrize("name", ["t", "dr"])  # a classifier's log-odds and a regressor's value
def test_large_batches_score_through_compiled_trees_the_same(name, fitted, data, tmp_path):
    X = data[0]
    model = fitted[name]
    big = X.iloc[np.random.default_rng(0).integers(0, len(X), COMPILE_MIN_ROWS)]
    half = len(big) // 2  # each half is below the compiled path's batch size
    by_lightgbm = np.concatenate([model.predict_uplift(big.iloc[:half]), model.predict_uplift(big.iloc[half:])])
    np.testing.assert_allclose(model.predict_uplift(big), by_lightgbm, rtol=0, atol=1e-12)
    assert any(trees is not None for trees in model.__dict__["_compiled"].values())
