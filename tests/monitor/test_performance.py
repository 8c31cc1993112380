"""Weekly AUC against scikit-learn, its interval's coverage, calibration, lift, the decay rule on seeded cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from callwise.monitor.decay import auc_below, monitor_weeks
from callwise.monitor.errors import MonitorError
from callwise.monitor.performance import hanley_mcneil_se, weekly_performance
from callwise.monitor.simulate import Scenario, monitoring_run
from callwise.monitor.stability import build_profile


def _weeks(seed: int = 0, n: int = 2_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 12, 3 * n)
    return pd.DataFrame(
        {"score": p, "converted": (rng.random(3 * n) < p).astype(int), "week": np.repeat(["w1", "w2", "w3"], n)}
    )


def test_weekly_auc_equals_sklearn_and_calibration_is_right() -> None:
    frame = _weeks()
    rows = weekly_performance(frame)
    assert [r["week"] for r in rows] == ["w1", "w2", "w3"]
    for row, (_, week) in zip(rows, frame.groupby("week"), strict=True):
        assert row["auc"] == pytest.approx(roc_auc_score(week["converted"], week["score"]), abs=1e-6)
        assert row["n"] == len(week) and row["positives"] == week["converted"].sum()
        half = (row["citl_high"] - row["citl_low"]) / 2  # 1.96 standard errors
        assert abs(row["citl"]) <= half * 3 / 1.96  # the scores are the true probabilities: within 3 SE
        assert row["slope"] == pytest.approx(1.0, abs=0.35)
        top = week.nlargest(round(len(week) * 0.1), "score")
        assert row["top_decile_lift"] == pytest.approx(top["converted"].mean() / week["converted"].mean(), rel=1e-3)


def test_hanley_mcneil_interval_covers_the_true_auc() -> None:
    rng = np.random.default_rng(1)
    big = rng.normal(size=200_000)
    truth = roc_auc_score(np.r_[np.ones(100_000), np.zeros(100_000)], np.r_[big[:100_000] + 0.8, big[100_000:]])
    covered = 0
    for _ in range(300):
        pos, neg = rng.normal(0.8, 1, 80), rng.normal(0, 1, 400)
        y, s = np.r_[np.ones(80), np.zeros(400)], np.r_[pos, neg]
        auc = roc_auc_score(y, s)
        se = hanley_mcneil_se(auc, 80, 400)
        covered += abs(auc - truth) <= 1.96 * se
    assert 0.91 <= covered / 300 <= 0.99


def test_treatment_only_and_bad_inputs() -> None:
    frame = _weeks().assign(group="treatment")
    frame.loc[:10, "group"] = "control"
    assert weekly_performance(frame)[0]["n"] == 2_000 - 11
    with pytest.raises(MonitorError, match="lacks column week"):
        weekly_performance(frame.drop(columns="week"))
    with pytest.raises(MonitorError, match="no week"):
        weekly_performance(frame.assign(score=np.nan))
    with pytest.raises(MonitorError, match="0/1"):
        weekly_performance(frame.assign(converted=2))
    with pytest.raises(MonitorError, match="probability"):
        weekly_performance(frame.assign(score=1.5))
    constant = weekly_performance(frame.assign(score=0.1))
    assert constant[0]["auc"] is None and constant[0]["top_decile_lift"] is not None


def test_auc_below_rule() -> None:
    assert auc_below(0.60, 0.01, card_auc=0.70, margin=0.02, level=0.01)
    assert not auc_below(0.69, 0.01, card_auc=0.70, margin=0.02, level=0.01)
    assert not auc_below(None, None, 0.7, 0.02, 0.01)


def test_no_drift_runs_stay_quiet_and_drift_is_flagged_within_two_checks() -> None:
    quiet = [monitoring_run(seed, train_rows=8_000, weekly=1_500, weeks=6) for seed in range(4)]
    assert not any(r["false_alarm"] for r in quiet)
    drift = [
        monitoring_run(seed, Scenario(drift_month=1), train_rows=8_000, weekly=1_500, weeks=6) for seed in range(3)
    ]
    assert all(r["checks_to_flag"] is not None and r["checks_to_flag"] <= 2 for r in drift)


def test_monitor_weeks_needs_weeks() -> None:
    profile = build_profile(pd.DataFrame({"x": [1.0, 2.0]}), [0.1, 0.2])
    with pytest.raises(MonitorError):
        monitor_weeks(profile, pd.DataFrame({"x": [1.0], "score": [0.1]}), 0.7, ["x"])
