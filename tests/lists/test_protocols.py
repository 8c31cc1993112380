"""The list takes any model with the methods the stages use (callwise.protocols); its summary is typed."""

from __future__ import annotations

from datetime import date
from typing import get_type_hints

import numpy as np
import pandas as pd
import pytest

from callwise.lists.build import ListResult, build_list
from callwise.lists.campaign import Campaign
from callwise.lists.summary import ExperimentSummary, ListSummary
from callwise.models.base import ResponseModel
from callwise.pipeline import train_from_lake
from callwise.policy.config import PolicyAudit
from callwise.policy.customers import FunnelStep
from callwise.protocols import AnswerScorer, ResponseScorer
from callwise.schedule.stage import PlanSummary
from callwise.timing import AnswerModel, fit_from_lake

DAY = date(2026, 7, 1)


class BalanceScorer:
    """A bank's own response model: richer customers are likelier to buy; the balance is the one reason."""

    feature_names_in_ = np.array(["balance_total"], dtype=object)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        balance = pd.to_numeric(X["balance_total"], errors="coerce").fillna(0).to_numpy(float)
        p = 0.02 + 0.5 * (balance > np.median(balance))
        return np.column_stack([1 - p, p])

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        columns: dict[str, object] = {"reason_1": "balance_total", "contribution_1": 1.0}
        for i in range(2, top + 1):  # one feature, so one reason; the others are empty
            columns |= {f"reason_{i}": None, f"contribution_{i}": 0.0}
        return pd.DataFrame(columns, index=X.index)


class FlatAnswers:
    """An answer model that knows nothing: the same p(answer) at every hour."""

    def probabilities(self, customer_ids, hours_of_week=None, *, non_personalised=None) -> np.ndarray:
        hours = np.arange(168) if hours_of_week is None else np.asarray(hours_of_week)
        return np.full((len(np.asarray(customer_ids)), len(hours)), 0.4, np.float32)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign(campaign_id="t-own", product_id="P_WM01", date=DAY, days=3)


def test_callwise_models_are_what_the_stages_take(small_bank, campaign):
    fitted, _ = train_from_lake(small_bank["lake"], "logistic", seed=3)
    assert isinstance(fitted, ResponseModel) and isinstance(fitted, ResponseScorer)
    answers = fit_from_lake(small_bank["lake"], campaign.cutoff)
    assert isinstance(answers, AnswerModel) and isinstance(answers, AnswerScorer)


@pytest.fixture(scope="module")
def own_list(small_bank, campaign) -> ListResult:
    scorer, answers = BalanceScorer(), FlatAnswers()
    assert isinstance(scorer, ResponseScorer) and isinstance(answers, AnswerScorer)
    return build_list(campaign, small_bank["lake"], scorer, answer_model=answers)


def test_a_list_from_models_callwise_did_not_make(own_list):
    assert own_list.summary["model"] == "BalanceScorer"
    assert len(own_list.listed) > 0
    p = own_list.planning.p_answer
    assert set(np.unique(p[p > 0])) == {np.float32(0.4)}, "the plan used the answer model it was given"


def test_the_summary_has_exactly_the_keys_its_type_declares(own_list):
    """summary.json is written from the summary as it is: its type must name every key, in the file's order."""
    summary = own_list.summary
    assert list(summary) == list(get_type_hints(ListSummary))
    assert list(summary["plan"]) == list(get_type_hints(PlanSummary))
    assert list(summary["experiment"]) == list(get_type_hints(ExperimentSummary))
    assert list(summary["policy"]) == list(get_type_hints(PolicyAudit))
    assert all(list(step) == list(get_type_hints(FunnelStep)) for step in summary["funnel"])
