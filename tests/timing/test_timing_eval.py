"""Held-out evaluation on the small synthetic bank: callwise must beat the global and segment baselines."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from callwise.timing import TimingError, fit_from_lake
from callwise.timing.evaluate import PREDICTORS, evaluate_answer_model, evaluate_from_lake, holdout_cutoff
from callwise.timing.fit import read_contacts
from tests.timing.helpers import simulate


@pytest.fixture(scope="module")
def evaluation(small_bank) -> dict:
    return evaluate_from_lake(small_bank["lake"])


def test_callwise_beats_both_baselines_on_held_out_log_loss(evaluation):
    s = evaluation["predictors"]
    assert evaluation["beats_baselines"] is True
    assert s["callwise"]["log_loss"] < s["segment"]["log_loss"] < s["global"]["log_loss"]
    assert s["callwise"]["log_loss"] < min(s["global_empirical"]["log_loss"], s["segment_empirical"]["log_loss"])
    assert s["callwise"]["brier"] < s["global"]["brier"]
    assert s["callwise"]["auc"] > s["global"]["auc"] + 0.05  # segments tell morning people from evening people
    assert evaluation["log_loss_gain"]["segment"] > 0


def test_the_split_is_the_most_recent_campaign_and_nothing_after_it_is_learnt(evaluation, small_bank):
    contacts = read_contacts(small_bank["lake"])
    last = contacts[contacts["campaign_id"] == "CMP2605W"]
    assert evaluation["split"] == {"by": "campaign", "campaign": "CMP2605W"}
    assert evaluation["cutoff"] == last["ts"].min().isoformat()
    assert evaluation["train"]["at_or_after_as_of"] == (contacts["ts"] >= last["ts"].min()).sum()
    legal = last["ts"].dt.hour.between(9, 20) & (last["disposition"] != "wrong_number")
    assert evaluation["test"]["attempts"] == int(legal.sum())


def test_calibration_table(evaluation):
    for name in PREDICTORS:
        bins = evaluation["predictors"][name]["calibration"]
        assert sum(b["rows"] for b in bins) == evaluation["test"]["attempts"]
    callwise = evaluation["predictors"]["callwise"]
    bins = callwise["calibration"]
    assert len(bins) == 10 and bins[0]["mean_predicted"] < bins[-1]["mean_predicted"]
    assert bins[0]["observed"] < bins[-1]["observed"]  # likelier slots are answered more often
    assert abs(callwise["mean_predicted"] - callwise["observed"]) < 0.03


def test_fit_from_lake_reads_only_attempts_before_as_of(small_bank):
    as_of = datetime(2026, 3, 1)
    model = fit_from_lake(small_bank["lake"], as_of)
    assert pd.Timestamp(model.fitted["data_window"][1]) < as_of
    assert model.fitted["segments"]["occupation"] == 7
    assert model.fitted["customers"] == small_bank["manifest"]["customers"]


def test_holdout_by_days_and_by_share():
    contacts, people = simulate(customers=300, attempts=4, seed=5)
    cutoff, how = holdout_cutoff(contacts, holdout_days=7)
    assert how == {"by": "days", "days": 7} and cutoff == contacts["ts"].max() - pd.Timedelta(days=7)
    cutoff, how = holdout_cutoff(contacts)  # no campaign_id: the last 20% of the time span
    low, high = contacts["ts"].min(), contacts["ts"].max()
    assert how == {"by": "share", "share": 0.2} and cutoff == low + (high - low) * 0.8
    result = evaluate_answer_model(contacts, people, segment_columns=("occupation",))
    assert result["test"]["attempts"] == int((contacts["ts"] >= cutoff).sum())
    with pytest.raises(TimingError, match="no call attempts at or after the cutoff"):
        evaluate_answer_model(contacts, people, contacts["ts"].max() + pd.Timedelta(days=1))
    with pytest.raises(TimingError, match="holdout days must be positive"):
        holdout_cutoff(contacts, holdout_days=0)
