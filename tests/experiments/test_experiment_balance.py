"""The balance report a manager reads before launch."""

import numpy as np
import pandas as pd
import pytest

from callwise.experiments import ExperimentError, NoControlWarning, assign_groups, balance_report


@pytest.fixture
def assigned():
    rng = np.random.default_rng(0)
    ids = [f"C{i}" for i in range(5_000)]
    score = rng.random(len(ids))
    covariates = pd.DataFrame(
        {
            "customer_id": ids,
            "age": rng.integers(18, 80, len(ids)),
            "income": rng.lognormal(9, 0.5, len(ids)),
            "vip": rng.random(len(ids)) < 0.2,
            "city": rng.choice(["上海", "北京"], len(ids)),
        }
    )
    return assign_groups(ids, score, 12, arms={"A": 0.5, "B": 0.5}), covariates


def test_report_of_a_stratified_assignment(assigned):
    a, covariates = assigned
    r = balance_report(a, covariates)
    assert r["customers"] == 5_000 and r["control"] == 500 and r["treatment"] == 4_500
    assert [d["control_share"] for d in r["deciles"]] == [0.1] * 10
    assert r["chi_square"]["dof"] == 9 and r["chi_square"]["p_value"] > 0.999
    assert set(r["smd"]) == {"score", "age", "income", "vip"} and r["skipped"] == ["city"]
    assert r["balanced"] and r["lift_measurable"] and r["max_abs_smd"] < 0.1
    assert sum(v["customers"] for v in r["arms"].values()) == 4_500


def test_smd_is_the_textbook_formula(assigned):
    a, covariates = assigned
    r = balance_report(a, covariates)
    merged = a.merge(covariates, on="customer_id")
    t = merged.loc[merged["group"] == "treatment", "income"]
    c = merged.loc[merged["group"] == "control", "income"]
    expected = (t.mean() - c.mean()) / np.sqrt((t.var() + c.var()) / 2)
    assert r["smd"]["income"]["smd"] == pytest.approx(expected, abs=1e-6)
    assert r["smd"]["income"]["mean_control"] == pytest.approx(c.mean(), rel=1e-6)


def test_an_unfair_control_group_is_flagged(assigned):
    a, covariates = assigned
    biased = a.copy()
    top = biased["score_decile"] <= 2
    biased["group"] = np.where(top, "control", "treatment")  # control = the best customers only
    biased["arm"] = np.where(top, None, "A")
    r = balance_report(biased, covariates)
    assert r["chi_square"]["p_value"] < 1e-6
    assert not r["balanced"] and r["smd"]["score"]["smd"] < -1
    assert r["deciles"][0]["control_share"] == 1.0 and r["deciles"][-1]["control_share"] == 0.0


def test_planted_covariate_imbalance_is_seen(assigned):
    a, covariates = assigned
    skewed = covariates.copy()
    skewed.loc[(a["group"] == "control").to_numpy(), "age"] += 15
    r = balance_report(a, skewed)
    assert r["smd"]["age"]["smd"] < -0.5 and not r["balanced"]


def test_missing_covariate_values_are_counted(assigned):
    a, covariates = assigned
    partial = covariates.iloc[:4_000]
    r = balance_report(a, partial)
    assert r["smd"]["age"]["missing"] == 1_000


def test_no_control_group():
    with pytest.warns(NoControlWarning):
        a = assign_groups(["a", "b", "c"], [0.1, 0.2, 0.3], 1, control_share=0)
    r = balance_report(a)
    assert not r["lift_measurable"] and not r["balanced"] and r["chi_square"] is None
    assert r["smd"]["score"]["smd"] is None


def test_bad_inputs(assigned):
    a, covariates = assigned
    with pytest.raises(ExperimentError, match="no column 'group'"):
        balance_report(a.drop(columns="group"))
    with pytest.raises(ExperimentError, match="'customer_id' column"):
        balance_report(a, covariates.drop(columns="customer_id"))
    with pytest.raises(ExperimentError, match="'C0' appears more than once"):
        balance_report(a, pd.concat([covariates, covariates.iloc[:1]]))
