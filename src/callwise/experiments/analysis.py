"""After the campaign: how much more did the called group convert than the control group, and how sure are we?

The interval for the difference of two rates is Newcombe's hybrid score interval (his method 10, built from
the two Wilson intervals): it stays inside [−1, 1] and keeps its coverage when conversions are few, where the
Wald interval (also offered) is too narrow. The p-value is the pooled two-proportion z-test's, the same test
the power calculation plans for.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from callwise.experiments.design import ExperimentError


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ExperimentError(f"{name} must be a whole number ≥ 0, got {value!r}")
    return int(value)


def wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for one rate."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def lift_with_ci(
    conv_treat: int,
    n_treat: int,
    conv_ctrl: int,
    n_ctrl: int,
    alpha: float = 0.05,
    method: Literal["newcombe", "wald"] = "newcombe",
) -> dict[str, Any]:
    """Absolute and relative lift of treatment over control, a (1 − α) interval for the absolute lift, and
    the two-sided p-value of 'no difference'."""
    conv_treat, n_treat = _count("conv_treat", conv_treat), _count("n_treat", n_treat)
    conv_ctrl, n_ctrl = _count("conv_ctrl", conv_ctrl), _count("n_ctrl", n_ctrl)
    for conv, n, group in ((conv_treat, n_treat, "treatment"), (conv_ctrl, n_ctrl, "control")):
        if n == 0:
            raise ExperimentError(f"the {group} group is empty; lift needs customers in both groups")
        if conv > n:
            raise ExperimentError(f"the {group} group has more conversions ({conv}) than customers ({n})")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ExperimentError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    if method not in ("newcombe", "wald"):
        raise ExperimentError(f"method must be 'newcombe' or 'wald', got {method!r}")
    p_t, p_c = conv_treat / n_treat, conv_ctrl / n_ctrl
    lift = p_t - p_c
    z = NormalDist().inv_cdf(1 - alpha / 2)
    if method == "newcombe":
        lo_t, hi_t = wilson_interval(conv_treat, n_treat, z)
        lo_c, hi_c = wilson_interval(conv_ctrl, n_ctrl, z)
        low = lift - math.sqrt((p_t - lo_t) ** 2 + (hi_c - p_c) ** 2)
        high = lift + math.sqrt((hi_t - p_t) ** 2 + (p_c - lo_c) ** 2)
    else:
        half = z * math.sqrt(p_t * (1 - p_t) / n_treat + p_c * (1 - p_c) / n_ctrl)
        low, high = max(-1.0, lift - half), min(1.0, lift + half)
    pooled = (conv_treat + conv_ctrl) / (n_treat + n_ctrl)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_treat + 1 / n_ctrl))
    z_stat = lift / se0 if se0 > 0 else 0.0  # no conversions at all (or all converted): no evidence either way
    p_value = math.erfc(abs(z_stat) / math.sqrt(2))  # two-sided normal tail, exact far into the tail
    return {
        "treatment_rate": p_t,
        "control_rate": p_c,
        "lift_absolute": lift,
        "lift_relative": lift / p_c if p_c > 0 else None,
        "ci_low": low,
        "ci_high": high,
        "ci_method": method,
        "alpha": float(alpha),
        "z": z_stat,
        "p_value": p_value,
        "significant": p_value < alpha,
        "n_treat": n_treat,
        "n_ctrl": n_ctrl,
        "conv_treat": conv_treat,
        "conv_ctrl": conv_ctrl,
    }
