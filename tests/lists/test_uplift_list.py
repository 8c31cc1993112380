"""Lists ranked by uplift on a small synthetic bank: a model from past campaigns' treatment and control members,
the expected incremental value, the scheduler's margin per answered call, the negative_uplift reason."""

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from callwise.i18n.errors import message
from callwise.lists.build import RANKING_REASONS, ListError, build_list, load_ranking_model
from callwise.lists.campaign import Campaign
from callwise.lists.output import write_list
from callwise.pipeline import train_from_lake, train_uplift_from_lake
from callwise.report import render_list_report
from callwise.schedule.stage import answered_uplift
from callwise.uplift import UpliftModel, load_uplift

DAY = date(2026, 7, 1)


@pytest.fixture(scope="module")
def uplift_dir(small_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("uplift") / "model"
    train_uplift_from_lake(small_bank["lake"], "s", out, seed=3)
    return out


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign(campaign_id="t-uplift", product_id="P_WM01", date=DAY, days=5, ranking="uplift")


@pytest.fixture(scope="module")
def built(small_bank, uplift_dir, campaign):
    return build_list(campaign, small_bank["lake"], load_ranking_model(campaign, uplift_dir))


def test_the_model_card_says_what_it_learnt_from(small_bank, uplift_dir):
    card = json.loads((uplift_dir / "model_card.json").read_text(encoding="utf-8"))
    members = small_bank["lake"].table("campaign_members").to_pandas()
    assert card["kind"] == "uplift" and card["learner"] == "s"
    assert card["rows"] == card["treated"] + card["control"] and card["control"] > 100
    assert card["positives"] == card["positives_treated"] + card["positives_control"]
    assert set(card["treated_share"]) == set(card["data_window"]["campaigns"])
    assert (
        card["control"] == members[members.campaign_id.isin(card["data_window"]["campaigns"])].group.eq("control").sum()
    )
    assert card["propensity"]["value"] == pytest.approx(card["treated"] / card["rows"]), "known from the members"
    assert card["selection"]["learner"] == "s" and card["selection"]["evaluation"]["rows"] == card["rows"]


def test_expected_value_is_uplift_times_value_minus_cost_and_the_list_is_ranked_by_it(built, uplift_dir):
    ranked = built.ranked
    value = built.summary["value_per_conversion"]
    assert np.allclose(ranked["expected_value"], ranked["uplift"] * value - built.summary["cost_per_call"])
    assert ranked["expected_value"].is_monotonic_decreasing
    personal = ~ranked["non_personalised"].to_numpy()
    model = load_uplift(uplift_dir)
    assert isinstance(model, UpliftModel)
    assert (ranked["uplift"] != ranked["score"]).all(), "the score is p(convert | on the list), not the uplift"
    assert built.summary["ranking"] == "uplift" and personal.any()
    assert built.summary["expected_incremental_conversions"] == pytest.approx(built.listed["uplift"].sum(), abs=1e-5)
    assert list(built.listed.columns[:6]) == [
        "rank",
        "customer_id",
        "phone_masked",
        "score",
        "uplift",
        "expected_value",
    ]


def test_the_plan_values_an_answered_call_by_what_it_adds(built):
    plan = built.planning
    assert plan.margin is not None
    value = built.summary["value_per_conversion"]
    expected = answered_uplift(plan.customers["uplift"].to_numpy(), plan.p_answer) * value
    assert np.allclose(plan.margin, expected)
    # Per answered call it is more than per list member (only answered calls act), and it keeps its sign.
    uplift = plan.customers["uplift"].to_numpy()
    assert (np.abs(plan.margin) >= np.abs(uplift) * value - 1e-9).all()
    assert np.sign(answered_uplift(np.array([-0.02, 0.0, 0.03]), np.full((3, 4), 0.3))).tolist() == [-1, 0, 1]


def test_confidently_negative_customers_are_left_off_as_negative_uplift(small_bank, uplift_dir, campaign):
    funnel = [s["step"] for s in build_list(campaign, small_bank["lake"], load_uplift(uplift_dir)).summary["funnel"]]
    assert funnel.index("negative_uplift") == funnel.index("not_worth_calling") - 1
    model = load_uplift(uplift_dir)
    # A model sure of harm for every other customer: those are left off for it, and the funnel adds up.
    result = build_list(campaign, small_bank["lake"], _Gloomy(model))
    steps = {s["step"]: s["removed"] for s in result.summary["funnel"]}
    personal = int((~result.ranked["non_personalised"]).sum())
    assert steps["negative_uplift"] == (personal + 1) // 2 > 0 and result.summary["listed"] > 0
    gloomy = result.excluded[result.excluded["reason"] == "negative_uplift"]
    assert not set(gloomy["customer_id"]) & set(result.listed["customer_id"])
    assert RANKING_REASONS[0] == "negative_uplift"


def test_a_response_list_has_no_negative_uplift_step(small_bank):
    model, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=3)
    response = Campaign(campaign_id="t-uplift", product_id="P_WM01", date=DAY, days=5)
    summary = build_list(response, small_bank["lake"], model).summary
    assert summary["ranking"] == "response" and summary["expected_incremental_conversions"] is None
    assert "negative_uplift" not in [s["step"] for s in summary["funnel"]]


def test_a_model_of_the_other_kind_is_refused_in_one_sentence(small_bank, uplift_dir, campaign, tmp_path):
    model, _ = train_from_lake(small_bank["lake"], "lightgbm", out_dir=tmp_path / "response", seed=3)
    with pytest.raises(ListError) as refused:
        build_list(campaign, small_bank["lake"], model)
    assert "uplift" in message(refused.value, "en") and "增量" in message(refused.value, "zh")
    with pytest.raises(ListError, match="ranking: uplift"):
        load_ranking_model(campaign, tmp_path / "response")
    response = campaign.model_copy(update={"ranking": "response"})
    with pytest.raises(ListError) as reverse:
        load_ranking_model(response, uplift_dir)
    assert "ranking: response" in message(reverse.value, "en") and len(message(reverse.value, "zh").splitlines()) == 1


def test_the_files_and_reports_say_the_ranking(built, tmp_path):
    files = write_list(built, tmp_path / "out")
    summary = json.loads(Path(files["summary"]).read_text(encoding="utf-8"))
    assert summary["ranking"] == "uplift"
    header = Path(files["list_csv"]).read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("rank,customer_id,phone_masked,score,uplift,expected_value")
    assert "按外呼增量排序" in render_list_report(built, lang="zh")
    english = render_list_report(built, lang="en")
    assert "ranked by uplift" in english and "expected incremental conversions" in english


class _Gloomy:
    """The saved model's outcomes and reasons, with every other row's interval below zero."""

    def __init__(self, model: UpliftModel) -> None:
        self.model = model
        self.feature_names_in_ = model.feature_names_in_

    def predict_outcomes(self, X):
        return self.model.predict_outcomes(X)

    def uplift_interval(self, X, level=0.9):
        low, high = self.model.uplift_interval(X, level)
        sure = np.arange(len(X)) % 2 == 0
        return np.where(sure, -0.2, low), np.where(sure, -0.1, np.maximum(high, 0.0))

    def explain(self, X, top=3):
        return self.model.explain(X, top)


def test_a_list_where_nobody_is_worth_calling_is_built_empty(small_bank, uplift_dir, campaign):
    nobody = campaign.model_copy(update={"campaign_id": "t-nobody", "min_expected_value": 1e8})
    result = build_list(nobody, small_bank["lake"], load_uplift(uplift_dir))
    steps = {s["step"]: s for s in result.summary["funnel"]}
    assert result.listed.empty and result.calls.empty
    ranking = result.excluded[result.excluded["reason"].isin(RANKING_REASONS)]
    assert len(ranking) == len(result.ranked) > 0, "every eligible customer is left off by the ranking"
    assert set(ranking["reason"]) <= {"negative_uplift", "not_worth_calling"}
    assert steps["not_worth_calling"]["removed"] > 0 and result.summary["funnel"][-1]["remaining"] == 0
