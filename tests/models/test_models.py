"""Models behind one interface: fit, calibrated scores, reasons, points table, saving without pickle."""

import json

import numpy as np
import pandas as pd
import pytest

from callwise.models import MODELS, ModelFileError, load_model, make_model
from callwise.models.widetable import WideTableError, load_wide_table


@pytest.fixture(scope="module")
def uci(uci_additional):
    wide = load_wide_table(uci_additional, "y", drop=["duration"])
    rng = np.random.default_rng(0)
    rows = rng.choice(len(wide.y), 8_000, replace=False)  # shuffled: train and test from the same period
    return wide.X.iloc[rows].reset_index(drop=True), wide.y[rows]


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_score_explain_save_load(name, uci, tmp_path):
    X, y = uci
    model = make_model(name, random_state=1).fit(X.iloc[:6000], y[:6000])
    p = model.predict_proba(X.iloc[6000:])
    assert p.shape == (2000, 2) and np.allclose(p.sum(axis=1), 1)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[6000:], p[:, 1]) > 0.72, "every model must rank buyers above non-buyers on real data"
    assert abs(p[:, 1].mean() - y[6000:].mean()) < 0.03, "probabilities are calibrated on average"

    reasons = model.explain(X.iloc[6000:6100], top=3)
    assert list(reasons.columns) == [
        "reason_1",
        "contribution_1",
        "reason_2",
        "contribution_2",
        "reason_3",
        "contribution_3",
    ]
    named = reasons["reason_1"].dropna()
    assert len(named) > 50 and set(named) <= set(X.columns)
    assert (reasons["contribution_1"].fillna(0) >= reasons["contribution_2"].fillna(0)).all()

    model.save(tmp_path / name, card={"rows": 6000})
    files = {p.name for p in (tmp_path / name).iterdir()}
    assert not {f for f in files if f.endswith((".pkl", ".pickle", ".joblib"))}
    card = json.loads((tmp_path / name / "model_card.json").read_text(encoding="utf-8"))
    assert card["model"] == name and card["rows"] == 6000 and card["features"] == list(X.columns)
    again = load_model(tmp_path / name)
    np.testing.assert_allclose(again.predict_proba(X.iloc[6000:]), p, rtol=1e-9)
    pd.testing.assert_frame_equal(again.explain(X.iloc[6000:6100]), reasons)


def test_unseen_categories_and_missing_values_still_score(uci):
    X, y = uci
    model = make_model("lightgbm").fit(X, y)
    odd = X.iloc[:5].copy()
    odd["job"] = "astronaut"
    odd.loc[odd.index[0], "age"] = np.nan
    assert np.isfinite(model.predict_proba(odd)).all()


def test_scorecard_points_add_up_to_the_score(uci):
    X, y = uci
    model = make_model("scorecard").fit(X, y)
    table = model.points_table()
    assert table.iloc[0]["feature"] == "(base)"
    assert set(table["feature"].iloc[1:]) == set(model.selected_)
    base = table.iloc[0]["points"]
    row = X.iloc[[0]]
    points = base
    for name in model.selected_:
        bins = model.bins_[name]
        label = bins.labels()[bins.index(model._prepare(row)[name])[0]]
        points += table[(table["feature"] == name) & (table["bin"] == label)]["points"].iloc[0]
    assert points == pytest.approx(model.points(row)[0], abs=0.1 * (len(model.selected_) + 1))
    # The scorecard's bins are monotonic for a numeric feature with a clear trend.
    rates = [
        e / c for e, c in zip(model.bins_["euribor3m"].events[:-1], model.bins_["euribor3m"].counts[:-1], strict=True)
    ]
    assert rates == sorted(rates) or rates == sorted(rates, reverse=True)


def test_bad_targets_are_refused(uci):
    X, _ = uci
    with pytest.raises(ValueError, match="only one class"):
        make_model("logistic").fit(X.iloc[:10], np.zeros(10))
    with pytest.raises(ValueError, match="Only binary classification"):
        make_model("logistic").fit(X.iloc[:3], [0, 1, 2])
    with pytest.raises(ValueError, match="unknown model"):
        make_model("deep-magic")


def test_scoring_data_without_the_model_columns_is_refused(uci):
    X, y = uci
    model = make_model("logistic").fit(X, y)
    with pytest.raises(ValueError, match="lacks the model's columns: age"):
        model.predict_proba(X.drop(columns="age"))


def test_a_damaged_model_directory_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="not a saved model"):
        load_model(tmp_path)
    (tmp_path / "state.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(ModelFileError, match="damaged model file"):
        load_model(tmp_path)


def test_wide_table_loader_both_uci_schemas(uci_additional, uci_full):
    a = load_wide_table(uci_additional, "y", drop=["duration"])
    b = load_wide_table(uci_full, "y", drop=["duration"])
    assert (len(a.y), int(a.y.sum())) == (41_188, 4_640)
    assert (len(b.y), int(b.y.sum())) == (45_211, 5_289)
    assert "balance" in b.X.columns and "duration" not in b.X.columns


def test_wide_table_errors_name_file_and_column(tmp_path, uci_full):
    with pytest.raises(WideTableError, match=r"bank-full\.csv: target column 'bought' is missing"):
        load_wide_table(uci_full, "bought")
    with pytest.raises(WideTableError, match="cannot drop column 'nope'"):
        load_wide_table(uci_full, "y", drop=["nope"])
    path = tmp_path / "t.csv"
    path.write_text("a,target\n1,high\n2,low\n3,\n", encoding="utf-8")
    with pytest.raises(WideTableError, match="cannot tell the positive value"):
        load_wide_table(path, "target")
    wide = load_wide_table(path, "target", positive="high")
    assert wide.y.tolist() == [1, 0] and wide.dropped_no_target == 1


def _booster_trees(booster) -> str:
    """The trees of a booster's model text, without its parameters (which name the thread count)."""
    text = booster.model_to_string()
    return text[: text.index("parameters:")]


@pytest.mark.parametrize("n_jobs", [1, 2, 4])
def test_lightgbm_side_by_side_boosters_give_the_one_by_one_model(uci, n_jobs):
    """The boosters trained at once are those of the earlier fit: the model on n_jobs threads, then each
    calibration fold in turn, its margins on its held-out rows, and Platt scaling on them."""
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    X, y = uci
    model = make_model("lightgbm", random_state=3, n_estimators=40, n_jobs=n_jobs).fit(X, y)
    M, target = model._prepare(X), (y == model.classes_[1]).astype(np.int64)
    names = list(model.feature_names_in_)
    categorical = [j for j, c in enumerate(names) if c in model.categories_]

    def one(rows: np.ndarray) -> lgb.Booster:
        data = lgb.Dataset(M[rows], target[rows], feature_name=names, categorical_feature=categorical)
        return lgb.train(model._params(), data, num_boost_round=40)

    assert _booster_trees(model.booster_) == _booster_trees(one(np.arange(len(target))))
    margin = np.zeros(len(target))
    folds = StratifiedKFold(model.calibration_folds, shuffle=True, random_state=3)
    for train, held_out in folds.split(M, target):
        margin[held_out] = one(train).predict(M[held_out], raw_score=True)
    platt = LogisticRegression(C=1e4).fit(margin.reshape(-1, 1), target)
    assert model.platt_ == (float(platt.coef_[0, 0]), float(platt.intercept_[0]))


def test_lightgbm_n_jobs_of_zero_or_less_means_every_core_as_in_lightgbm(uci, monkeypatch):
    from callwise.models import lgbm

    X, y = uci
    monkeypatch.setattr(lgbm.os, "cpu_count", lambda: 6)
    threads: list[int] = []
    train = lgbm.LightGBMResponse._train

    def recorded(self, M, target, n):
        threads.append(n)
        return train(self, M, target, n)

    monkeypatch.setattr(lgbm.LightGBMResponse, "_train", recorded)
    make_model("lightgbm", random_state=3, n_estimators=5, n_jobs=-1).fit(X, y)
    assert threads == [2, 2, 2]  # the model and its two calibration folds at once, two of the six cores each
