"""Daily looks a campaign manager may take as often as she likes: a mixture SPRT on the arrival of conversions.

Each day ``d = 0 … window − 1`` some members convert for the first time (``conversion_day`` in ``[d, d + 1)``).
Call ``n_T(d)``, ``n_C(d)`` the treatment and control members who had not converted before day ``d`` (the at-risk
sets, shrinking as members convert) and ``k(d)`` the day's conversions, ``x(d)`` of them from treatment.

**The null, and why the test is exact.** Under H0 — the calls change nothing for anyone (every member would
convert on the same day, or not at all, whatever the group) — and random assignment, the labels of the members
still at risk are a uniformly random split of them into ``n_T(d)`` and ``n_C(d)``, whatever happened before. So,
given the past and the day's ``k(d)``, ``x(d)`` is hypergeometric. A day is one batch: the day's ties are counted
exactly, not broken. No model of when people convert is needed, nor that members are alike.

**The alternative.** If treatment multiplies the odds of converting on a day among those still at risk by ``ψ``
(a discrete-time proportional-odds model; for daily rates of a few per mille it is the hazard ratio), ``x(d)``
follows Fisher's noncentral hypergeometric law with odds ``ψ``. Its ratio to the central law, multiplied over the
days, is a nonnegative martingale under H0 for every ``ψ``; so is its mixture over a prior on ``log ψ``. The prior
here is a normal with standard deviation ``prior_scale``, truncated at four standard deviations and put on a grid
of step 0.01: that discrete prior *is* the prior, so no quadrature error touches validity. By Ville's inequality
the chance that the mixture ratio ``Λ`` EVER reaches ``1/α`` under H0 is at most ``α``, however many looks are
taken and whenever one stops. The always-valid p-value is ``min(1, 1 / max_{s ≤ d} Λ_s)``: nonincreasing, and
``P(p_d ≤ α for some d) ≤ α`` under H0.

**The confidence sequence** is the same test inverted over a grid of hazard ratios ``ψ0`` (log ψ0 in [−3, 3],
step 0.01), each with the prior centred at ``log ψ0``, and intersected over the days. It covers the true ``ψ`` at
every day at once with probability ≥ 1 − α *under the proportional-odds model with members alike within a group*;
with members who differ (they do) it is an approximation. The test of ``ψ = 1`` needs no model at all, and the
sequence excludes 1 exactly when the test has shown an effect. The bounds are ``None`` where the set reaches the
end of the grid (unbounded in that direction as far as the data can tell); ``cs_empty`` marks a day where no
hazard ratio on the grid is left (probability ≤ α; the model is then in doubt).

**What it is not.** It says whether the calls changed the *timing-or-occurrence* of conversions within the days
looked at, and by how much in daily odds; the headline incremental conversions and revenue (with their fixed-
horizon intervals) are read once at the end of the window, in ``callwise.results.effect``. The naive two-
proportion z-test on the conversions so far, repeated daily, is returned beside it to show why it may not be
watched: repeated 30 times it raises false alarms well above α (see ``benchmarks/results_daily_looks.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import gammaln

from callwise.results._seq_input import (
    ResultsError,
    as_float,
    check_alpha,
    columns,
    converted_flags,
    is_treatment,
    whole,
)

__all__ = ["DailyCounts", "ResultsError", "always_valid", "always_valid_counts", "daily_counts"]

GRID_STEP = 0.01  # log hazard ratio
CANDIDATE_LIMIT = 3.0  # the confidence sequence searches log ψ0 in [−3, 3] (ψ0 from 0.05 to 20)
PRIOR_SPAN = 4.0  # the normal prior is cut at ± 4 standard deviations
MAX_PRIOR_SCALE = 1.0
DEFAULT_PRIOR_SCALE = 0.25  # a prior sd of 0.25 on log ψ: effects of ±10–50 % are the plausible ones
_LOG_CAP = 700.0  # exp() of more overflows a float; Λ is reported as exp(min(log Λ, 700))


@dataclass(frozen=True)
class DailyCounts:
    """Per day: the members at risk at its start and the day's first conversions, by group."""

    at_risk_treatment: np.ndarray
    at_risk_control: np.ndarray
    conversions_treatment: np.ndarray
    conversions_control: np.ndarray
    n_treatment: int
    n_control: int


def daily_counts(treated: np.ndarray, conversion_day: np.ndarray, window_days: int) -> DailyCounts:
    """Count each day's conversions by group from the members' groups and first-conversion days (NaN: none).

    A conversion on day ``window_days`` or later is beyond the looks and counts as none.
    """
    treated = np.asarray(treated, dtype=bool)
    day = np.asarray(conversion_day, dtype=float)
    inside = np.isfinite(day) & (day < window_days)
    index = np.floor(day[inside]).astype(np.int64)
    conv_t = np.bincount(index[treated[inside]], minlength=window_days)[:window_days]
    conv_c = np.bincount(index[~treated[inside]], minlength=window_days)[:window_days]
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    before_t = np.concatenate(([0], np.cumsum(conv_t)[:-1]))
    before_c = np.concatenate(([0], np.cumsum(conv_c)[:-1]))
    return DailyCounts(n_t - before_t, n_c - before_c, conv_t, conv_c, n_t, n_c)


def _log_choose(n: np.ndarray | int, k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, dtype=float)
    n_arr = np.broadcast_to(np.asarray(n, dtype=float), k.shape)
    out = np.full(k.shape, -np.inf)
    ok = (k >= 0) & (k <= n_arr)
    out[ok] = gammaln(n_arr[ok] + 1) - gammaln(k[ok] + 1) - gammaln(n_arr[ok] - k[ok] + 1)
    return out


def logsumexp(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    """log Σ exp(values) along ``axis``, without overflow (−inf where every term is −inf)."""
    values = np.asarray(values, dtype=float)
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(values - top), axis=axis, keepdims=True)) + top
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _daily_log_ratios(counts: DailyCounts, log_psi: np.ndarray) -> np.ndarray:
    """(days × grid): log of the noncentral over the central hypergeometric probability of each day's split."""
    days = len(counts.conversions_treatment)
    out = np.zeros((days, len(log_psi)))
    for d in np.flatnonzero((counts.conversions_treatment + counts.conversions_control) > 0):  # days, not rows
        n_t, n_c = int(counts.at_risk_treatment[d]), int(counts.at_risk_control[d])
        x_obs = int(counts.conversions_treatment[d])
        k = x_obs + int(counts.conversions_control[d])
        x = np.arange(max(0, k - n_c), min(k, n_t) + 1)
        log_c = _log_choose(n_t, x) + _log_choose(n_c, k - x)  # central weights of each possible split
        log_norm = logsumexp(log_c[:, None] + x[:, None] * log_psi[None, :], axis=0)
        out[d] = x_obs * log_psi - log_norm + logsumexp(log_c)
    return out


def _prior(prior_scale: float) -> tuple[int, np.ndarray]:
    """Half-width (in grid steps) and log weights of the discretised normal prior on log ψ."""
    half = math.ceil(PRIOR_SPAN * prior_scale / GRID_STEP)
    offsets = np.arange(-half, half + 1) * GRID_STEP
    log_w = -0.5 * (offsets / prior_scale) ** 2
    return half, log_w - logsumexp(log_w)


def always_valid_counts(
    counts: DailyCounts,
    alpha: float = 0.05,
    prior_scale: float = DEFAULT_PRIOR_SCALE,
    confidence: bool = True,
) -> dict[str, Any]:
    """``always_valid`` from the daily counts (what the benchmark feeds thousands of simulated campaigns)."""
    alpha = check_alpha(alpha)
    if (
        isinstance(prior_scale, bool)
        or not isinstance(prior_scale, int | float)
        or not 0 < prior_scale <= MAX_PRIOR_SCALE
    ):
        raise ResultsError("results_seq.bad_prior_scale", value=repr(prior_scale), limit=MAX_PRIOR_SCALE)
    for size, group in ((counts.n_treatment, "treatment"), (counts.n_control, "control")):
        if size == 0:
            raise ResultsError("results_seq.no_group", group=group)
    half, log_w = _prior(float(prior_scale))
    candidates = round(CANDIDATE_LIMIT / GRID_STEP) if confidence else 0
    steps = np.arange(-(candidates + half), candidates + half + 1)
    log_psi = steps * GRID_STEP
    log_lik = np.cumsum(_daily_log_ratios(counts, log_psi), axis=0)  # (days × grid), against ψ = 1
    days = log_lik.shape[0]
    threshold = math.log(1 / alpha)

    # The test of ψ = 1: the prior centred at 0, i.e. the middle 2·half + 1 grid points.
    middle = slice(candidates, candidates + 2 * half + 1)
    log_lr = logsumexp(log_lik[:, middle] + log_w[None, :], axis=1)
    running = np.maximum.accumulate(log_lr)
    p_value = np.minimum(1.0, np.exp(-running))
    shown = running >= threshold
    first = int(np.argmax(shown)) if shown.any() else None

    cs_low: list[float | None] = []
    cs_high: list[float | None] = []
    cs_empty: list[bool] = []
    estimate: list[float | None] = []
    if confidence:
        inside = np.ones(2 * candidates + 1, dtype=bool)
        for d in range(days):
            windows = sliding_window_view(log_lik[d], 2 * half + 1)  # (candidates, prior points)
            log_lr_each = logsumexp(windows + log_w[None, :], axis=1) - log_lik[d, half : half + 2 * candidates + 1]
            inside &= log_lr_each < threshold
            kept = np.flatnonzero(inside)
            cs_empty.append(kept.size == 0)
            if kept.size == 0:  # happens with probability ≤ α: no hazard ratio on the grid is consistent
                cs_low.append(None)
                cs_high.append(None)
            else:
                low, high = kept[0], kept[-1]
                cs_low.append(None if low == 0 else math.exp((low - candidates) * GRID_STEP))
                cs_high.append(None if high == 2 * candidates else math.exp((high - candidates) * GRID_STEP))
            part = log_lik[d, half : half + 2 * candidates + 1]
            best = int(np.argmax(part))
            flat = float(part.max() - part.min()) < 1e-12
            edge = best in (0, 2 * candidates)
            estimate.append(None if flat or edge else math.exp((best - candidates) * GRID_STEP))

    # The naive fixed-horizon test, repeated: pooled two-proportion z on the cumulative conversions so far.
    cum_t = np.cumsum(counts.conversions_treatment)
    cum_c = np.cumsum(counts.conversions_control)
    n_t, n_c = counts.n_treatment, counts.n_control
    rate_t, rate_c = cum_t / n_t, cum_c / n_c
    pooled = (cum_t + cum_c) / (n_t + n_c)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    z = np.divide(rate_t - rate_c, se0, out=np.zeros(days), where=se0 > 0)
    naive_p = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z]) if days else np.zeros(0)
    naive_hit = naive_p < alpha
    naive_first = int(np.argmax(naive_hit)) if naive_hit.any() else None

    last = days - 1
    daily: dict[str, list[Any]] = {
        "day": list(range(days)),
        "at_risk_treatment": [int(v) for v in counts.at_risk_treatment],
        "at_risk_control": [int(v) for v in counts.at_risk_control],
        "conversions_treatment": [int(v) for v in counts.conversions_treatment],
        "conversions_control": [int(v) for v in counts.conversions_control],
        "log_likelihood_ratio": [float(v) for v in log_lr],
        "likelihood_ratio": [math.exp(min(float(v), _LOG_CAP)) for v in log_lr],
        "p_value": [float(v) for v in p_value],
        "effect_shown": [bool(v) for v in shown],
        "hazard_ratio": estimate,
        "cs_low": cs_low,
        "cs_high": cs_high,
        "cs_empty": cs_empty,
        "naive_z": [float(v) for v in z],
        "naive_p_value": [float(v) for v in naive_p],
        "naive_significant": [bool(v) for v in naive_hit],
    }
    return {
        "method": "mixture_sprt_hypergeometric",
        "alpha": alpha,
        "prior_scale": float(prior_scale),
        "window_days": days,
        "n_treatment": n_t,
        "n_control": n_c,
        "conversions_treatment": int(cum_t[last]) if days else 0,
        "conversions_control": int(cum_c[last]) if days else 0,
        "likelihood_ratio": daily["likelihood_ratio"][last],
        "p_value": daily["p_value"][last],
        "effect_shown": bool(shown[last]),
        "first_day_shown": first,
        "hazard_ratio": estimate[last] if confidence else None,
        "cs_low": cs_low[last] if confidence else None,
        "cs_high": cs_high[last] if confidence else None,
        "naive_first_day_significant": naive_first,
        "daily": daily,
    }


def always_valid(
    frame: Any,
    alpha: float = 0.05,
    window_days: int | None = None,
    prior_scale: float = DEFAULT_PRIOR_SCALE,
) -> dict[str, Any]:
    """The daily path of the mixture SPRT of 'the calls changed nothing' on a campaign's member frame.

    ``frame``: the per-member frame (or a mapping of arrays) with ``group`` and ``conversion_day`` (and
    ``converted``, checked against it when present). ``window_days``: the number of daily looks (days 0 …
    window_days − 1); by default up to the day of the last conversion seen. Returns, per day, the mixture
    likelihood ratio, the always-valid p-value, whether the effect is shown, the hazard-ratio estimate and
    confidence sequence, and the naive repeated z-test beside them; and the same at the last day, with the day
    the evidence first held (``first_day_shown``, None: not yet). See the module docstring for what each is
    valid for.
    """
    data = columns(frame, ("group", "conversion_day"), optional=("converted",))
    treated = is_treatment(data["group"])
    day = as_float(data["conversion_day"])
    raw = data["conversion_day"]
    missing = pd.isna(pd.Series(raw, dtype=object)).to_numpy(dtype=bool)  # None, NaN, pandas NA: no conversion
    bad = ~missing & (~np.isfinite(day) | (day < 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ResultsError("results_seq.bad_day", row=row + 1, value=repr(raw[row]))
    if "converted" in data:
        flags = converted_flags(data["converted"])
        clash = (flags == 1) != np.isfinite(day)
        if clash.any():
            row = int(np.flatnonzero(clash)[0])
            raise ResultsError("results_seq.day_mismatch", row=row + 1, converted=int(flags[row]), day=repr(raw[row]))
    if window_days is None:
        seen = day[np.isfinite(day)]
        window = math.floor(seen.max()) + 1 if seen.size else 1
    else:
        window = whole(window_days, "results_seq.bad_window", 1)
    return always_valid_counts(daily_counts(treated, day, window), alpha=alpha, prior_scale=prior_scale)
