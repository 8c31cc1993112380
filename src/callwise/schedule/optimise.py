"""Choose each customer's calls to maximise expected value under the agents' capacity.

The problem is a linear programme over candidate plans (see :mod:`callwise.schedule.plans`): x[c, j] ∈ [0, 1]
is customer c taking plan j; each customer takes at most one plan; the expected calls in each (language
pool, slot) stay within what the agents can place there; an optional campaign limit caps how many customers
are called. It is solved with HiGHS (through SciPy) by column generation: plans at zero prices, the prices
of capacity the LP puts on them, plans that avoid what those prices say is busy, and so on.

* Up to ``max_classes`` customers the LP is over individual customers; its solution is integral but for at
  most one customer per binding capacity row, which are rounded.
* Beyond that (a million customers) the LP is over classes of customers whose plans would look alike (HiGHS
  grows too slowly past a few thousand rows); each class's customers take its plans, best first, in the
  LP's proportions — which also keeps alike customers from all piling onto the same slot.

A vectorised repair then drops the least valuable attempts from over-full slots and a fill gives what
capacity is left to the best waiting customers (keeping as many of their attempts as fit). The two also keep
one call per phone number per day for customers who share a number (:mod:`callwise.schedule.numbers`): the
LP plans each customer alone, so the rule is kept where the plans meet, in both paths. The reported
bound is the Lagrangian dual over every plan considered, including the ones chosen, at the better of the
LP's prices and prices refined for individual customers; by weak duality it is at least the LP optimum over
those plans, so ``gap = (bound − objective) / bound`` is a certificate, not an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from callwise.policy.phones import NumberDays
from callwise.schedule.numbers import free_slots, over_limit
from callwise.schedule.plans import Plans, candidate_plans, valued_plans
from callwise.schedule.slots import Slots
from callwise.threads import one_thread

EPS = 1e-9


@dataclass(frozen=True)
class Problem:
    """Everything the optimiser needs, one row per customer and one column per slot."""

    p_answer: np.ndarray  # (n × slots) float32, zero where a call is not allowed
    margin: np.ndarray  # (n,) value of an answered call
    attempts: np.ndarray  # (n,) most attempts each customer may get
    pool: np.ndarray  # (n,) language pool of each customer
    slots: Slots
    capacity: np.ndarray  # (pools × slots) expected calls the agents can place
    cost: float
    max_customers: float | None = None  # campaign limit on customers called
    k: int = 4  # candidate plans per customer and pricing round
    numbers: NumberDays | None = None  # the phone rule: customers sharing a number, calls on record

    @property
    def n_rows(self) -> int:
        return self.capacity.size + (1 if self.max_customers is not None else 0)

    @property
    def row_capacity(self) -> np.ndarray:
        caps = self.capacity.ravel().astype(float)
        return np.append(caps, self.max_customers) if self.max_customers is not None else caps


@dataclass(frozen=True)
class Solution:
    schedule: Plans  # one plan per customer (K = 1); slot -1 everywhere = not called
    objective: float  # expected value of the schedule
    bound: float  # upper bound on the LP optimum over every plan considered
    prices: np.ndarray  # shadow price of each capacity row
    solver: str
    lp_rows: int  # customers (or classes of customers) in the LP
    rounds: int
    number_limited: np.ndarray  # (n,) bool: chosen, then left out because their number had no call left

    @property
    def called(self) -> np.ndarray:
        return self.schedule.slot[:, 0, 0] >= 0

    @property
    def gap(self) -> float:
        return max(0.0, (self.bound - self.objective) / self.bound) if self.bound > 0 else 0.0


@one_thread
def solve(problem: Problem, max_classes: int = 3_000, rounds: int = 30, seed: int = 0) -> Solution:
    """The schedule for every customer (see the module doc).

    BLAS and OpenMP run on one thread here: the optimiser's calls into them are small (k-means on a sample,
    L-BFGS on a few hundred prices), and on a busy machine their thread pools cost more in waking and waiting
    than they save (k-means on 20,000 customers: 2.8 s against 0.2 s, the same clusters). See decision 0022.
    """
    n = len(problem.pool)
    if n <= max_classes:
        classes, class_problem, supply = np.arange(n), problem, np.ones(n)
        solver = "highs-lp"
    else:
        classes = customer_classes(problem, max_classes, seed)
        class_problem, supply = _class_problem(problem, classes)
        solver = "highs-lp-classes"
    prices, plans, x, done = _lp_prices(class_problem, supply, rounds, seed)
    schedule = _disaggregate(problem, classes, plans, x, supply)
    fresh = _plans_at(problem, np.arange(n), prices, seed)
    schedule, limited = _fill(problem, _repair(problem, schedule, prices), fresh, prices)
    objective = float(np.maximum(schedule.value[:, 0], 0).sum())
    bound = _tightened_bound(problem, Plans.join(fresh, schedule), prices, seed)
    return Solution(schedule, objective, bound, prices, solver, len(supply), done, limited)


# ---- classes of similar customers ----------------------------------------------------------------------------


def customer_classes(problem: Problem, max_classes: int, seed: int) -> np.ndarray:
    """Group customers whose plans would look alike: same pool and attempts, an answer profile of the same
    shape, and similar expected value of a call (margin × answering level), which drives who is called.
    Returns a class per customer."""
    p = problem.p_answer
    level = p.mean(axis=1, dtype=np.float64)
    worth = level * problem.margin
    shape = _shape_clusters(p, np.maximum(level, 1e-9).astype(np.float32), seed)
    for levels, values in ((4, 48), (4, 32), (3, 24), (3, 16), (2, 12), (2, 8), (1, 4), (1, 1)):
        key = [problem.pool, problem.attempts, shape, _quantile_bins(level, levels), _quantile_bins(worth, values)]
        _, classes = np.unique(_lexicographic_code(key), return_inverse=True)
        if classes.max() + 1 <= max_classes:
            break
    return np.asarray(classes.ravel())


def _lexicographic_code(columns: list[np.ndarray]) -> np.ndarray:
    """One int64 per row that sorts like the tuple of ``columns`` (small integers).

    Sorting one integer is far quicker than ``np.unique(..., axis=1)`` over the stacked columns, and gives
    the same class numbers.
    """
    code = np.zeros(len(columns[0]), np.int64)
    for column in columns:
        low, high = int(column.min(initial=0)), int(column.max(initial=0))
        code = code * (high - low + 1) + (column.astype(np.int64) - low)
    return code


def _shape_clusters(p: np.ndarray, level: np.ndarray, seed: int, k: int = 24, chunk: int = 200_000) -> np.ndarray:
    """Customers with the same shape of answer profile (p / level) share an id; many distinct shapes are clustered.

    The shapes are made chunk by chunk (a million customers' would take gigabytes), and the count of distinct
    shapes is first tried on a sample: more than ``k`` there means more than ``k`` in all, so clustering it is.
    """
    weights = np.asarray(np.random.default_rng(seed).integers(1, 2**61, p.shape[1]))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(p), min(len(p), 20_000), replace=False)
    sample = p[chosen] / level[chosen, None]
    if len(np.unique(_shape_hash(sample, weights))) <= k:
        hashes = np.concatenate(
            [_shape_hash(p[i : i + chunk] / level[i : i + chunk, None], weights) for i in range(0, len(p), chunk)]
        )
        _, ids = np.unique(hashes, return_inverse=True)
        if ids.max() < k:
            return np.asarray(ids.ravel())
    from sklearn.cluster import MiniBatchKMeans

    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=1, batch_size=4096).fit(sample)
    return np.concatenate(
        [model.predict(p[i : i + chunk] / level[i : i + chunk, None]) for i in range(0, len(p), chunk)]
    )


def _shape_hash(shape: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A hash of each row's shape rounded to fifths: equal rounded shapes, equal hashes."""
    return np.asarray(np.round(shape * 5).astype(np.int64) @ weights)


def _quantile_bins(values: np.ndarray, bins: int) -> np.ndarray:
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right")


def _class_problem(problem: Problem, classes: np.ndarray) -> tuple[Problem, np.ndarray]:
    """One row per class: mean answer probabilities and margin, the class's pool and attempts."""
    n_classes = int(classes.max()) + 1
    supply = np.bincount(classes, minlength=n_classes).astype(float)
    members = sp.csr_matrix((np.ones(len(classes), np.float32), (classes, np.arange(len(classes)))))
    p_answer = np.asarray(members @ problem.p_answer) / supply[:, None].astype(np.float32)
    first = np.zeros(n_classes, np.int64)
    first[classes[::-1]] = np.arange(len(classes))[::-1]
    return (
        replace(
            problem,
            p_answer=p_answer.astype(np.float32),
            margin=np.bincount(classes, problem.margin, n_classes) / supply,
            attempts=problem.attempts[first],
            pool=problem.pool[first],
            numbers=None,  # the phone rule binds individuals: kept in the repair and fill
        ),
        supply,
    )


def _disaggregate(problem: Problem, classes: np.ndarray, plans: Plans, x: np.ndarray, supply: np.ndarray) -> Plans:
    """Hand each class's LP plans to its customers, most valuable customers first, in the LP's proportions."""
    n = len(classes)
    proxy = problem.margin * problem.p_answer.max(axis=1)
    order = np.lexsort((np.arange(n), -proxy, classes))
    starts = np.searchsorted(classes[order], np.arange(len(supply)))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - starts[classes[order]]
    bounds = np.round(np.cumsum(x, axis=1))  # customers of the class on plans 0..j
    plan = (bounds[classes] <= rank[:, None]).sum(axis=1)
    called = plan < x.shape[1]
    slot = np.where(called[:, None], plans.slot[classes, np.minimum(plan, x.shape[1] - 1)], -1)
    p = np.where(slot >= 0, np.take_along_axis(problem.p_answer, np.maximum(slot, 0), axis=1), 0)
    keep = p * problem.margin[:, None] > problem.cost
    picked = Plans(slot[:, None], np.zeros_like(p)[:, None], p[:, None], np.zeros((n, 1)))
    return _truncated(picked, keep, problem.margin, problem.cost)


# ---- plans at prices ---------------------------------------------------------------------------------------


def _plans_at(problem: Problem, customers: np.ndarray, prices: np.ndarray, seed: int, chunk: int = 100_000) -> Plans:
    """Candidate plans for ``customers`` at the given capacity prices, in chunks to bound memory.

    A tiny seeded jitter breaks ties between equally good slots differently for each customer, so that
    customers with the same profile bring the LP different slots to split them over.
    """
    n_slots = len(problem.slots)
    slot_prices = prices[: problem.capacity.size].reshape(problem.capacity.shape).astype(np.float32)
    parts = []
    for start in range(0, max(len(customers), 1), chunk):
        rows = customers[start : start + chunk]
        noise = np.random.default_rng([seed, start]).random((len(rows), n_slots), dtype=np.float32)
        parts.append(
            candidate_plans(
                problem.p_answer[rows],
                problem.slots,
                problem.margin[rows],
                problem.cost,
                problem.attempts[rows],
                max_attempts=int(problem.attempts.max(initial=1)),
                slot_price=slot_prices[problem.pool[rows]] if prices.any() else None,
                k=problem.k,
                jitter=noise * np.float32(1e-6) * (1 + problem.margin[rows, None]).astype(np.float32),
            )
        )
    return Plans.concat(parts)


def _entries(problem: Problem, plans: Plans, customers: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Every planned attempt as (plan row, plan, attempt, capacity row, expected calls), flat.

    Plan row i belongs to customer ``customers[i]`` (row i = customer i when not given). The campaign limit,
    when set, is one more row that each plan's first attempt uses once.
    """
    pool = problem.pool if customers is None else problem.pool[customers]
    n_slots = problem.capacity.shape[1]
    i, j, a = np.nonzero(plans.slot >= 0)
    row = pool[i] * n_slots + plans.slot[i, j, a]
    weight = plans.reach[i, j, a].astype(np.float64)
    if problem.max_customers is not None:
        first = a == 0
        i, j, a = np.concatenate([i, i[first]]), np.concatenate([j, j[first]]), np.concatenate([a, a[first]])
        row = np.concatenate([row, np.full(first.sum(), problem.capacity.size)])
        weight = np.concatenate([weight, np.ones(first.sum())])
    return i, j, a, row, weight


def _reduced(problem: Problem, plans: Plans, prices: np.ndarray, customers: np.ndarray | None = None) -> np.ndarray:
    """Value of each plan minus the capacity it uses at the given prices; -inf where unusable."""
    i, j, _, row, weight = _entries(problem, plans, customers)
    charge = np.zeros(plans.value.shape)
    np.add.at(charge, (i, j), prices[row] * weight)
    return np.where(np.isfinite(plans.value), plans.value - charge, -np.inf)


def _dual_bound(problem: Problem, plans: Plans, prices: np.ndarray, supply: np.ndarray | None = None) -> float:
    """Lagrangian dual: Σ_c supply × max(0, best reduced value) + Σ_rows price × capacity ≥ LP optimum."""
    best = np.maximum(_reduced(problem, plans, prices).max(axis=1), 0)
    return float((best if supply is None else best * supply).sum() + prices @ problem.row_capacity)


# ---- prices ------------------------------------------------------------------------------------------------


def _lp_prices(
    problem: Problem, supply: np.ndarray, rounds: int, seed: int, tolerance: float = 1e-3
) -> tuple[np.ndarray, Plans, np.ndarray, int]:
    """Column generation with the HiGHS LP (row i stands for ``supply[i]`` customers).

    Stops when the dual bound over plans freshly priced at the LP's prices is within ``tolerance`` of the
    LP's value: no plan left out can improve the LP by more. Returns (prices, plans, LP solution in
    customers per plan, rounds).
    """
    customers = np.arange(len(problem.pool))
    prices = np.zeros(problem.n_rows)
    plans = _plans_at(problem, customers, prices, seed)
    x: np.ndarray = np.zeros(plans.value.shape)
    done = 0
    for done in range(1, rounds + 1):
        if not (np.isfinite(plans.value) & (plans.value > 0)).any():
            break
        x, prices, lp_value = _solve_lp(problem, plans, supply)
        # Keep the plans the LP uses (and the best others), add plans priced afresh: the LP stays small.
        keep = np.argsort(-(x + EPS * np.maximum(_reduced(problem, plans, prices), -1e9)), axis=1)[:, : problem.k]
        plans, x = plans.columns(keep), np.take_along_axis(x, keep, axis=1)
        plans = Plans.join(plans, _plans_at(problem, customers, prices, seed + done))
        x = np.pad(x, ((0, 0), (0, plans.value.shape[1] - x.shape[1])))
        if _dual_bound(problem, plans, prices, supply) <= lp_value * (1 + tolerance) + EPS:
            break
    return prices, plans, x, done


def _solve_lp(problem: Problem, plans: Plans, supply: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """HiGHS on the LP over ``plans`` (row i = ``supply[i]`` customers): (x (n × K), prices, optimum)."""
    n, k = plans.value.shape
    usable = np.isfinite(plans.value) & (plans.value > 0)
    column = np.full((n, k), -1)
    column[usable] = np.arange(usable.sum())
    i, j, _, row, weight = _entries(problem, plans)
    keep = usable[i, j]
    cust, plan = np.nonzero(usable)
    a = sp.csc_matrix(
        (
            np.concatenate([weight[keep], np.ones(len(cust))]),
            (np.concatenate([n + row[keep], cust]), np.concatenate([column[i[keep], j[keep]], np.arange(len(cust))])),
        ),
        shape=(n + problem.n_rows, len(cust)),
    )
    b = np.concatenate([supply, problem.row_capacity])
    result = scipy.optimize.linprog(-plans.value[cust, plan], A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    if result.status != 0:
        raise RuntimeError(f"the LP solver stopped without an optimum: {result.message}")
    x = np.zeros((n, k))
    x[cust, plan] = result.x
    return x, np.maximum(-result.ineqlin.marginals[n:], 0.0), float(-result.fun)


def _tightened_bound(problem: Problem, plans: Plans, start: np.ndarray, seed: int, sample: int = 30_000) -> float:
    """The lower of the dual bounds at the LP's prices and at prices refined for individual customers.

    The class LP's prices suit class averages, not individuals. Refined prices minimise the smoothed dual
    (L-BFGS-B, smoothing shrunk in steps) over a random sample of customers with the capacities scaled to
    it; each bound is evaluated on everyone.
    """
    n = len(problem.pool)
    at_start = _dual_bound(problem, plans, start)
    if n == 0:  # nobody to plan (e.g. nobody worth calling): the bound at the LP's prices is exact
        return at_start
    rows = np.sort(np.random.default_rng([seed, 2]).choice(n, min(n, sample), replace=False))
    part = plans.take(rows)
    share = len(rows) / n
    i, j, _, row, weight = _entries(problem, part, rows)
    value = part.value
    positive = value[np.isfinite(value) & (value > 0)]
    if positive.size == 0:
        return at_start
    prices = start
    caps = problem.row_capacity * share
    for temperature in np.median(positive) * np.array([0.02, 0.004]):
        prices = _minimise_smoothed_dual(value, i * value.shape[1] + j, row, weight, caps, prices, temperature)
    return min(at_start, _dual_bound(problem, plans, prices))


def _minimise_smoothed_dual(
    value: np.ndarray,
    flat: np.ndarray,
    row: np.ndarray,
    weight: np.ndarray,
    caps: np.ndarray,
    start: np.ndarray,
    temperature: float,
) -> np.ndarray:
    """argmin over prices ≥ 0 of Σ_c τ·log(1 + Σ_j exp(reduced_cj / τ)) + prices · capacity."""
    n, k = value.shape
    finite = np.isfinite(value)

    def objective(prices: np.ndarray) -> tuple[float, np.ndarray]:
        charge = np.bincount(flat, prices[row] * weight, minlength=n * k).reshape(n, k)
        z = np.where(finite, (value - charge) / temperature, -np.inf)
        top = np.maximum(z.max(axis=1), 0.0)
        e = np.exp(z - top[:, None])
        total = e.sum(axis=1) + np.exp(-top)
        share = (e / total[:, None]).ravel()
        demand = np.bincount(row, share[flat] * weight, minlength=len(caps))
        return float((temperature * (top + np.log(total))).sum() + prices @ caps), caps - demand

    bounds = [(0.0, None)] * len(caps)
    result = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return np.asarray(np.maximum(result.x, 0.0))


# ---- from prices to a feasible schedule --------------------------------------------------------------------


def _revalued(schedule: Plans, margin: np.ndarray, cost: float) -> Plans:
    """The schedule with reach and value computed from its slots and p(answer) (K = 1)."""
    return _truncated(schedule, np.ones(schedule.slot[:, 0].shape, bool), margin, cost)


def _truncated(schedule: Plans, keep: np.ndarray, margin: np.ndarray, cost: float) -> Plans:
    """The schedule with attempts where ``keep`` is false dropped, and every later attempt with them."""
    keep = np.cumprod(keep & (schedule.slot[:, 0] >= 0), axis=1).astype(bool)
    slot = np.where(keep, schedule.slot[:, 0], -1)
    p = np.where(keep, schedule.p_answer[:, 0], 0)
    return valued_plans(slot[:, None], p[:, None], margin, cost)


def trim_to_capacity(problem: Problem, schedule: Plans) -> Plans:
    """The schedule with its least valuable attempts dropped wherever a slot is over capacity."""
    return _repair(problem, schedule, np.zeros(problem.n_rows))


def _repair(problem: Problem, schedule: Plans, prices: np.ndarray) -> Plans:
    """Drop the least valuable attempts from every over-full row until all rows fit."""
    schedule = _revalued(schedule, problem.margin, problem.cost)
    cap = problem.row_capacity
    for _ in range(50):
        i, _, a, row, weight = _entries(problem, schedule)
        over = np.bincount(row, weight, minlength=len(cap)) > cap + EPS
        if not over.any():
            break
        # Within a full row, keep first attempts before re-attempts, then the most valuable customers.
        value = _reduced(problem, schedule, prices)[:, 0]
        order = np.lexsort((i, -value[i], a, row))
        cum = _cumsum_by_group(row[order], weight[order])
        drop = np.zeros(schedule.slot[:, 0].shape, bool)
        beyond = order[(cum > cap[row[order]] + EPS) & over[row[order]]]
        drop[i[beyond], a[beyond]] = True
        schedule = _truncated(schedule, ~drop, problem.margin, problem.cost)
    return schedule


def _fill(
    problem: Problem, schedule: Plans, plans: Plans, prices: np.ndarray, passes: int = 3, extra: int = 8
) -> tuple[Plans, np.ndarray]:
    """Give capacity left over to waiting customers, best first, keeping as many of their attempts as fit.

    Each pass offers the most valuable waiting customers fresh plans that use only slots with room left and
    days their number still has a call on. Attempts beyond a number's daily limit are then dropped (the less
    valuable customer's, re-attempts before first calls); a customer who lost their first call waits for the
    next pass with that day closed to them — up to ``extra`` more passes while that happens. Returns the schedule
    and who was left out for their number.
    """
    cap = problem.row_capacity
    best_value = np.where(np.isfinite(plans.value), plans.value, -np.inf).max(axis=1)
    schedule, limited = _keep_phone_rule(problem, schedule, prices)
    bumped = (limited & (schedule.slot[:, 0, 0] < 0)).any()
    for done in range(passes + extra):
        if done >= passes and not bumped:
            break
        *_, row, weight = _entries(problem, schedule)
        left = cap - np.bincount(row, weight, minlength=len(cap))
        waiting = np.flatnonzero((schedule.slot[:, 0, 0] < 0) & (best_value > 0))
        room = left[: problem.capacity.size].reshape(problem.capacity.shape) > 0.5
        if len(waiting) == 0 or not room.any() or (problem.max_customers is not None and left[-1] < 1):
            break
        waiting = waiting[np.argsort(-best_value[waiting], kind="stable")[: int(3 * left[left > 0].sum()) + 1]]
        open_p = problem.p_answer[waiting] * room[problem.pool[waiting]]
        if problem.numbers is not None:
            open_p *= free_slots(problem.numbers, schedule, waiting, len(problem.slots))
        offer = candidate_plans(
            open_p,
            problem.slots,
            problem.margin[waiting],
            problem.cost,
            problem.attempts[waiting],
            max_attempts=schedule.slot.shape[2],
            k=1,
        )
        i, _, a, row, weight = _entries(problem, offer, waiting)
        order = np.lexsort((waiting[i], -offer.value[i, 0], a, row))
        cum = np.empty_like(weight)
        cum[order] = _cumsum_by_group(row[order], weight[order])
        fits = np.ones(offer.slot[:, 0].shape, bool)
        np.logical_and.at(fits, (i, a), cum <= left[row] + EPS)
        offer = _truncated(offer, fits, problem.margin[waiting], problem.cost)
        taken = offer.slot[:, 0, 0] >= 0
        if not taken.any():
            break
        schedule, hit = _keep_phone_rule(
            problem, _merge(schedule, waiting[taken], offer.take(np.flatnonzero(taken))), prices
        )
        bumped = (hit & (schedule.slot[:, 0, 0] < 0)).any()
        limited |= hit
    schedule = _repair(problem, schedule, prices)
    return schedule, limited & (schedule.slot[:, 0, 0] < 0)


def _keep_phone_rule(problem: Problem, schedule: Plans, prices: np.ndarray) -> tuple[Plans, np.ndarray]:
    """The schedule without the attempts beyond their number's daily limit; and which customers lost some."""
    n = len(problem.pool)
    if problem.numbers is None:
        return schedule, np.zeros(n, bool)
    value = np.zeros(n)
    rows = np.flatnonzero(problem.numbers.watch & (schedule.slot[:, 0, 0] >= 0))  # shared numbers: a few
    value[rows] = _reduced(problem, schedule.take(rows), prices, rows)[:, 0]
    over = over_limit(problem.numbers, schedule, value)
    hit = np.asarray(over.any(axis=1))
    if hit.any():  # re-valued only where an attempt was dropped: a handful of rows, not the whole bank
        lost = np.flatnonzero(hit)
        part = _truncated(schedule.take(lost), ~over[lost], problem.margin[lost], problem.cost)
        schedule = _merge(schedule, lost, part)
    return schedule, hit


def _merge(schedule: Plans, rows: np.ndarray, part: Plans) -> Plans:
    """The schedule with the plans of ``rows`` replaced by ``part``."""
    out = Plans(schedule.slot.copy(), schedule.reach.copy(), schedule.p_answer.copy(), schedule.value.copy())
    out.slot[rows], out.reach[rows] = part.slot, part.reach
    out.p_answer[rows], out.value[rows] = part.p_answer, part.value
    return out


def _cumsum_by_group(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Running sum of ``weights`` restarting at each new value of the (sorted) ``groups``."""
    if len(groups) == 0:
        return weights.astype(float)
    total = np.cumsum(weights)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    offset = np.repeat(np.r_[0.0, total[starts[1:] - 1]], np.diff(np.r_[starts, len(groups)]))
    return np.asarray(total - offset)
