"""The channel optimiser: never over a capacity, the budget or a policy bar, and its bound certifies its gap."""

from __future__ import annotations

import numpy as np
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from callwise.channels.optimise import NONE, choose


@st.composite
def problems(draw, max_n: int = 40, max_k: int = 5):
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(1, max_k))
    value = draw(arrays(np.float64, (n, k), elements=st.floats(-20, 100, allow_nan=False)))
    allowed = draw(arrays(np.bool_, (n, k)))
    cost = draw(arrays(np.float64, (k,), elements=st.floats(0, 20, allow_nan=False)))
    caps = draw(st.lists(st.one_of(st.just(np.inf), st.integers(0, n)), min_size=k, max_size=k))
    budget = draw(st.one_of(st.just(np.inf), st.floats(0, 400)))
    return value, allowed, cost, np.array(caps, float), budget


@settings(max_examples=300, deadline=None)
@given(problems())
def test_no_plan_exceeds_a_capacity_the_budget_or_chooses_a_barred_or_worthless_pair(problem):
    value, allowed, cost, caps, budget = problem
    choice = choose(value, allowed, cost, caps, budget)
    picked = np.flatnonzero(choice.chosen != NONE)
    cols = choice.chosen[picked]
    assert allowed[picked, cols].all()  # no pair with a policy reason
    assert (value[picked, cols] > 0).all()  # nothing chosen at a loss
    used = np.bincount(cols, minlength=value.shape[1])
    assert (used <= caps).all()
    assert cost[cols].sum() <= budget + 1e-6
    assert abs(choice.objective - value[picked, cols].sum()) < 1e-6
    assert choice.bound >= choice.objective - 1e-6


def _milp_optimum(value, allowed, cost, caps, budget) -> float:
    """The integer optimum by SciPy's MILP: the reference the heuristic is checked against."""
    n, k = value.shape
    mask = (allowed & (value > 0)).ravel()
    if not mask.any():
        return 0.0
    idx = np.flatnonzero(mask)
    rows, cols = np.divmod(idx, k)
    a = [np.eye(n)[rows].T]
    ub = [np.ones(n)]
    for c in range(k):
        if np.isfinite(caps[c]):
            a.append((cols == c).astype(float)[None, :])
            ub.append([caps[c]])
    if np.isfinite(budget):
        a.append(cost[cols][None, :])
        ub.append([budget])
    res = scipy.optimize.milp(
        -value.ravel()[idx],
        constraints=scipy.optimize.LinearConstraint(np.vstack(a), -np.inf, np.concatenate(ub)),
        integrality=np.ones(len(idx)),
        bounds=scipy.optimize.Bounds(0, 1),
    )
    return float(-res.fun)


@settings(max_examples=60, deadline=None)
@given(problems(max_n=12, max_k=4))
def test_the_bound_is_at_least_the_integer_optimum(problem):
    value, allowed, cost, caps, budget = problem
    choice = choose(value, allowed, cost, caps, budget)
    best = _milp_optimum(value, allowed, cost, caps, budget)
    assert choice.objective <= best + 1e-6
    assert choice.bound >= best - 1e-6


def test_at_scale_the_prices_are_cleared_and_the_gap_is_small():
    rng = np.random.default_rng(1)
    n = 50_000
    cost = np.array([5.0, 0.05, 0.005, 0.02, 0.01])
    value = rng.gamma(0.6, 1.0, (n, 5)) * np.array([30, 3, 2, 2.5, 0.5]) - cost
    allowed = rng.random((n, 5)) > 0.3
    caps = np.array([n * 0.03, n * 0.2, np.inf, np.inf, np.inf])
    choice = choose(value, allowed, cost, caps, budget=n * 0.03 * 5.0)
    assert choice.lp_rows < n  # the LP ran on a sample, its prices cleared on everyone
    assert choice.used[0] <= caps[0] and choice.used[1] <= caps[1]
    assert choice.spent <= n * 0.03 * 5.0 + 1e-6
    assert 0 <= choice.gap < 0.01


def test_a_better_but_full_channel_gives_the_customer_the_next_best():
    value = np.array([[10.0, 2.0], [9.0, 3.0], [8.0, 1.0]])
    choice = choose(value, np.ones((3, 2), bool), np.zeros(2), np.array([1, np.inf]))
    assert list(choice.chosen) == [0, 1, 1]
    assert choice.gap == 0
