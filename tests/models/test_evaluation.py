"""Metrics on cases whose answers are known by hand, and the two evaluation protocols."""

import numpy as np
import pandas as pd
import pytest

from callwise.models.evaluation import alift, capture, cross_validate, ks_statistic, metrics, rolling_backtest


def test_perfect_and_reversed_scores():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    perfect = np.linspace(1, 0, 10)
    assert capture(y, perfect, 0.2) == 1.0
    assert capture(y, -perfect, 0.2) == 0.0
    assert ks_statistic(y, perfect) == 1.0
    assert alift(y, perfect) == pytest.approx(0.9, abs=1e-9)  # all buyers in the first 2 of 10 rows
    m = metrics(y, np.clip(perfect, 0.01, 0.99))
    assert m["auc"] == 1.0 and m["capture"]["0.2"] == 1.0 and m["rows"] == 10 and m["positives"] == 2
    assert m["deciles"][0]["lift"] == 5.0 and m["deciles"][-1]["cum_capture"] == 1.0


def test_random_scores_are_about_half():
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.1).astype(int)
    m = metrics(y, rng.random(20_000))
    assert abs(m["auc"] - 0.5) < 0.02 and abs(m["alift"] - 0.5) < 0.02 and abs(m["capture"]["0.5"] - 0.5) < 0.03


def test_keys_the_cli_promises():
    y = np.array([0, 1] * 50)
    m = metrics(y, np.linspace(0.1, 0.9, 100))
    assert {"auc", "pr_auc", "ks", "brier", "log_loss", "alift", "capture", "rows", "positives"} <= set(m)
    assert set(m["capture"]) == {"0.1", "0.2", "0.3", "0.5"}


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=3000), "g": rng.choice(["a", "b"], 3000)})
    y = (rng.random(3000) < 1 / (1 + np.exp(-(2 * X["x"] - 2)))).astype(int)
    return X, y.to_numpy()


def test_cross_validation(toy):
    X, y = toy
    result = cross_validate("logistic", X, y, folds=4, seed=0)
    assert result["protocol"] == "cv" and len(result["fold_auc"]) == 4 and result["rows"] == 3000
    assert result["auc"] > 0.8 and next(iter(result["importance"])) == "x"


def test_rolling_backtest_predicts_only_after_each_window(toy):
    X, y = toy
    result = rolling_backtest("logistic", X, y, window=1000, step=500, test_last=1500)
    assert result["rows"] == 1500
    assert [b["start"] for b in result["blocks"]] == [1500, 2000, 2500]
    everything = rolling_backtest("logistic", X, y, window=1000, step=1000)
    assert everything["rows"] == 2000
    with pytest.raises(ValueError, match="cannot hold a training window"):
        rolling_backtest("logistic", X, y, window=2000, step=100, test_last=1500)
