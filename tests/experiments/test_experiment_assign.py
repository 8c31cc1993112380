"""Assignment: stable, exactly stratified by score decile, independent of rank, arms at their shares."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from callwise.experiments import DEFAULT_ARM, ExperimentError, NoControlWarning, assign_groups, parse_arms
from callwise.experiments.assign import control_counts


def scored(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    return [f"C{i:07d}" for i in range(n)], rng.random(n)


def by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("customer_id").sort_index()


def test_columns_and_groups():
    ids, score = scored(1_000)
    a = assign_groups(ids, score, campaign_seed=7)
    assert list(a.columns) == ["customer_id", "score", "score_decile", "u", "group", "arm"]
    assert a["customer_id"].tolist() == ids  # input order kept
    assert set(a["group"]) == {"control", "treatment"}
    assert a.loc[a["group"] == "control", "arm"].isna().all()
    assert (a.loc[a["group"] == "treatment", "arm"] == DEFAULT_ARM).all()
    assert a["u"].between(0, 1, inclusive="left").all()


def test_same_seed_same_frame_other_seed_other_groups():
    ids, score = scored(5_000)
    a = assign_groups(ids, score, 7, arms={"A": 0.5, "B": 0.5})
    pd.testing.assert_frame_equal(a, assign_groups(ids, score, 7, arms={"A": 0.5, "B": 0.5}))
    b = assign_groups(ids, score, 8, arms={"A": 0.5, "B": 0.5})
    control_a, control_b = (
        set(a["customer_id"][a["group"] == "control"]),
        set(b["customer_id"][b["group"] == "control"]),
    )
    # two independent 10% draws overlap on about 1% of the list (50 of 5,000), far from all 500
    assert 20 < len(control_a & control_b) < 90
    assert (a["arm"] != b["arm"]).sum() > 1_000


def test_reordering_the_list_changes_nobody():
    ids, score = scored(3_000)
    a = assign_groups(ids, score, 11, arms={"A": 0.3, "B": 0.7})
    shuffled = np.random.default_rng(1).permutation(len(ids))
    b = assign_groups([ids[i] for i in shuffled], score[shuffled], 11, arms={"A": 0.3, "B": 0.7})
    pd.testing.assert_frame_equal(by_customer(a), by_customer(b))


def test_permuting_scores_within_a_decile_changes_nobody():
    ids, score = scored(3_000)
    a = assign_groups(ids, score, 5)
    permuted = score.copy()
    rng = np.random.default_rng(2)
    for d in range(1, 11):
        rows = np.flatnonzero(a["score_decile"].to_numpy() == d)
        permuted[rows] = score[rng.permutation(rows)]
    b = assign_groups(ids, permuted, 5)
    assert (a["score_decile"] == b["score_decile"]).all()
    assert (a["group"] == b["group"]).all() and (a["u"] == b["u"]).all()


def test_ties_in_scores_do_not_depend_on_input_order():
    ids = [f"C{i}" for i in range(997)]
    score = np.repeat([0.2, 0.5, 0.9], [300, 400, 297])  # decile boundaries fall inside runs of equal scores
    a = assign_groups(ids, score, 3)
    order = np.random.default_rng(3).permutation(len(ids))
    b = assign_groups([ids[i] for i in order], score[order], 3)
    pd.testing.assert_frame_equal(by_customer(a), by_customer(b))


def test_deciles_are_equal_sized_and_best_first():
    ids, score = scored(1_003)
    a = assign_groups(ids, score, 1)
    sizes = a["score_decile"].value_counts().sort_index()
    assert sizes.index.tolist() == list(range(1, 11)) and sizes.max() - sizes.min() <= 1
    lows = a.groupby("score_decile")["score"].min()
    highs = a.groupby("score_decile")["score"].max()
    assert (lows.to_numpy()[:-1] > highs.to_numpy()[1:]).all()  # every decile beats the next one


@pytest.mark.parametrize(
    ("n", "share", "deciles"), [(1_003, 0.13, 10), (250, 0.1, 10), (77, 0.25, 4), (5_000, 0.5, 10)]
)
def test_exact_stratification(n, share, deciles):
    ids, score = scored(n, seed=n)
    a = assign_groups(ids, score, 9, control_share=share, deciles=deciles)
    for d, part in a.groupby("score_decile"):
        expected = math.floor(share * len(part) + 0.5)
        assert (part["group"] == "control").sum() == expected, f"decile {d}"
        # and they are the ones with the smallest u in their decile
        ordered = part.sort_values("u")["group"].tolist()
        assert ordered == ["control"] * expected + ["treatment"] * (len(part) - expected)


def test_rounding_is_half_up():
    assert control_counts(np.array([25, 15, 24, 26, 0]), 0.1).tolist() == [3, 2, 2, 3, 0]
    ids, score = scored(250)
    a = assign_groups(ids, score, 4)  # 10 deciles of 25: 2.5 → 3 each
    assert (a.groupby("score_decile")["group"].apply(lambda g: (g == "control").sum()) == 3).all()


def test_control_does_not_depend_on_rank_within_a_decile():
    ids, score = scored(20_000, seed=5)
    a = assign_groups(ids, score, 21)
    for _, part in a.groupby("score_decile"):
        rho = stats.spearmanr(part["score"], part["u"]).statistic
        assert abs(rho) < 4 / math.sqrt(len(part))
        # control customers sit anywhere in the decile: their mean score rank is near the middle
        rank = part["score"].rank(pct=True)
        assert abs(rank[part["group"] == "control"].mean() - 0.5) < 4 * math.sqrt(1 / 12 / 200)


def test_arm_shares_on_100k_ids():
    ids = [f"CU{i:09d}" for i in range(100_000)]
    score = np.random.default_rng(6).random(len(ids))
    shares = {"A": 0.5, "B": 0.3, "C": 0.2}
    a = assign_groups(ids, score, 2026, arms=shares)
    treatment = a[a["group"] == "treatment"]
    assert a.loc[a["group"] == "control", "arm"].isna().all()
    assert treatment["arm"].notna().all()
    n = len(treatment)
    for arm, share in shares.items():
        count = (treatment["arm"] == arm).sum()
        assert abs(count - n * share) < 4 * math.sqrt(n * share * (1 - share)), arm
    # arms are drawn independently of the score: the same mix in every decile
    table = pd.crosstab(treatment["score_decile"], treatment["arm"])
    assert stats.chi2_contingency(table).pvalue > 0.001


def test_a_customer_keeps_their_arm_when_the_list_changes():
    ids, score = scored(4_000)
    a = assign_groups(ids, score, 8, arms={"A": 0.5, "B": 0.5})
    b = assign_groups(ids[:2_000], score[:2_000], 8, arms={"A": 0.5, "B": 0.5})
    both = by_customer(a).merge(by_customer(b), left_index=True, right_index=True, suffixes=("", "_b"))
    treated = (both["group"] == "treatment") & (both["group_b"] == "treatment")
    assert (both["u"] == both["u_b"]).all()
    assert (both.loc[treated, "arm"] == both.loc[treated, "arm_b"]).all()


def test_no_control_group_warns_and_calls_everyone():
    ids, score = scored(100)
    with pytest.warns(NoControlWarning, match="cannot be measured"):
        a = assign_groups(ids, score, 1, control_share=0)
    assert (a["group"] == "treatment").all()


def test_empty_list_gives_an_empty_frame():
    a = assign_groups([], [], 1)
    assert a.empty and list(a.columns) == ["customer_id", "score", "score_decile", "u", "group", "arm"]


def test_integer_ids_are_hashed_as_their_text():
    a = assign_groups([10, 20, 30], [0.1, 0.2, 0.3], 1)
    b = assign_groups(["10", "20", "30"], [0.1, 0.2, 0.3], 1)
    assert (a["u"] == b["u"]).all() and a["customer_id"].tolist() == ["10", "20", "30"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customer_ids": ["a", "b", "a"]}, "'a' appears more than once \\(rows 1 and 3\\)"),
        ({"customer_ids": ["a", None, "c"]}, "customer_id is missing in row 2"),
        ({"customer_ids": ["a", " ", "c"]}, "customer_id is empty in row 2"),
        ({"scores": [0.1, float("nan"), 0.3]}, "score is missing or not finite in row 2"),
        ({"scores": [0.1, float("inf"), 0.3]}, "not finite in row 2"),
        ({"scores": [0.1, None, 0.3]}, "row 2"),
        ({"scores": [0.1, 0.2]}, "3 customer ids but 2 scores"),
        ({"scores": ["0.1", "0.2", "0.3"]}, "scores must be numbers"),
        ({"scores": [True, False, True]}, "scores must be numbers"),
        ({"control_share": -0.1}, "control_share must be a number in \\[0, 1\\)"),
        ({"control_share": 1}, "control_share"),
        ({"control_share": 1.5}, "control_share"),
        ({"control_share": float("nan")}, "control_share"),
        ({"control_share": "0.1"}, "control_share"),
        ({"arms": {"A": 0.5, "B": 0.4}}, "sum to 1, they sum to 0.9"),
        ({"arms": {"A": 1.2, "B": -0.2}}, "arm 'A'|arm 'B'"),
        ({"arms": {"A": 1.0, "B": 0.0}}, "arm 'B': share must be a positive number"),
        ({"arms": {"": 1.0}}, "arm names must be non-empty text"),
        ({"arms": {"A": 0.5, " A ": 0.5}}, "arm 'A' is given twice"),
        ({"arms": {1: 1.0}}, "arm names must be non-empty text"),
        ({"arms": {}}, "at least one arm"),
        ({"deciles": 0}, "deciles must be a whole number"),
        ({"deciles": 2.5}, "deciles"),
        ({"campaign_seed": "7"}, "campaign_seed must be a whole number"),
        ({"campaign_seed": True}, "campaign_seed"),
    ],
)
def test_invalid_inputs_are_refused(kwargs, message):
    args = {"customer_ids": ["a", "b", "c"], "scores": [0.1, 0.2, 0.3], "campaign_seed": 1} | kwargs
    with pytest.raises(ExperimentError, match=message):
        assign_groups(**args)


def test_arms_within_tolerance_of_one_are_accepted():
    ids, score = scored(10)
    third = 1 / 3
    a = assign_groups(ids, score, 1, arms={"A": third, "B": third, "C": third})
    assert set(a["arm"].dropna()) <= {"A", "B", "C"}


def test_parse_arms():
    assert parse_arms("A=0.5, B=0.5") == {"A": 0.5, "B": 0.5}
    assert parse_arms("稳健话术=0.7,收益话术=0.3") == {"稳健话术": 0.7, "收益话术": 0.3}
    for text, message in [
        ("A=0.5,B", "'B' is not NAME=SHARE"),
        ("A=half,B=0.5", "share 'half' of arm 'A' is not a number"),
        ("A=0.5,A=0.5", "arm 'A' is given twice"),
        ("A=0.6,B=0.6", "sum to 1"),
        ("=1", "non-empty"),
    ]:
        with pytest.raises(ExperimentError, match=message):
            parse_arms(text)
