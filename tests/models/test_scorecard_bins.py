"""A scorecard never rewards what it does not know: empty, tiny and unseen bins (decision 0015)."""

import itertools

import numpy as np
import pandas as pd
import pytest

from callwise.models import make_model
from callwise.models.binning import Bins, fit_bins
from callwise.models.widetable import load_wide_table


def synthetic(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    segment = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    logit = -2 + 0.05 * (income - 50) + pd.Series(segment).map({"a": 0, "b": 0.5, "c": -0.7, "d": 1.2}).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"income": income, "segment": segment}), y


def regular_woe(bins: Bins) -> np.ndarray:
    n = len(bins.edges) + 1 if bins.kind == "numeric" else len(bins.groups)
    return np.asarray(bins.woe[:n])


def test_an_empty_missing_bin_gets_the_worst_observed_woe():
    X, y = synthetic()
    for column in X.columns:  # no missing values in training
        bins = fit_bins(X[column], y, max_bins=8, min_share=0.02)
        missing = bins.woe[bins.labels().index("missing")]
        assert missing == pytest.approx(regular_woe(bins).min()) and missing < 0, column


def test_a_tiny_missing_bin_never_beats_the_worst_bin_but_a_large_one_keeps_its_evidence():
    X, y = synthetic()
    income = X["income"].copy()
    buyers = np.flatnonzero(y == 1)
    income.iloc[buyers[:5]] = np.nan  # five blanks, all buyers: a raw WOE would be the best of all
    tiny = fit_bins(income, y, min_share=0.02)
    assert tiny.counts[-1] == 5 and tiny.woe[-1] <= regular_woe(tiny).min() + 1e-12
    income.iloc[buyers[:400]] = np.nan  # 400 blanks, all buyers: real evidence that blanks buy
    large = fit_bins(income, y, min_share=0.02)
    assert large.woe[-1] > regular_woe(large).max()


def test_smoothing_pulls_a_small_bin_toward_zero():
    x = pd.Series(["big"] * 2000 + ["small"] * 40)
    y = np.r_[np.arange(2000) % 10 == 0, np.ones(40, dtype=bool)].astype(int)  # "small" bin: 40 buyers of 40
    bins = fit_bins(x, y)
    small = bins.woe[bins.groups.index(["small"])]
    assert 0 < small < 4, "40 buyers of 40 is strong evidence, but not an infinite (or ~7) WOE"


def test_an_unseen_category_scores_as_the_worst_category_not_as_missing():
    X, y = synthetic()
    X.loc[X.index[:300], "segment"] = None
    y[:300] = 1  # blanks are (in training) very likely to buy: the missing bin earns its points
    model = make_model("scorecard", min_iv=0.0).fit(X, y)
    bins = model.bins_["segment"]
    assert bins.labels()[-2:] == ["missing", "unseen"] and bins.woe[-1] == pytest.approx(regular_woe(bins).min())
    rows = pd.DataFrame({"income": [50.0] * 4, "segment": ["c", "astronaut", None, "d"]})
    worst, unseen, missing, best = model.points(rows)
    assert unseen == pytest.approx(worst) and missing > best


def test_the_points_table_is_the_transform():
    """Every row's points are the base plus the table's points of its bins, blanks and unseen values included."""
    X, y = synthetic()
    model = make_model("scorecard", min_iv=0.0).fit(X, y)
    table = model.points_table()
    assert set(table["feature"].iloc[1:]) == {"income", "segment"}
    rows = pd.DataFrame({"income": [np.nan, 10.0, 50.0, 90.0, np.nan], "segment": ["a", None, "astronaut", "d", "zz"]})
    prepared = model._prepare(rows)
    expected = np.full(len(rows), table.iloc[0]["points"])
    for name in model.selected_:
        bins = model.bins_[name]
        labels = np.asarray(bins.labels())[bins.index(prepared[name])]
        points = table[table["feature"] == name].set_index("bin")["points"]
        expected += points.loc[labels].to_numpy()
    np.testing.assert_allclose(model.points(rows), expected, atol=0.05 * (len(model.selected_) + 1))
    for name in model.selected_:  # missing / unseen rows of the table: the feature's lowest points
        rows_of = table[table["feature"] == name]
        observed = rows_of[rows_of["count"] > 0]["points"]
        assert (rows_of[rows_of["bin"].isin(["missing", "unseen"])]["points"] == observed.min()).all()


def test_a_model_saved_before_the_unseen_bin_still_loads():
    old = Bins("segment", "categorical", groups=[["a"], ["b"]], woe=[0.3, -0.2, 1.5], counts=[10, 10, 3])
    assert old.transform(pd.Series(["a", "zz", None])).tolist() == [0.3, 1.5, 1.5]


@pytest.fixture(scope="module")
def uci_card(uci_additional):
    wide = load_wide_table(uci_additional, "y", drop=["duration"])
    return wide.X, make_model("scorecard").fit(wide.X, wide.y)


@pytest.mark.slow
def test_blanking_a_field_never_lifts_a_uci_customer(uci_card):
    X, model = uci_card
    sample = X.sample(300, random_state=0)
    before = model.points(sample)
    table = model.points_table()
    for column in X.columns:
        observed = table[(table["feature"] == column) & (table["count"] > 0)]["points"]
        spread = observed.max() - observed.min() if len(observed) else 0.0
        rise = model.points(sample.assign(**{column: np.nan})) - before
        assert rise.max() <= spread + 0.05, column  # the issue's bound …
        assert rise.max() <= 1e-9, column  # … and decision 0015's: an empty bin scores as the worst one


@pytest.mark.slow
def test_blanking_three_fields_cannot_make_a_uci_customer_rank_first(uci_card):
    X, model = uci_card
    p = model.predict_proba(X)[:, 1]
    issue = 40_688  # the customer of issue 10: age blank took it from 0.490 to 0.565
    assert model.predict_proba(X.iloc[[issue]].assign(age=np.nan))[0, 1] <= p[issue]
    customers = np.r_[issue, np.random.default_rng(1).choice(len(X), 30, replace=False)]
    triples = list(itertools.combinations(model.selected_, 3))
    blank = pd.DataFrame([[c in t for c in X.columns] for t in triples], columns=X.columns)
    rows = X.iloc[np.repeat(customers, len(triples))].reset_index(drop=True)
    blanked = rows.mask(pd.concat([blank] * len(customers), ignore_index=True))
    best = model.predict_proba(blanked)[:, 1].reshape(len(customers), len(triples)).max(axis=1)
    assert (best <= p[customers] + 1e-12).all()
    top = np.sort(p)[-2:]  # the best score of everyone else: the runner-up for the leader
    others = np.where(p[customers] == top[1], top[0], top[1])
    assert ((best < others) | (p[customers] >= others)).all()
