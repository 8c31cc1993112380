"""The list is the same with the scheduler's and the answer fit's quick paths as with the plain ones they replaced.

The plain paths: re-attempts found by a scan of every slot, classes through ``np.unique`` over stacked columns, and
BLAS/OpenMP on their default thread pools. The scheduler is made to take its classes path on this small bank.
"""

import contextlib
import functools
from datetime import date

import pandas as pd
import pytest
from tests.schedule.test_fast_paths import scanned_plans, stacked_classes

import callwise.schedule.optimise as optimise
import callwise.schedule.stage as stage
import callwise.threads as threads
from callwise.lists.build import build_list
from callwise.lists.campaign import Campaign
from callwise.pipeline import train_from_lake


@pytest.fixture(scope="module")
def model(small_bank):
    fitted, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=3)
    return fitted


def _build(small_bank, model):
    campaign = Campaign(campaign_id="t-fast", product_id="P_WM01", date=date(2026, 7, 1), days=5, capacity=120)
    return build_list(campaign, small_bank["lake"], model)


def test_the_list_is_the_one_the_plain_paths_give(small_bank, model, monkeypatch):
    monkeypatch.setattr(stage, "solve", functools.partial(optimise.solve, max_classes=100))
    quick = _build(small_bank, model)
    assert quick.summary["plan"]["solver"] == "highs-lp-classes"
    monkeypatch.setattr(optimise, "candidate_plans", scanned_plans)
    monkeypatch.setattr(optimise, "customer_classes", stacked_classes)
    monkeypatch.setattr(threads, "threadpool_limits", lambda limits: contextlib.nullcontext())
    plain = _build(small_bank, model)
    assert (quick.calls["attempt"] > 1).any()  # re-attempts are planned, so their choice is compared too
    for name in ("listed", "calls", "members", "excluded"):
        pd.testing.assert_frame_equal(getattr(quick, name), getattr(plain, name), check_exact=True)
    assert quick.summary == plain.summary
