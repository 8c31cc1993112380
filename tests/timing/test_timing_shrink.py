"""The empirical-Bayes pieces on their own: strengths and multipliers learnt from the cells."""

from __future__ import annotations

import numpy as np

from callwise.timing.shrink import KAPPA_BOUNDS, fit_beta_strength, grid_multiplier


def test_beta_strength_is_large_when_cells_differ_only_by_chance():
    rng = np.random.default_rng(0)
    n = np.full(200, 100)
    same = rng.binomial(n, 0.3)
    different = rng.binomial(n, rng.beta(3, 7, 200))  # true rates spread like Beta(3, 7): strength 10
    prior = np.full(200, 0.3)
    assert fit_beta_strength(n, same, prior) > 300  # the prior outweighs each cell's own 100 attempts
    assert 4 < fit_beta_strength(n, different, prior) < 25


def test_grid_multiplier_recovers_the_spread_and_the_mean():
    rng = np.random.default_rng(1)
    groups, per = 20_000, 8
    truth = rng.gamma(8.0, 1.2 / 8.0, groups)  # κ = 8, mean 1.2
    group = np.repeat(np.arange(groups), per)
    rate = rng.uniform(0.1, 0.5, len(group))
    answered = rng.random(len(group)) < np.minimum(truth[group] * rate, 0.99)
    mult, kappa, mean = grid_multiplier(group, rate, answered, groups + 5, fit_mean=True)
    assert 5 < kappa < 13 and abs(mean - 1.2) < 0.05
    assert np.all(mult[groups:] == mean)  # groups without attempts get the prior mean
    # Posterior means are closer to the truth than the prior mean is.
    assert np.abs(mult[:groups] - truth).mean() < np.abs(mean - truth).mean()


def test_grid_multiplier_without_differences_gives_everyone_the_mean():
    rng = np.random.default_rng(2)
    group = np.repeat(np.arange(5_000), 6)
    rate = rng.uniform(0.1, 0.5, len(group))
    answered = rng.random(len(group)) < rate
    mult, kappa, _ = grid_multiplier(group, rate, answered, 5_000)
    assert kappa > 50 and np.abs(mult - 1).max() < 0.3
    empty, kappa_empty, mean_empty = grid_multiplier(np.array([], int), np.array([]), np.array([], bool), 3)
    assert list(empty) == [1, 1, 1] and kappa_empty == KAPPA_BOUNDS[1] and mean_empty == 1
