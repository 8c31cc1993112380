"""The estimators against answers worked out by hand or by brute force."""

from __future__ import annotations

from itertools import permutations
from math import factorial

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from callwise.attribution import methods as m
from callwise.attribution.errors import AttributionError


def _brute_shapley(v: dict[int, float], players: list[int]) -> dict[int, float]:
    """Average marginal contribution over every order of ``players`` (bits)."""
    phi = dict.fromkeys(players, 0.0)
    for order in permutations(players):
        coalition = 0
        for p in order:
            phi[p] += v[coalition | p] - v[coalition]
            coalition |= p
    return {p: x / factorial(len(players)) for p, x in phi.items()}


def test_shapley_of_a_three_channel_game_worked_by_hand():
    # A=1, B=2, C=4. v: singletons 10, 20, 30; pairs AB 40, AC 50, BC 60; all three 90.
    v = np.array([0, 10, 20, 40, 30, 50, 60, 90], dtype=float)
    # By hand: φ_A = 1/3·10 + 1/6·(40−20) + 1/6·(50−30) + 1/3·(90−60) = 3.33 + 3.33 + 3.33 + 10 = 20
    #          φ_B = 1/3·20 + 1/6·(40−10) + 1/6·(60−30) + 1/3·(90−50) = 6.67 + 5 + 5 + 13.33 = 30
    #          φ_C = 90 − 20 − 30 = 40
    assert m.shapley_values(v, 3) == pytest.approx([20.0, 30.0, 40.0])
    brute = _brute_shapley(dict(enumerate(v)), [1, 2, 4])
    assert m.shapley_values(v, 3) == pytest.approx([brute[1], brute[2], brute[4]])


def test_shapley_credit_is_the_sum_over_paths_of_the_game_restricted_to_their_set():
    rng = np.random.default_rng(3)
    k = 4
    n = rng.integers(50, 500, 1 << k).astype(float)
    won = np.floor(n * rng.uniform(0.02, 0.4, 1 << k))
    empty = 0.03
    credit = m.shapley_credit(n, won, k, empty)
    v = won / n
    v[0] = empty
    expected = np.zeros(k)
    for s in range(1, 1 << k):
        players = [1 << i for i in range(k) if s >> i & 1]
        sub = {t: v[t] for t in range(1 << k) if t & ~s == 0}
        phi = _brute_shapley(sub, players)
        for p, x in phi.items():
            expected[p.bit_length() - 1] += n[s] * x
    assert credit == pytest.approx(expected)
    # efficiency: the credits share out the conversions above the empty coalition's rate
    assert credit.sum() == pytest.approx(won[1:].sum() - empty * n[1:].sum())


def test_unseen_coalitions_are_filled_from_the_additive_fit():
    # channels A (+0.1) and B (+0.2) additive over v(∅) = 0.05; nobody had A alone
    n = np.array([0, 0, 100, 100], dtype=float)
    won = np.array([0, 0, 25, 35], dtype=float)
    values = m.coalition_values(n, won, 2, 0.05)
    assert values[1] == pytest.approx(0.15)  # the fit: β_A = 0.1, β_B = 0.2 reproduce v(B), v(AB)
    assert values[[0, 2, 3]] == pytest.approx([0.05, 0.25, 0.35])


def test_an_order_two_fit_is_exact_on_a_game_with_pairwise_interactions():
    k = 3
    masks = np.arange(1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    v = 0.02 + bits @ [0.05, 0.03, 0.01] + 0.02 * (bits[:, 0] * bits[:, 1])
    n = np.full(1 << k, 1000.0)
    assert m.coalition_values(n, v * n, k, 0.02, order=2) == pytest.approx(v)


def test_more_than_twelve_channels_are_refused_for_shapley():
    with pytest.raises(AttributionError, match="at most 12 channels"):
        m.shapley_values(np.zeros(1 << 13), 13)


def _transitions(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "target", "n"])


def test_markov_conversion_and_removal_effects_match_the_chain_by_hand():
    # start→A 60, start→B 40; A→B 20, A→conv 10, A→null 30; B→conv 30, B→null 30
    steps = _transitions(
        [
            ("(start)", "A", 60),
            ("(start)", "B", 40),
            ("A", "B", 20),
            ("A", "(conversion)", 10),
            ("A", "(null)", 30),
            ("B", "(conversion)", 30),
            ("B", "(null)", 30),
        ]
    )
    chain = m.Chain.of(steps, ("A", "B"))
    # P(conv | B) = 0.5; P(conv | A) = 1/6 + 1/3·0.5 = 1/3; P(conv) = 0.6·1/3 + 0.4·0.5 = 0.4
    assert chain.conversion() == pytest.approx(0.4)
    # without A: only start→B converts, 0.4·0.5 = 0.2; without B: 0.6·1/6 = 0.1
    assert chain.conversion(0) == pytest.approx(0.2)
    assert chain.conversion(1) == pytest.approx(0.1)
    # removal effects 0.5 and 0.75, normalised over 100 conversions
    assert m.markov_credit(steps, ("A", "B"), 100) == pytest.approx([40.0, 60.0])
    # the removed channel converting at a baseline of 0.1: without A 0.2 + 0.6·0.1 = 0.26; without B 0.1 + 0.6·1/3·0.1
    assert chain.conversion(0, baseline=0.1) == pytest.approx(0.26)
    assert chain.conversion(1, baseline=0.1) == pytest.approx(0.1 + 0.4 * 0.1 + 0.6 * (1 / 3) * 0.1)


def test_the_set_chain_removal_effect_is_the_drop_to_the_set_without_the_channel():
    # paths: {A} 100 (20 converted), {B} 100 (30), {A,B} 100 as A then B (45); empty set at the baseline 0.1
    steps = pd.DataFrame(
        [
            (0, 1, 200),  # start → {A}: the A-only paths and the A-then-B ones
            (0, 2, 100),
            (1, 3, 100),
            (1, -1, 20),
            (1, -2, 80),
            (2, -1, 30),
            (2, -2, 70),
            (3, -1, 45),
            (3, -2, 55),
        ],
        columns=["source", "target", "n"],
    )
    # P(conv) = (20 + 30 + 45)/300; removing A: {A}→∅ (0.1), {A,B}→{B} (0.3): (10 + 30 + 30)/300 → effect 25/300
    # removing B: {B}→∅ (0.1), {A,B}→{A} (0.2): (20 + 10 + 20)/300 → effect 45/300
    credit = m.set_chain_credit(steps, 2, 70.0, 0.1)
    assert credit == pytest.approx([70 * 25 / 70, 70 * 45 / 70])


def test_logistic_fit_with_frequency_weights_matches_scikit_learn():
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(400), rng.integers(0, 2, (400, 3)), rng.normal(size=400)])
    y = (rng.random(400) < 0.3).astype(float)
    w = rng.integers(1, 20, 400).astype(float)
    ours = m.logistic_fit(x, y, w, ridge=0.0)
    theirs = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x[:, 1:], y, sample_weight=w)
    assert ours == pytest.approx(np.r_[theirs.intercept_, theirs.coef_[0]], abs=1e-5)


def test_touch_rules_sum_the_credits_per_channel():
    credits = pd.DataFrame(
        {"campaign_id": ["X", "X", "Y"], "channel": ["sms", "call", "sms"], "first": [3, 1, 2], "last": [1, 3, 0]}
    )
    assert list(m.touch_credit(credits, ("call", "sms", "email"), "first")) == [1.0, 5.0, 0.0]
    assert list(m.touch_credit(credits, ("call", "sms", "email"), "last")) == [3.0, 1.0, 0.0]
