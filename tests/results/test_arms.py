"""Script arms: Holm against hand computation, the family of tests, the winner rule, and Thompson shares."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from callwise.experiments.analysis import lift_with_ci
from callwise.results.arms import ResultsError, compare_arms, holm, thompson_shares


def _frame(counts: dict[str | None, tuple[int, int]]) -> dict[str, list]:
    """Members per arm (None: control) as (members, conversions)."""
    group, arm, converted = [], [], []
    for name, (n, conv) in counts.items():
        group += ["control" if name is None else "treatment"] * n
        arm += [name] * n
        converted += [1] * conv + [0] * (n - conv)
    return {"group": group, "arm": arm, "converted": converted}


def test_holm_against_hand_computation() -> None:
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]).size == 0


def test_family_is_every_arm_against_control_and_every_pair_with_holm_over_all() -> None:
    counts = {None: (1000, 30), "A": (3000, 120), "B": (3000, 150), "C": (3000, 100)}
    result = compare_arms(_frame(counts))
    assert result["family_size"] == 3 + 3
    tests = result["vs_control"] + result["pairs"]
    raw = [t["p_value"] for t in tests]
    m = len(raw)
    order = np.argsort(raw)
    by_hand = np.maximum.accumulate([min(1, raw[i] * (m - k)) for k, i in enumerate(order)])
    for k, i in enumerate(order):
        assert tests[i]["p_holm"] == pytest.approx(by_hand[k])
        assert tests[i]["significant"] == (by_hand[k] < 0.05)
    b_vs_control = next(t for t in result["vs_control"] if t["arm"] == "B")
    reference = lift_with_ci(150, 3000, 30, 1000)
    assert (b_vs_control["ci_low"], b_vs_control["ci_high"]) == pytest.approx(
        (reference["ci_low"], reference["ci_high"])
    )
    a_b = next(t for t in result["pairs"] if (t["arm"], t["other"]) == ("A", "B"))
    chi2 = stats.chi2_contingency([[120, 2880], [150, 2850]], correction=False).pvalue
    assert a_b["p_value"] == pytest.approx(chi2)


def test_a_winner_is_named_only_when_it_beats_every_other_arm() -> None:
    clear = compare_arms(_frame({None: (1000, 30), "A": (4000, 160), "B": (4000, 320), "C": (4000, 150)}))
    assert clear["winner"] == "B" and clear["winner_reason"] == "results_seq.winner.shown"
    assert clear["winner_beats_control"] is True
    # B beats C but not A: no winner, and the reason names the arm it could not beat.
    close = compare_arms(_frame({None: (1000, 30), "A": (4000, 300), "B": (4000, 320), "C": (4000, 150)}))
    assert close["winner"] is None and close["winner_reason"] == "results_seq.winner.not_shown"
    assert close["winner_reason_values"]["arm"] == "B" and close["winner_reason_values"]["other"] == "A"
    assert close["winner_reason_values"]["p"] >= 0.05
    single = compare_arms(_frame({None: (1000, 30), "default": (9000, 360)}))
    assert single["winner"] is None and single["winner_reason"] == "results_seq.winner.single_arm"
    assert single["family_size"] == 1


def test_without_control_the_family_is_the_pairs() -> None:
    result = compare_arms(_frame({"A": (500, 20), "B": (500, 60)}))
    assert result["control"] is None and result["vs_control"] == [] and result["family_size"] == 1
    assert result["winner"] == "B" and result["winner_beats_control"] is None


def test_thompson_shares_are_deterministic_floored_and_sum_to_one() -> None:
    frame = _frame({None: (1000, 30), "A": (3000, 90), "B": (3000, 180), "C": (3000, 95)})
    shares = thompson_shares(frame, control_share=0.1, seed=7)
    assert shares == thompson_shares(frame, control_share=0.1, seed=7)
    assert shares["control"] == 0.1
    assert sum(shares.values()) == pytest.approx(1.0)
    # B is best beyond doubt: it gets all but the floors; A and C keep exactly their floor of the called part.
    assert shares["A"] == pytest.approx(0.05 * 0.9) and shares["C"] == pytest.approx(0.05 * 0.9)
    assert shares["B"] == pytest.approx(0.9 * (1 - 2 * 0.05))
    no_floor = thompson_shares(frame, control_share=0.1, seed=7, floor=0.0)
    assert no_floor["A"] == pytest.approx(0.0, abs=1e-3)


def test_thompson_share_is_the_posterior_probability_of_being_best() -> None:
    frame = _frame({None: (200, 5), "A": (400, 20), "B": (400, 26)})
    shares = thompson_shares(frame, control_share=0.2, seed=1, draws=200_000, floor=0.0)
    post_a, post_b = stats.beta(21, 381), stats.beta(27, 375)
    p_b_best, _ = integrate.quad(lambda x: post_b.pdf(x) * post_a.cdf(x), 0, 1)
    assert shares["B"] / 0.8 == pytest.approx(p_b_best, abs=0.005)
    assert thompson_shares(frame, 0.2, seed=2, draws=50)["B"] != thompson_shares(frame, 0.2, seed=3, draws=50)["B"]


def test_a_single_arm_takes_the_whole_called_part() -> None:
    assert thompson_shares(_frame({None: (10, 1), "default": (90, 5)}), control_share=0.25) == {
        "control": 0.25,
        "default": 0.75,
    }


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: compare_arms({"group": ["treatment"], "converted": [1]}), "no column arm"),
        (lambda: compare_arms({"group": ["treatment"], "arm": [None], "converted": [1]}), "row 1"),
        (lambda: compare_arms({"group": ["control", "treatment"], "arm": [None, " "], "converted": [1, 0]}), "row 2"),
        (lambda: compare_arms({"group": ["control"], "arm": [None], "converted": [1]}), "no script arms"),
        (lambda: thompson_shares({"group": ["treatment"], "arm": ["control"], "converted": [1]}, 0.1), "named control"),
        (lambda: compare_arms({"group": ["treatment"], "arm": ["A"], "converted": [2]}), "row 1: converted is 2"),
        (lambda: compare_arms({"group": ["treatment"], "arm": ["A"], "converted": [None]}), "row 1: converted"),
        (lambda: compare_arms({"group": ["treatment"], "arm": ["A"], "converted": [1]}, alpha=0), "alpha"),
        (lambda: thompson_shares({"group": ["treatment"], "arm": ["A"], "converted": [1]}, 1.0), "control_share"),
        (lambda: thompson_shares({"group": ["treatment"], "arm": ["A"], "converted": [1]}, 0.1, draws=0), "draws"),
        (lambda: thompson_shares({"group": ["treatment"], "arm": ["A"], "converted": [1]}, 0.1, seed=-1), "seed"),
        (
            lambda: thompson_shares(
                {"group": ["treatment"] * 3, "arm": ["A", "B", "C"], "converted": [1, 0, 0]}, 0.1, floor=0.4
            ),
            "at most 1/3",
        ),
    ],
)
def test_bad_input_is_refused_with_one_sentence_in_both_languages(call, words) -> None:
    with pytest.raises(ResultsError) as caught:
        call()
    assert words in str(caught.value)
    assert caught.value.message("zh") != str(caught.value)
