"""The scheduler's optimiser: optimal on small problems, feasible and certified on large ones."""

from datetime import date, timedelta

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

from callwise.schedule.optimise import Problem, customer_classes, solve
from callwise.schedule.plans import candidate_plans
from callwise.schedule.slots import campaign_slots

SLOTS = campaign_slots([date(2026, 7, 1) + timedelta(days=d) for d in range(4)], 9, 12)  # 4 days × 3 hours


def random_problem(n, capacity, attempts=3, seed=0, profiles=3):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.6, (profiles, len(SLOTS)))
    p = base[rng.integers(0, profiles, n)] * rng.uniform(0.5, 1.5, (n, 1))
    p[rng.random((n, len(SLOTS))) < 0.1] = 0  # some slots not allowed (quiet hours, too soon)
    return Problem(
        p_answer=np.clip(p, 0, 0.95).astype(np.float32),
        margin=rng.lognormal(3.5, 0.8, n),
        attempts=np.full(n, attempts),
        pool=np.zeros(n, np.int64),
        slots=SLOTS,
        capacity=np.full((1, len(SLOTS)), float(capacity)),
        cost=5.0,
    )


def expected_load(problem, schedule):
    slot, reach = schedule.slot[:, 0], schedule.reach[:, 0]
    used = slot >= 0
    return np.bincount(slot[used], reach[used], minlength=len(SLOTS))


def single_attempt_optimum(problem):
    """Brute-force reference for one attempt per customer: the exact integer assignment (HiGHS MILP)."""
    n, s = problem.p_answer.shape
    value = problem.p_answer * problem.margin[:, None] - problem.cost
    ok = (problem.p_answer > 0) & (value > 0)
    cust, slot = np.nonzero(ok)
    a = sp.vstack(
        [
            sp.csr_matrix((np.ones(len(cust)), (cust, np.arange(len(cust)))), shape=(n, len(cust))),
            sp.csr_matrix((np.ones(len(cust)), (slot, np.arange(len(cust)))), shape=(s, len(cust))),
        ]
    )
    limits = np.concatenate([np.ones(n), problem.capacity.ravel()])
    result = scipy.optimize.milp(
        -value[cust, slot], constraints=scipy.optimize.LinearConstraint(a, 0, limits), integrality=np.ones(len(cust))
    )
    return -result.fun


def test_small_problem_matches_the_exact_optimum_and_the_bound_is_valid():
    problem = random_problem(300, capacity=6, attempts=1)
    solution = solve(problem)
    best = single_attempt_optimum(problem)
    assert solution.solver == "highs-lp"
    assert solution.objective >= 0.99 * best
    assert solution.bound >= best - 1e-6, "the bound must be an upper bound on the true optimum"
    assert solution.gap <= 0.01


def test_capacity_attempts_and_legality_hold():
    problem = random_problem(2_000, capacity=40)
    schedule = solve(problem).schedule
    assert (expected_load(problem, schedule) <= problem.capacity[0] + 1e-6).all()
    slot = schedule.slot[:, 0]
    used = slot >= 0
    assert (used.sum(axis=1) <= problem.attempts).all()
    rows = np.nonzero(used)[0]
    assert (problem.p_answer[rows, slot[used]] > 0).all(), "never a slot where calling is not allowed"
    assert (schedule.p_answer[:, 0][used] * problem.margin[rows] > problem.cost).all(), "every attempt pays"


def test_reattempts_come_on_later_days_at_other_hours():
    problem = random_problem(1_000, capacity=100)
    slot = solve(problem).schedule.slot[:, 0]
    for a in (1, 2):
        both = slot[:, a] >= 0
        assert both.any()
        assert (SLOTS.day[slot[both, a]] > SLOTS.day[slot[both, a - 1]]).all()
        for earlier in range(a):
            assert (SLOTS.hour[slot[both, a]] != SLOTS.hour[slot[both, earlier]]).all()


def test_large_problems_use_customer_classes_and_stay_feasible_with_a_reported_gap():
    problem = random_problem(12_000, capacity=250)
    solution = solve(problem, max_classes=500)
    assert solution.solver == "highs-lp-classes" and solution.lp_rows <= 500
    assert (expected_load(problem, solution.schedule) <= problem.capacity[0] + 1e-6).all()
    assert 0 <= solution.gap < 0.05
    assert solution.objective <= solution.bound
    load = expected_load(problem, solution.schedule).sum()
    assert load >= 0.95 * problem.capacity.sum(), "capacity is not left idle while worthwhile calls wait"


def test_the_same_inputs_give_the_same_schedule():
    first, second = (
        solve(random_problem(5_000, 100), max_classes=300),
        solve(random_problem(5_000, 100), max_classes=300),
    )
    assert np.array_equal(first.schedule.slot, second.schedule.slot)
    assert first.objective == second.objective


def test_campaign_limit_on_customers_is_kept():
    problem = random_problem(2_000, capacity=100)
    limited = Problem(**{**problem.__dict__, "max_customers": 50})
    schedule = solve(limited).schedule
    assert (schedule.slot[:, 0, 0] >= 0).sum() <= 50


def test_nobody_is_planned_when_no_call_pays():
    problem = random_problem(200, capacity=10)
    poor = Problem(**{**problem.__dict__, "margin": np.full(200, 1.0)})
    solution = solve(poor)
    assert not solution.called.any() and solution.objective == 0


def test_no_customers_at_all_gives_an_empty_schedule():
    # A list where nobody is worth calling reaches the scheduler with no customers: an empty plan, not a crash.
    problem = random_problem(0, capacity=10)
    solution = solve(problem)
    assert len(solution.called) == 0 and solution.objective == 0 and solution.bound == 0


def test_classes_group_customers_with_the_same_profile_shape():
    problem = random_problem(3_000, capacity=10, profiles=2)
    classes = customer_classes(problem, max_classes=400, seed=0)
    assert classes.max() + 1 <= 400
    same = classes[:, None] == classes[None, :200]
    margin_ratio = problem.margin[:, None] / problem.margin[None, :200]
    assert np.median(np.abs(np.log(margin_ratio[same]))) < np.median(np.abs(np.log(margin_ratio)))


def test_candidate_plans_value_matches_the_formula():
    p = np.array([[0.5, 0.0, 0.4, 0.3] * 3], np.float32)
    slots = campaign_slots([date(2026, 7, 1) + timedelta(days=d) for d in range(3)], 9, 13)
    plans = candidate_plans(p, slots, np.array([100.0]), 5.0, np.array([2]), k=1)
    first, second = plans.slot[0, 0]
    assert slots.day[second] > slots.day[first] and slots.hour[second] != slots.hour[first]
    p1, p2 = p[0, first], p[0, second]
    expected = 100 * (1 - (1 - p1) * (1 - p2)) - 5 * (1 + (1 - p1))
    assert plans.value[0, 0] == pytest.approx(expected, rel=1e-6)
