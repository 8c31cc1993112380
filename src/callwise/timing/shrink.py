"""Empirical-Bayes shrinkage: how far to trust a cell's own counts, learned from all the cells at once.

Two priors, each with one strength fitted by maximising the marginal likelihood over all the cells:

- beta-binomial for answer *rates* of time cells (a segment's Tuesday-evening rate): prior mean from the
  coarser level, strength ``s`` in pseudo-attempts; posterior rate ``(answered + s·m) / (attempts + s)``.
- a Gamma(κ, κ/μ) prior on a *multiplier* of the segment rates (a customer's propensity), with the exact
  Bernoulli likelihood integrated on a grid. A customer's few attempts fall in slots with different
  rates, so only the multiplier is comparable across customers; and with rates of 0.3–0.5 a Poisson
  (gamma-Poisson) approximation overstates chance variation so much that it finds no customer differences.

A large fitted strength means the cells barely differ beyond chance, so the coarser level is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import minimize, minimize_scalar
from scipy.special import betaln, logsumexp

LOG_STRENGTH_BOUNDS = (np.log(1e-2), np.log(1e7))
RATE_FLOOR = 1e-4
RATE_CAP = 0.99


def fit_beta_strength(attempts: np.ndarray, answered: np.ndarray, prior_mean: np.ndarray) -> float:
    """Beta prior strength ``s`` maximising Σ log BetaBinomial(answered | attempts, s·m, s·(1−m))."""
    keep = attempts > 0
    n, y = attempts[keep].astype(float), answered[keep].astype(float)
    m = np.clip(prior_mean[keep], 1e-6, 1 - 1e-6)
    if len(n) < 2:  # one cell cannot tell chance from real difference: keep the prior
        return float(np.exp(LOG_STRENGTH_BOUNDS[1]))

    def neg_loglik(log_s: float) -> float:
        s = np.exp(log_s)
        a, b = s * m, s * (1 - m)
        return -float(np.sum(betaln(y + a, n - y + b) - betaln(a, b)))

    return float(np.exp(minimize_scalar(neg_loglik, bounds=LOG_STRENGTH_BOUNDS, method="bounded").x))


def shrink_profiles(
    attempts: np.ndarray, answered: np.ndarray, prior: np.ndarray, levels: tuple[np.ndarray, ...], legal: np.ndarray
) -> tuple[np.ndarray, list[float]]:
    """Groups' hour-of-week rates (G × 168), moved from ``prior`` towards their counts one time level at a time.

    At each level the rates of the cells so far are the prior means; a cell's posterior rate over its prior
    rate scales every slot in the cell, so the finer level starts from the coarser answer. Returns the
    profiles (0 outside legal hours) and the fitted strength per level.
    """
    p = np.where(legal, np.clip(prior, RATE_FLOOR, RATE_CAP), 0.0)
    n = np.where(legal, attempts, 0).astype(float)
    y = np.where(legal, answered, 0).astype(float)
    strengths = []
    for cell in levels:
        onehot = np.zeros((len(cell), int(cell.max()) + 1))
        onehot[np.arange(len(cell)), cell] = 1.0
        cell_n, cell_y, cell_e = n @ onehot, y @ onehot, (n * p) @ onehot
        has = cell_n > 0
        m = np.divide(cell_e, cell_n, out=np.zeros_like(cell_e), where=has)
        s = fit_beta_strength(cell_n[has], cell_y[has], m[has])
        ratio = np.ones_like(cell_n)
        ratio[has] = (cell_y[has] + s * m[has]) / ((cell_n[has] + s) * np.maximum(m[has], 1e-12))
        p = np.where(legal, np.clip(p * ratio[:, cell], RATE_FLOOR, RATE_CAP), 0.0)
        strengths.append(s)
    return p, strengths


def grid_multiplier(
    group: np.ndarray,
    rate: np.ndarray,
    answered: np.ndarray,
    n_groups: int,
    cap: float = RATE_CAP,
    fit_mean: bool = False,
) -> tuple[np.ndarray, float, float]:
    """Posterior mean multiplier per group (e.g. customer), the fitted gamma shape κ and prior mean μ.

    Model: a group's attempts answer with p = min(multiplier × rate, cap); multiplier ~ Gamma(κ, κ/μ), mean
    μ (1 unless ``fit_mean``). The exact Bernoulli likelihood is integrated over a fixed grid of
    multipliers, so κ is found even when each customer has only a handful of attempts (a Poisson
    approximation hides that variance when rates are 0.3–0.5). κ and μ are fitted on at most ``EB_SAMPLE``
    groups; posteriors are computed in blocks. Groups without attempts get the prior mean μ.
    """
    out = np.ones(n_groups)
    if len(group) == 0:
        return out, KAPPA_BOUNDS[1], 1.0
    local, ids = pd.factorize(group)  # groups with attempts, in order of first appearance
    counts = _attempt_counts(local, len(ids), rate, np.asarray(answered, dtype=bool))
    table = _loglik_table(cap)
    picked = np.arange(len(ids))
    if len(ids) > EB_SAMPLE:  # a fixed, seeded sample: the same data give the same κ
        picked = np.sort(np.random.default_rng(0).choice(len(ids), EB_SAMPLE, replace=False))
    kappa, mean = _fit_grid_prior(counts[picked] @ table, fit_mean)
    out[:] = mean
    if kappa >= KAPPA_BOUNDS[1] * 0.99:  # no difference between groups beyond chance: all get the mean
        return out, kappa, mean
    log_prior = _log_prior(kappa, mean)
    for first in range(0, len(ids), BLOCK_GROUPS):
        block = slice(first, first + BLOCK_GROUPS)
        ll = counts[block] @ table + log_prior
        ll -= ll.max(axis=1, keepdims=True)
        weight = np.exp(ll, out=ll)
        out[ids[block]] = (weight @ GRID) / weight.sum(axis=1)
    return out, kappa, mean


# Multipliers the customer level can take: 0.03–6 on a log scale (steps of ~18%), with 1 exactly on the grid.
GRID = np.unique(np.append(np.exp(np.linspace(np.log(0.03), np.log(6.0), 32)), 1.0))
KAPPA_BOUNDS = (0.1, 1e5)
MEAN_BOUNDS = (0.5, 2.0)
EB_SAMPLE = 100_000
BLOCK_GROUPS = 250_000
# Rates are binned on a log scale from RATE_FLOOR to 1 (4,096 bins: within 0.12% of the true rate), so the
# likelihood of every group at every grid point is one sparse product instead of a pass per grid point.
RATE_BINS = 4_096
_LOG_LOW = np.log(RATE_FLOOR)


def _rate_bins() -> np.ndarray:
    return np.exp(np.linspace(_LOG_LOW, 0.0, RATE_BINS))


def _attempt_counts(local: np.ndarray, n: int, rate: np.ndarray, answered: np.ndarray) -> sparse.csr_matrix:
    """Groups × (rate bin, answered?) counts of attempts."""
    step = -_LOG_LOW / (RATE_BINS - 1)
    level = np.rint((np.log(np.clip(rate, RATE_FLOOR, 1.0)) - _LOG_LOW) / step).astype(np.int64)
    column = level + RATE_BINS * answered
    ones = np.ones(len(local))
    return sparse.csr_matrix((ones, (local, column)), shape=(n, 2 * RATE_BINS))


def _loglik_table(cap: float) -> np.ndarray:
    """log p(outcome | rate bin, grid multiplier): rows unanswered bins then answered bins, columns the grid."""
    p = np.minimum(_rate_bins()[:, None] * GRID[None, :], cap)
    return np.vstack([np.log1p(-p), np.log(p)])


def _log_prior(kappa: float, mean: float = 1.0) -> np.ndarray:
    """Gamma(κ, κ/μ) mass at each grid point (a log-spaced grid: density × multiplier), normalised."""
    log_w = kappa * np.log(GRID) - (kappa / mean) * GRID
    return log_w - logsumexp(log_w)


def _fit_grid_prior(ll: np.ndarray, fit_mean: bool) -> tuple[float, float]:
    """κ (and μ) maximising the marginal likelihood Σ_groups log Σ_grid prior × likelihood."""
    if len(ll) < 2:
        return KAPPA_BOUNDS[1], 1.0

    likelihood = np.exp(ll - ll.max(axis=1, keepdims=True))  # groups × grid, each group up to a factor

    def neg_marginal(x: np.ndarray) -> float:
        prior = np.exp(_log_prior(np.exp(x[0]), np.exp(x[1])))
        return -float(np.log(likelihood @ prior).sum())

    log_k = (np.log(KAPPA_BOUNDS[0]), np.log(KAPPA_BOUNDS[1]))
    if not fit_mean:
        found = minimize_scalar(lambda x: neg_marginal(np.array([x, 0.0])), bounds=log_k, method="bounded")
        return float(np.exp(found.x)), 1.0
    bounds = [log_k, (np.log(MEAN_BOUNDS[0]), np.log(MEAN_BOUNDS[1]))]
    found = minimize(neg_marginal, np.array([np.log(10.0), 0.0]), method="L-BFGS-B", bounds=bounds)
    return float(np.exp(found.x[0])), float(np.exp(found.x[1]))
