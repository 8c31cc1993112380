"""The results estimators against hand-computed values, independent references and a seeded simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from callwise.experiments.analysis import lift_with_ci
from callwise.results.effect import (
    CampaignCosts,
    ResultsError,
    adjusted,
    breakdowns,
    campaign_costs,
    effect_on_reached,
    harm,
    itt,
    value_for_money,
)
from callwise.results.intervals import newcombe
from tests.results.frames import hand_frame, simulated_frame

Z = stats.norm.ppf(0.975)


def test_itt_rates_lift_and_incremental_conversions_by_hand():
    r = itt(hand_frame(30, 100, 5, 50))
    assert (r["n_treatment"], r["n_control"], r["conversions_treatment"], r["conversions_control"]) == (100, 50, 30, 5)
    assert r["rate_treatment"] == pytest.approx(0.3) and r["rate_control"] == pytest.approx(0.1)
    assert r["lift"]["estimate"] == pytest.approx(0.2)
    ref = lift_with_ci(30, 100, 5, 50)  # the scalar Newcombe of callwise.experiments
    assert (r["lift"]["low"], r["lift"]["high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    assert r["incremental_conversions"]["estimate"] == pytest.approx(20.0)
    assert r["incremental_conversions"]["low"] == pytest.approx(100 * ref["ci_low"])
    assert r["p_value"] == pytest.approx(ref["p_value"])


def test_relative_lift_is_katz_log_risk_ratio():
    r = itt(hand_frame(30, 100, 5, 50))["relative_lift"]
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 5 - 1 / 50)
    assert r["estimate"] == pytest.approx(2.0)
    assert r["low"] == pytest.approx(math.exp(math.log(3) - Z * se) - 1)
    assert r["high"] == pytest.approx(math.exp(math.log(3) + Z * se) - 1)
    none = itt(hand_frame(30, 100, 0, 50))["relative_lift"]
    assert none["estimate"] is None and none["reason"] == "no_conversions"


def test_incremental_revenue_is_welch_against_scipy():
    frame = hand_frame(30, 100, 5, 50)
    r = itt(frame)["revenue"]
    assert (r["mean_treatment"], r["mean_control"]) == pytest.approx((30.0, 10.0))
    t = frame.loc[frame.group == "treatment", "revenue"]
    c = frame.loc[frame.group == "control", "revenue"]
    ci = stats.ttest_ind(t, c, equal_var=False).confidence_interval(0.95)
    assert (r["difference"]["low"], r["difference"]["high"]) == pytest.approx((ci.low, ci.high))
    assert r["incremental_welch"]["estimate"] == pytest.approx(2000.0)
    assert r["incremental_welch"]["low"] == pytest.approx(100 * ci.low)


def test_incremental_revenue_interval_from_rate_and_pooled_amounts_by_hand():
    frame = hand_frame(30, 100, 5, 50)
    frame.loc[frame.converted == 1, "revenue"] = np.where(np.arange(35) % 2, 50.0, 150.0)  # amounts vary
    r = itt(frame)["revenue"]["incremental"]
    amounts = frame.loc[frame.converted == 1, "revenue"]
    m1, m2 = amounts.mean(), (amounts**2).mean()
    p_t, p_c = (30 + Z * Z / 2) / (100 + Z * Z), (5 + Z * Z / 2) / (50 + Z * Z)
    se = math.sqrt((p_t * m2 - (p_t * m1) ** 2) / 100 + (p_c * m2 - (p_c * m1) ** 2) / 50)
    t = frame.group == "treatment"
    estimate = 100 * (frame.revenue[t].mean() - frame.revenue[~t].mean())
    assert r["method"] == "rate_times_amount"
    assert (r["estimate"], r["low"], r["high"]) == pytest.approx(
        (estimate, estimate - 100 * Z * se, estimate + 100 * Z * se)
    )


def test_vectorised_newcombe_matches_the_scalar_one():
    rng = np.random.default_rng(3)
    n_t, n_c = rng.integers(1, 500, 50), rng.integers(1, 500, 50)
    c_t, c_c = rng.integers(0, n_t + 1), rng.integers(0, n_c + 1)
    lift, low, high = newcombe(c_t, n_t, c_c, n_c, Z)
    for i in range(50):
        ref = lift_with_ci(int(c_t[i]), int(n_t[i]), int(c_c[i]), int(n_c[i]))
        assert (lift[i], low[i], high[i]) == pytest.approx((ref["lift_absolute"], ref["ci_low"], ref["ci_high"]))


def test_costs_net_value_roi_and_cpia_by_hand():
    frame = hand_frame(30, 100, 5, 50)
    spent = campaign_costs(frame, {"cost_per_call": 2, "cost_per_minute": 1, "cost_per_sms": 0.1})
    # 200 dials × 2 + 50 connected minutes × 1 + 100 SMS × 0.1
    assert spent["by_kind"] == pytest.approx({"dials": 400.0, "minutes": 50.0, "sms": 10.0})
    assert spent["total"] == pytest.approx(460.0) and spent["control_contacted"] == 0
    result = itt(frame)
    v = value_for_money(result, spent["total"])
    assert v["net_value"]["estimate"] == pytest.approx(2000 - 460)
    assert v["net_value"]["low"] == pytest.approx(result["revenue"]["incremental"]["low"] - 460)
    assert v["roi"]["estimate"] == pytest.approx(1540 / 460)
    inc = result["incremental_conversions"]
    assert inc["low"] > 0
    assert v["cpia"]["estimate"] == pytest.approx(23.0)
    assert (v["cpia"]["low"], v["cpia"]["high"]) == pytest.approx((460 / inc["high"], 460 / inc["low"]))
    assert v["cpia"]["flag"] is None


def test_cpia_never_negative_when_the_increment_may_be_zero_or_less():
    unsure = value_for_money(itt(hand_frame(12, 100, 5, 50)), 460.0)["cpia"]
    assert unsure["flag"] == "unbounded_high" and unsure["high"] is None and unsure["low"] > 0
    loss = value_for_money(itt(hand_frame(5, 100, 20, 50)), 460.0)["cpia"]
    assert loss == {"method": "inverted_newcombe", "flag": "no_increment", "estimate": None, "low": None, "high": None}
    free = value_for_money(itt(hand_frame(30, 100, 5, 50)), 0.0)
    assert free["roi"]["estimate"] is None and free["cpia"]["flag"] == "no_cost"


def test_effect_on_reached_is_itt_over_contact_rate():
    r = effect_on_reached(hand_frame(30, 100, 5, 50))
    assert r["contact_rate"]["estimate"] == pytest.approx(0.5)
    assert r["effect"]["estimate"] == pytest.approx(0.4)  # 0.2 / 0.5
    assert r["effect"]["low"] < 0.4 < r["effect"]["high"]
    assert r["incremental_conversions_among_reached"]["estimate"] == pytest.approx(20.0)
    # Delta method by hand: u = y − 0.4·reached; var(u) per group over n, divided by the contact rate squared.
    f = hand_frame(30, 100, 5, 50)
    u = f.converted - 0.4 * f.reached
    t = f.group == "treatment"
    se = math.sqrt(u[t].var(ddof=1) / 100 + u[~t].var(ddof=1) / 50) / 0.5
    assert r["effect"]["high"] == pytest.approx(0.4 + Z * se)


def test_harm_per_thousand_called_with_wilson():
    r = harm(hand_frame(30, 100, 5, 50))
    assert r["called"] == 100
    assert r["complaint"]["count"] == 1 and r["complaint"]["estimate"] == pytest.approx(10.0)
    p, n = 0.01, 100
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    assert (r["complaint"]["low"], r["complaint"]["high"]) == pytest.approx(
        (1000 * (centre - half), 1000 * (centre + half))
    )
    assert r["dnc"]["estimate"] == 0.0 and r["dnc"]["high"] > 0


def test_breakdowns_count_every_member_and_flag_small_cells():
    frame = hand_frame(30, 100, 5, 50)
    b = breakdowns(frame)
    province = b["province"]["cells"]
    assert sum(c["n_treatment"] for c in province) == 100 and sum(c["n_control"] for c in province) == 50
    assert {c["value"] for c in province} == {"北京", "上海"}
    assert all(c["small_cell"] for c in province)  # 5 control conversions split in two: < 5 on a side
    arm = b["arm"]
    assert arm["compared_with"] == "whole_control" and arm["randomised"] is True
    assert all(c["n_control"] == 50 for c in arm["cells"])
    assert b["team"]["randomised"] is False
    assert [c["value"] for c in b["team"]["cells"]] == ["T1", None]  # None: treatment members never reached
    deciles = [c["value"] for c in b["score_decile"]["cells"]]
    assert deciles == sorted(deciles)
    big = breakdowns(hand_frame(300, 1000, 100, 500), dimensions=("product_id",))["product_id"]["cells"]
    assert len(big) == 1 and not big[0]["small_cell"]


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda f: f.assign(group="treatment"), "results.error.empty_control"),
        (lambda f: f.assign(group="control"), "results.error.empty_treatment"),
        (lambda f: f.assign(revenue=f.revenue.where(f.index != 3, np.nan)), "results.error.not_number"),
        (lambda f: f.assign(converted=f.converted.where(f.index != 7, 2)), "results.error.not_binary"),
        (lambda f: f.assign(group=f.group.where(f.index != 2, "called")), "results.error.bad_group"),
        (lambda f: f.drop(columns="converted"), "results.error.missing_column"),
        (lambda f: f.assign(customer_id="C1"), "results.error.duplicate_member"),
    ],
)
def test_bad_input_is_refused_with_a_translated_sentence(change, key):
    with pytest.raises(ResultsError) as error:
        itt(change(hand_frame(30, 100, 5, 50)))
    assert error.value.key == key
    assert error.value.message("zh") != str(error.value)


def test_nan_revenue_names_column_and_row():
    frame = hand_frame(30, 100, 5, 50)
    frame.loc[3, "revenue"] = np.nan
    with pytest.raises(ResultsError, match="row 4: revenue is missing"):
        itt(frame)


def test_negative_or_unknown_costs_are_refused():
    with pytest.raises(ResultsError, match="cost_per_call must be a number of 0 or more"):
        CampaignCosts.of({"cost_per_call": -1})
    with pytest.raises(ResultsError, match="unknown cost"):
        CampaignCosts.of({"cost_per_dial": 1})
    with pytest.raises(ResultsError, match="dials cannot be negative"):
        campaign_costs(hand_frame(30, 100, 5, 50).assign(dials=-1), {})


def test_all_converted_gives_a_valid_interval_and_no_degenerate_adjusted_one():
    frame = hand_frame(100, 100, 50, 50)
    r = itt(frame)
    assert r["lift"]["estimate"] == 0 and -1 <= r["lift"]["low"] < 0 < r["lift"]["high"] <= 1
    a = adjusted(frame)["variants"]["cuped"]["conversions"]
    assert a["estimate"] is None and a["reason"] == "no_variation"


def test_intervals_widen_as_alpha_falls_and_narrow_as_groups_grow():
    frame = hand_frame(30, 100, 5, 50)
    widths = []
    for alpha in (0.2, 0.1, 0.05, 0.01):
        r = itt(frame, alpha)
        a = adjusted(frame, alpha)["variants"]["cuped_stratified"]["conversions"]["difference"]
        widths.append(
            (
                r["lift"]["high"] - r["lift"]["low"],
                r["relative_lift"]["high"] - r["relative_lift"]["low"],
                r["revenue"]["difference"]["high"] - r["revenue"]["difference"]["low"],
                a["high"] - a["low"],
            )
        )
        assert r["lift"]["low"] < r["lift"]["estimate"] < r["lift"]["high"]
    for before, after in itertools.pairwise(widths):
        assert all(b < a for b, a in zip(before, after, strict=True))
    small = itt(hand_frame(30, 100, 5, 50))["lift"]
    large = itt(hand_frame(300, 1000, 50, 500))["lift"]
    assert large["high"] - large["low"] < small["high"] - small["low"]


def test_cuped_is_unbiased_and_sharper_in_a_seeded_simulation():
    rng = np.random.default_rng(20261201)
    plain, cuped, covered = [], [], 0
    for _ in range(300):
        frame = simulated_frame(4000, rng, effect=0.02)
        a = adjusted(frame)["variants"]
        plain.append(a["unadjusted"]["conversions"]["difference"]["estimate"])
        c = a["cuped_stratified"]["conversions"]["difference"]
        cuped.append(c["estimate"])
        covered += c["low"] <= 0.02 <= c["high"]
    plain_a, cuped_a = np.array(plain), np.array(cuped)
    # Unbiased: the mean estimate is within 3 Monte Carlo standard errors of the true effect.
    assert abs(cuped_a.mean() - 0.02) < 3 * cuped_a.std(ddof=1) / np.sqrt(len(cuped_a))
    assert abs(plain_a.mean() - 0.02) < 3 * plain_a.std(ddof=1) / np.sqrt(len(plain_a))
    assert cuped_a.std() < plain_a.std()  # the covariate explains part of the outcome
    assert covered / 300 >= 0.9


def test_missing_scores_are_imputed_with_an_indicator():
    frame = simulated_frame(2000, np.random.default_rng(1))
    frame.loc[:99, "score"] = np.nan
    frame["score_decile"] = pd.array(frame["score_decile"], dtype="Int64")
    frame.loc[:99, "score_decile"] = pd.NA
    a = adjusted(frame)
    assert a["covariates"] == ["score_missing", "score", "past_purchases"]
    assert a["variants"]["cuped_stratified"]["conversions"]["strata"] == 11  # ten deciles and the unknown


def test_no_variation_inside_the_groups_gives_no_adjusted_interval():
    frame = hand_frame(100, 100, 0, 50)  # every treatment member converted, no control member did
    a = adjusted(frame)["variants"]
    assert all(a[v]["conversions"].get("reason") == "no_variation" for v in ("unadjusted", "cuped"))
    r = itt(frame)["lift"]
    assert r["low"] < 1 and r["high"] == pytest.approx(1.0)


def test_groups_that_differ_before_the_campaign_are_flagged():
    frame = hand_frame(30, 100, 5, 50)
    assert adjusted(frame)["balance"]["imbalanced"] == []
    frame["past_purchases"] = np.where(frame.group == "treatment", 3, 0)  # not what a random split gives
    assert adjusted(frame)["balance"]["imbalanced"] == ["past_purchases"]


def test_a_difference_a_small_control_group_shows_by_chance_is_not_flagged():
    frame = hand_frame(30, 100, 5, 50)
    treated = (frame.group == "treatment").to_numpy()
    rank = frame.groupby("group").cumcount().to_numpy()
    frame["past_purchases"] = np.where(treated, rank < 45, rank < 15).astype(int)  # 45% against 30%
    balance = adjusted(frame)["balance"]
    assert balance["smd"]["past_purchases"] > 0.1  # over the fixed 0.1 …
    assert balance["imbalanced"] == [] and balance["limit"] > 0.5  # … but within chance for 100 against 50
