"""Before launch: what lift can this list detect, and how big must a list be to detect a given lift?

The test is the two-proportion z-test of treatment against control with unequal group sizes. Under the null
the statistic uses the pooled rate; under the alternative its spread is the unpooled one, so

    power(δ) = Φ((δ − z·SE₀) / SE₁)  [+ Φ((−δ − z·SE₀) / SE₁) when two-sided]
    SE₀ = √(p̄(1−p̄)(1/n_t + 1/n_c)),  SE₁ = √(p_t(1−p_t)/n_t + p_c(1−p_c)/n_c),  p̄ = (n_t·p_t + n_c·p_c)/n

with p_c the base rate and p_t = p_c + δ. The minimum detectable effect (MDE) is the smallest δ whose power
reaches the target, found by root-finding on this function — not the textbook shortcut that puts p_c's
variance in both groups, which understates the MDE a little when the lift is large.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats

from callwise.experiments.design import ExperimentError

TRADEOFF_SHARES = (0.05, 0.1, 0.2, 0.5)
MIN_EXPECTED = 10  # conversions (and non-conversions) per group for the normal approximation to hold
MIN_TESTABLE = 5  # below this many expected conversions in a group, no z-test on the list means anything
_EPS = 1e-12


def _check_open(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ExperimentError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _check_test(alpha: float, power: float) -> None:
    _check_open("alpha", alpha)
    _check_open("power", power)
    if power <= alpha:
        raise ExperimentError(f"power ({power}) must be larger than alpha ({alpha}); any test has power α at no lift")


def _critical(alpha: float, two_sided: bool) -> float:
    return float(stats.norm.isf(alpha / 2 if two_sided else alpha))


def group_sizes(list_size: int, control_share: float) -> tuple[int, int]:
    """(control, treatment) customers for a list: control = share × size rounded half up, as in assignment."""
    n_control = math.floor(list_size * control_share + 0.5)
    return n_control, list_size - n_control


def power_of(
    lift: float | np.ndarray,
    n_control: float,
    n_treatment: float,
    base_rate: float,
    alpha: float = 0.05,
    two_sided: bool = True,
) -> float | np.ndarray:
    """Probability that the z-test rejects 'no difference' when treatment converts ``lift`` above control."""
    p_c = base_rate
    p_t = base_rate + np.asarray(lift, dtype=np.float64)
    pooled = (n_treatment * p_t + n_control * p_c) / (n_treatment + n_control)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_treatment + 1 / n_control))
    se1 = np.sqrt(p_t * (1 - p_t) / n_treatment + p_c * (1 - p_c) / n_control)
    z = _critical(alpha, two_sided)
    delta = p_t - p_c
    result = stats.norm.cdf((delta - z * se0) / se1)
    if two_sided:
        result = result + stats.norm.cdf((-delta - z * se0) / se1)
    return float(result) if np.ndim(result) == 0 else result


def _mde(n_control: float, n_treatment: float, base_rate: float, alpha: float, power: float, two_sided: bool):
    """Smallest absolute lift with the target power, or None when even p_t → 1 does not reach it."""
    if n_control <= 0 or n_treatment <= 0:
        return None
    top = (1 - base_rate) * (1 - 1e-9)
    grid = np.geomspace(_EPS, top, 400)  # find the first crossing, then refine it: the smallest root
    reached = np.flatnonzero(power_of(grid, n_control, n_treatment, base_rate, alpha, two_sided) >= power)
    if len(reached) == 0:
        return None
    i = int(reached[0])
    if i == 0:
        return float(grid[0])

    def gap(d: float) -> float:
        return float(power_of(d, n_control, n_treatment, base_rate, alpha, two_sided)) - power

    return float(optimize.brentq(gap, grid[i - 1], grid[i], xtol=1e-14, rtol=1e-12))


def detectable_lift(
    n_total: int,
    control_share: float,
    base_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
) -> dict[str, Any]:
    """The minimum detectable lift of treatment over control for a list, and what the control share costs.

    Returns the MDE (absolute, and relative to the base rate), the group sizes, the expected conversions in
    each group, the MDE at other control shares (calls not placed against precision) and the control share
    that would minimise the MDE (about 0.5).
    """
    n_total = _check_size(n_total)
    share = _check_open("control_share", control_share)
    base_rate = _check_open("base_rate", base_rate)
    _check_test(alpha, power)
    n_control, n_treatment = group_sizes(n_total, share)
    if n_control < 1 or n_treatment < 1:
        raise ExperimentError(
            f"a list of {n_total} with control share {share} leaves a group empty "
            f"({n_control} control, {n_treatment} treatment); use a larger list"
        )
    expected = _smaller_expected(n_control, n_treatment, base_rate)
    if expected < MIN_TESTABLE:
        raise ExperimentError(
            f"a list of {n_total} is too small to test: its smaller group expects only {expected:.3g} "
            f"{'conversions' if base_rate <= 0.5 else 'non-conversions'} at base rate {base_rate} "
            f"(at least {MIN_TESTABLE} are needed); use a larger list or a larger control share"
        )
    mde = _mde(n_control, n_treatment, base_rate, alpha, power, two_sided)
    if mde is None:
        raise ExperimentError(
            f"a list of {n_total} ({n_control} control) is too small to reach power {power} "
            f"at base rate {base_rate} for any lift; use a larger list or a larger control share"
        )
    optimum = optimal_control_share(n_total, base_rate, alpha, power, two_sided)
    return {
        "list_size": n_total,
        "control_share": share,
        "n_control": n_control,
        "n_treatment": n_treatment,
        "base_rate": base_rate,
        "alpha": alpha,
        "power": power,
        "two_sided": two_sided,
        "mde_absolute": _r(mde),
        "mde_relative": _r(mde / base_rate),
        "treatment_rate_at_mde": _r(base_rate + mde),
        "expected_conversions": {
            "control": _r(n_control * base_rate),
            "treatment_without_lift": _r(n_treatment * base_rate),
            "treatment_at_mde": _r(n_treatment * (base_rate + mde)),
        },
        "calls_not_placed": n_control,
        "normal_approximation_ok": _approximation_ok(n_control, n_treatment, base_rate),
        "tradeoff": control_share_tradeoff(n_total, base_rate, alpha, power, two_sided, extra=share),
        "optimal_control_share": optimum,
    }


def control_share_tradeoff(
    n_total: int,
    base_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
    shares: tuple[float, ...] = TRADEOFF_SHARES,
    extra: float | None = None,
) -> list[dict[str, Any]]:
    """MDE at several control shares: each row is a choice between calls placed and precision."""
    rows = []
    for share in sorted({*shares, *([extra] if extra is not None else [])}):
        n_control, n_treatment = group_sizes(n_total, share)
        testable = _smaller_expected(n_control, n_treatment, base_rate) >= MIN_TESTABLE
        mde = _mde(n_control, n_treatment, base_rate, alpha, power, two_sided) if testable else None
        rows.append(
            {
                "control_share": share,
                "n_control": n_control,
                "n_treatment": n_treatment,
                "mde_absolute": None if mde is None else _r(mde),
                "mde_relative": None if mde is None else _r(mde / base_rate),
            }
        )
    return rows


def optimal_control_share(
    n_total: int, base_rate: float, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True
) -> float:
    """The control share with the smallest MDE: close to 0.5 (a little below, since treatment's rate is higher)."""

    def mde_at(share: float) -> float:
        found = _mde(share * n_total, (1 - share) * n_total, base_rate, alpha, power, two_sided)
        return 1.0 if found is None else found

    best = optimize.minimize_scalar(mde_at, bounds=(0.01, 0.99), method="bounded", options={"xatol": 1e-4})
    return round(float(best.x), 3)


def required_size(
    lift: float,
    control_share: float,
    base_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
) -> dict[str, Any]:
    """The smallest list (control + treatment) whose test detects an absolute ``lift`` with the target power."""
    share = _check_open("control_share", control_share)
    base_rate = _check_open("base_rate", base_rate)
    _check_test(alpha, power)
    if isinstance(lift, bool) or not isinstance(lift, int | float) or not 0 < lift < 1 - base_rate:
        raise ExperimentError(
            f"lift must be an absolute lift above 0 and below 1 − base rate ({1 - base_rate:.6g}), got {lift!r}"
        )

    def gap(size: float) -> float:
        return float(power_of(lift, share * size, (1 - share) * size, base_rate, alpha, two_sided)) - power

    high = 4.0
    while gap(high) < 0:
        high *= 2
        if high > 1e13:
            raise ExperimentError(f"no list size reaches power {power} for lift {lift}")
    size = max(2, math.ceil(optimize.brentq(gap, high / 2 if high > 4 else 1e-6, high, xtol=1e-6)))

    def achieved(n: int) -> float:
        n_control, n_treatment = group_sizes(n, share)
        if n_control < 1 or n_treatment < 1:
            return 0.0
        return float(power_of(lift, n_control, n_treatment, base_rate, alpha, two_sided))

    while achieved(size) < power:  # rounding the control group to whole customers can cost a little power
        size += 1
    while size > 2 and achieved(size - 1) >= power:
        size -= 1
    n_control, n_treatment = group_sizes(size, share)
    return {
        "lift_absolute": float(lift),
        "lift_relative": _r(lift / base_rate),
        "control_share": share,
        "base_rate": base_rate,
        "alpha": alpha,
        "power": power,
        "two_sided": two_sided,
        "list_size": size,
        "n_control": n_control,
        "n_treatment": n_treatment,
        "achieved_power": _r(achieved(size)),
        "normal_approximation_ok": _approximation_ok(n_control, n_treatment, base_rate),
    }


def _check_size(n_total: int) -> int:
    if isinstance(n_total, bool) or not isinstance(n_total, int | np.integer) or n_total < 2:
        raise ExperimentError(f"list size must be a whole number of at least 2 customers, got {n_total!r}")
    return int(n_total)


def _smaller_expected(n_control: int, n_treatment: int, base_rate: float) -> float:
    """Expected conversions (or non-conversions, if rarer) in the smaller group at the base rate."""
    return min(n_control, n_treatment) * min(base_rate, 1 - base_rate)


def _approximation_ok(n_control: int, n_treatment: int, base_rate: float) -> bool:
    return _smaller_expected(n_control, n_treatment, base_rate) >= MIN_EXPECTED


def _r(x: float) -> float:
    return round(float(x), 8)
