"""One channel (or none) per customer, maximising expected incremental value under capacities and a budget.

The problem: x[i, c] ∈ {0, 1}, Σ_c x[i, c] ≤ 1 per customer, Σ_i x[i, c] ≤ capacity[c] per channel,
Σ_i,c cost[c] x[i, c] ≤ budget, maximise Σ value[i, c] x[i, c] over the pairs the policy allows (value is net of
the channel's cost). Its LP relaxation is solved with HiGHS (through SciPy) over individual customers up to
``MAX_ROWS``; beyond that over a random sample of them with the limits scaled to the sample, and the sample's
prices are then cleared on every customer (each over-asked limit's price raised by bisection until the demand at
the prices fits, a slack one's lowered; a million customers × 5 channels in seconds). The prices — λ[c] per
channel's capacity, μ per CNY of budget — choose for every customer the channel of the highest reduced value
``value − λ[c] − μ·cost[c]``, if positive; a vectorised repair then trims any channel or the budget back to its
limit (least reduced value first) and a fill gives what is left to the best customers still waiting.

The reported bound is the Lagrangian dual at those prices, computed on every customer's own values:
``Σ_i max(0, max_c reduced[i, c]) + Σ_c λ[c]·capacity[c] + μ·budget``. By weak duality it is at least the LP
optimum, so ``gap = (bound − objective) / bound`` is a certificate, not an estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from callwise.threads import one_thread

MAX_ROWS = 3000  # customers in the LP; beyond, a random sample of them, its prices then cleared on everyone
CLEAR_ROUNDS = 2
BISECT_STEPS = 18
FILL_ROUNDS = 4
NONE = -1


@dataclass(frozen=True)
class Choice:
    chosen: np.ndarray  # (n,) int: index into the channels, NONE = no channel
    objective: float  # Σ value of the chosen pairs
    bound: float  # Lagrangian dual bound (≥ the LP optimum ≥ any plan's value)
    prices: np.ndarray  # (C,) λ per channel's capacity (value units per customer)
    budget_price: float  # μ per CNY of budget
    spent: float
    used: np.ndarray  # (C,) customers per channel
    lp_rows: int
    solver: str

    @property
    def gap(self) -> float:
        return float((self.bound - self.objective) / self.bound) if self.bound > 1e-12 else 0.0


def choose(
    value: np.ndarray,
    allowed: np.ndarray,
    cost: np.ndarray,
    capacity: np.ndarray,
    budget: float = np.inf,
) -> Choice:
    """``value``/``allowed``: (n × C); ``cost``/``capacity``: (C,), capacity ``inf`` for none; ``budget`` in CNY."""
    n, k = value.shape
    cost = np.asarray(cost, float)
    capacity = np.asarray(capacity, float)
    worth = np.where(allowed & (value > 0), value, -np.inf)
    if n == 0 or not np.isfinite(worth).any():
        return Choice(np.full(n, NONE), 0.0, 0.0, np.zeros(k), 0.0, 0.0, np.zeros(k, int), 0, "nothing worth it")
    lam, mu, rows = _prices(worth, cost, capacity, budget)
    chosen = _assign(worth, cost, capacity, budget, lam, mu)
    picked = chosen >= 0
    objective = float(worth[np.flatnonzero(picked), chosen[picked]].sum())
    reduced = worth - lam[None, :] - mu * cost[None, :]
    best = np.maximum(reduced.max(axis=1), 0.0)
    finite = np.isfinite(capacity)
    bound = float(best.sum() + (lam[finite] * capacity[finite]).sum() + (mu * budget if np.isfinite(budget) else 0.0))
    used = np.bincount(chosen[picked], minlength=k)
    spent = float(cost[chosen[picked]].sum())
    return Choice(chosen, objective, max(bound, objective), lam, mu, spent, used, rows, "highs (scipy)")


def _prices(
    worth: np.ndarray, cost: np.ndarray, capacity: np.ndarray, budget: float, seed: int = 0
) -> tuple[np.ndarray, float, int]:
    """λ per channel and μ per CNY: the LP's prices over a random sample, then cleared on every customer."""
    n, k = worth.shape
    finite = np.flatnonzero(np.isfinite(capacity))
    if not len(finite) and not np.isfinite(budget):
        return np.zeros(k), 0.0, 0
    rows = np.arange(n)
    if n > MAX_ROWS:  # the sample's capacities and budget are the whole's, scaled
        rows = np.sort(np.random.default_rng(seed).choice(n, MAX_ROWS, replace=False))
    share = len(rows) / n
    lam, mu = _lp_prices(worth[rows], cost, capacity * share, budget * share)
    if n > MAX_ROWS:
        lam, mu = _clear(worth, cost, capacity, budget, lam, mu)
    return lam, mu, len(rows)


def _lp_prices(worth: np.ndarray, cost: np.ndarray, capacity: np.ndarray, budget: float) -> tuple[np.ndarray, float]:
    k = worth.shape[1]
    finite = np.flatnonzero(np.isfinite(capacity))
    rows, cols = np.nonzero(np.isfinite(worth))
    v = worth[rows, cols]
    m = worth.shape[0]
    blocks = [sp.csr_matrix((np.ones(len(v)), (rows, np.arange(len(v)))), shape=(m, len(v)))]
    rhs = [np.ones(m)]
    for c in finite:
        blocks.append(sp.csr_matrix((cols == c).astype(float)[None, :]))
        rhs.append(np.array([capacity[c]]))
    if np.isfinite(budget):
        blocks.append(sp.csr_matrix(cost[cols][None, :]))
        rhs.append(np.array([budget]))
    lam, mu = np.zeros(k), 0.0
    if not len(v):
        return lam, mu
    res = _linprog(-v, sp.vstack(blocks).tocsr(), np.concatenate(rhs))
    if res.status == 0:
        duals = -np.asarray(res.ineqlin.marginals)
        lam[finite] = np.maximum(duals[m : m + len(finite)], 0.0)
        if np.isfinite(budget):
            mu = max(float(duals[-1]), 0.0)
    return lam, mu


def _demand(worth: np.ndarray, cost: np.ndarray, lam: np.ndarray, mu: float) -> tuple[np.ndarray, float]:
    """Customers per channel and the spend when every customer takes their best reduced value at these prices."""
    reduced = worth - lam[None, :] - mu * cost[None, :]
    best = reduced.argmax(axis=1)
    on = reduced[np.arange(len(best)), best] > 0
    counts = np.bincount(best[on], minlength=worth.shape[1])
    return counts, float((counts * cost).sum())


def _clear(
    worth: np.ndarray, cost: np.ndarray, capacity: np.ndarray, budget: float, lam: np.ndarray, mu: float
) -> tuple[np.ndarray, float]:
    """Prices that clear on the full data: each over-asked limit's price raised (by bisection) until it fits, a
    slack one's lowered, channel by channel and the budget last, a few rounds."""
    lam = lam.copy()
    top = float(np.nanmax(np.where(np.isfinite(worth), worth, np.nan))) + 1.0
    for _ in range(CLEAR_ROUNDS):
        for c in (int(i) for i in np.flatnonzero(np.isfinite(capacity))):

            def over(x: float, c: int = c, mu: float = mu) -> float:
                return float(_demand(worth, cost, _with(lam, c, x), mu)[0][c] - capacity[c])

            lam[c] = _bisect(over, lam[c], top)
        if np.isfinite(budget):
            top_mu = top / max(float(cost[cost > 0].min()) if (cost > 0).any() else 1.0, 1e-9)

            def spent(x: float) -> float:
                return _demand(worth, cost, lam, x)[1] - budget

            mu = _bisect(spent, mu, top_mu)
    return lam, mu


def _with(lam: np.ndarray, c: int, x: float) -> np.ndarray:
    out = lam.copy()
    out[c] = x
    return out


def _bisect(excess: Callable[[float], float], start: float, top: float) -> float:
    """The smallest price ≥ 0 near ``start`` at which ``excess`` (asked − available) is ≤ 0."""
    if excess(start) > 0:
        lo, hi = start, max(2 * start, 1e-6)
        while excess(hi) > 0 and hi < top:
            lo, hi = hi, min(hi * 4, top)
    else:
        if start <= 0 or excess(0.0) <= 0:
            return 0.0 if start <= 0 or excess(0.0) <= 0 else start
        lo, hi = 0.0, start
    for _ in range(BISECT_STEPS):
        mid = (lo + hi) / 2
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return hi


@one_thread
def _linprog(c: np.ndarray, a: sp.csr_matrix, b: np.ndarray) -> scipy.optimize.OptimizeResult:
    return scipy.optimize.linprog(c, A_ub=a, b_ub=b, bounds=(0, None), method="highs")


def _assign(
    worth: np.ndarray, cost: np.ndarray, capacity: np.ndarray, budget: float, lam: np.ndarray, mu: float
) -> np.ndarray:
    """Best reduced value per customer, trimmed to every limit, then the room left filled."""
    n, k = worth.shape
    reduced = worth - lam[None, :] - mu * cost[None, :]
    chosen = np.where(reduced.max(axis=1) > 0, reduced.argmax(axis=1), NONE)
    # Customers at a price of zero reduced value are as good as not chosen: keep the ones that fit, best first.
    score = np.where(chosen >= 0, reduced[np.arange(n), np.maximum(chosen, 0)], -np.inf)
    chosen = _trim(chosen, score, worth, cost, capacity, budget)
    tried = np.zeros((n, k), bool)
    tried[np.flatnonzero(chosen >= 0), chosen[chosen >= 0]] = True
    for _ in range(FILL_ROUNDS):
        used = np.bincount(chosen[chosen >= 0], minlength=k)
        room = capacity - used
        left = budget - float(cost[chosen[chosen >= 0]].sum()) if np.isfinite(budget) else np.inf
        if left <= 1e-9 and np.isfinite(budget):
            break
        waiting = np.flatnonzero(chosen < 0)
        if not len(waiting):
            break
        w = np.where(tried[waiting] | (room[None, :] < 1) | (cost[None, :] > left), -np.inf, worth[waiting])
        if not np.isfinite(w).any():
            break
        # Per CNY when the budget binds, per place otherwise.
        rank = w - mu * cost[None, :] if mu > 0 else w
        pick = rank.argmax(axis=1)
        has = np.isfinite(w[np.arange(len(waiting)), pick])
        cand, pick = waiting[has], pick[has]
        tried[cand, pick] = True
        trial = chosen.copy()
        trial[cand] = pick
        score = np.full(n, np.inf)  # the kept customers first, then the candidates by value
        score[cand] = worth[cand, pick]
        chosen = _trim(trial, score, worth, cost, capacity, budget)
    return chosen


def _trim(
    chosen: np.ndarray, score: np.ndarray, worth: np.ndarray, cost: np.ndarray, capacity: np.ndarray, budget: float
) -> np.ndarray:
    """Drop the lowest-scored customers of every over-full channel, then of the budget, until all fit."""
    chosen = chosen.copy()
    for c in np.flatnonzero(np.isfinite(capacity)):
        on = np.flatnonzero(chosen == c)
        cap = int(capacity[c])
        if len(on) > cap:
            order = on[np.lexsort((on, -score[on]))]
            chosen[order[cap:]] = NONE
    if np.isfinite(budget):
        on = np.flatnonzero(chosen >= 0)
        order = on[np.lexsort((on, -score[on]))]
        spend = np.cumsum(cost[chosen[order]])
        chosen[order[spend > budget + 1e-9]] = NONE
    return chosen
