"""The scheduler's quick paths give exactly what the plain ones they replaced gave.

The references below are the earlier, slower implementations (a scan of every slot per re-attempt; classes
through ``np.unique`` over stacked columns): short enough to read, and independent of the quick ones.
"""

from datetime import date, timedelta

import numpy as np
import pytest

from callwise.schedule.optimise import Problem, customer_classes
from callwise.schedule.plans import candidate_plans, valued_plans
from callwise.schedule.slots import campaign_slots


def scanned_plans(p_answer, slots, margin, cost, attempts, max_attempts=None, slot_price=None, k=4, jitter=None):
    """candidate_plans as a scan over all slots for every re-attempt."""
    n, n_slots = p_answer.shape
    a_max = max(max_attempts or int(attempts.max(initial=1)), 1)
    key = p_answer * margin[:, None].astype(np.float32) - np.float32(cost)
    if slot_price is not None:
        key -= slot_price
    if jitter is not None:
        key += jitter
    key = np.where((p_answer > 0) & (attempts[:, None] > 0), key, np.float32(-np.inf))
    k = min(k, n_slots)
    first = np.argpartition(-key, k - 1, axis=1)[:, :k] if k < n_slots else np.tile(np.arange(n_slots), (n, 1))
    order = np.argsort(-np.take_along_axis(key, first, axis=1), axis=1, kind="stable")
    first = np.take_along_axis(first, order, axis=1)
    slot = np.full((n, k, a_max), -1, np.int32)
    prob = np.zeros((n, k, a_max), np.float32)
    rows = np.arange(n)
    for j in range(k):
        current = first[:, j]
        ok = np.ones(n, bool)
        hours = [slots.hour[current]]
        last_day = slots.day[current]
        for a in range(a_max):
            ok &= (a < attempts) & (key[rows, current] > 0)
            slot[:, j, a] = np.where(ok, current, -1)
            prob[:, j, a] = np.where(ok, p_answer[rows, current], 0)
            if a + 1 == a_max or not ok.any():
                break
            later = slots.day[None, :] > last_day[:, None]
            for h in hours:
                later &= slots.hour[None, :] != h[:, None]
            follow = np.where(later, key, np.float32(-np.inf))
            current = follow.argmax(axis=1)
            ok &= np.isfinite(follow[rows, current])
            hours.append(slots.hour[current])
            last_day = slots.day[current]
    return valued_plans(slot, prob, margin, cost)


def stacked_classes(problem, max_classes, seed):
    """customer_classes through np.unique over the stacked class columns, shapes hashed all at once."""
    from callwise.schedule.optimise import _quantile_bins

    p = problem.p_answer
    level = p.mean(axis=1, dtype=np.float64)
    worth = level * problem.margin
    shape = whole_shape_clusters(p / np.maximum(level, 1e-9)[:, None].astype(np.float32), seed)
    for levels, values in ((4, 48), (4, 32), (3, 24), (3, 16), (2, 12), (2, 8), (1, 4), (1, 1)):
        key = np.stack(
            [problem.pool, problem.attempts, shape, _quantile_bins(level, levels), _quantile_bins(worth, values)]
        )
        _, classes = np.unique(key, axis=1, return_inverse=True)
        if classes.max() + 1 <= max_classes:
            break
    return classes.ravel()


def whole_shape_clusters(shape, seed, k=24):
    coarse = np.round(shape * 5).astype(np.int64)
    weights = np.random.default_rng(seed).integers(1, 2**61, shape.shape[1])
    _, ids = np.unique(coarse @ weights, return_inverse=True)
    if ids.max() < k:
        return np.asarray(ids.ravel())
    from sklearn.cluster import MiniBatchKMeans

    rng = np.random.default_rng(seed)
    sample = shape[rng.choice(len(shape), min(len(shape), 20_000), replace=False)]
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=1, batch_size=4096).fit(sample)
    return np.concatenate([model.predict(shape[i : i + 200_000]) for i in range(0, len(shape), 200_000)])


def tied_answers(n, days, seed):
    """p(answer) with many exact ties (a few levels, weekdays alike) and some slots not allowed."""
    rng = np.random.default_rng(seed)
    slots = campaign_slots([date(2026, 7, 1) + timedelta(days=d) for d in range(days)], 9, 15)
    per_hour = rng.choice([0.1, 0.2, 0.3, 0.45], (n, 6)).astype(np.float32)
    p = per_hour[:, slots.hour - 9] * rng.choice([1.0, 1.0, 0.5], (n, len(slots))).astype(np.float32)
    p[rng.random(p.shape) < 0.2] = 0
    return slots, p, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("jittered", [False, True])
def test_candidate_plans_pick_the_slots_a_full_scan_picks(seed, jittered):
    slots, p, rng = tied_answers(3_000, days=5, seed=seed)
    n = len(p)
    margin = rng.choice([20.0, 50.0, 200.0], n)
    attempts = rng.integers(0, 5, n)
    price = rng.choice([0.0, 0.5], (n, len(slots))).astype(np.float32)
    jitter = rng.random(p.shape, dtype=np.float32) * np.float32(1e-6) if jittered else None
    fast = candidate_plans(p, slots, margin, 5.0, attempts, slot_price=price, k=4, jitter=jitter)
    plain = scanned_plans(p, slots, margin, 5.0, attempts, slot_price=price, k=4, jitter=jitter)
    assert (fast.slot[:, :, 1:] >= 0).any()  # the test reaches re-attempts
    for field in ("slot", "reach", "p_answer", "value"):
        assert np.array_equal(getattr(fast, field), getattr(plain, field)), field


def test_candidate_plans_with_one_day_have_no_re_attempts():
    slots, p, _ = tied_answers(200, days=1, seed=3)
    plans = candidate_plans(p, slots, np.full(200, 100.0), 5.0, np.full(200, 3), k=2)
    assert (plans.slot[:, :, 1:] == -1).all()
    assert np.array_equal(plans.slot, scanned_plans(p, slots, np.full(200, 100.0), 5.0, np.full(200, 3), k=2).slot)


# Few shapes (kept as they are), and many (clustered; more customers than the sample that counts shapes).
@pytest.mark.parametrize(("profiles", "n"), [(2, 6_000), (40, 25_000)])
def test_customer_classes_are_those_of_the_stacked_unique(profiles, n):
    slots, _, rng = tied_answers(1, days=4, seed=0)
    base = rng.uniform(0.05, 0.6, (profiles, len(slots)))
    p = np.clip(base[rng.integers(0, profiles, n)] * rng.uniform(0.5, 1.5, (n, 1)), 0, 0.95).astype(np.float32)
    problem = Problem(
        p_answer=p,
        margin=rng.lognormal(3.5, 0.8, n),
        attempts=rng.integers(1, 4, n),
        pool=rng.integers(0, 2, n),
        slots=slots,
        capacity=np.full((2, len(slots)), 10.0),
        cost=5.0,
    )
    for max_classes in (50, 400, 3_000):
        fast = customer_classes(problem, max_classes, seed=0)
        assert np.array_equal(fast, stacked_classes(problem, max_classes, seed=0))
