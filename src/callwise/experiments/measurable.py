"""Can this control group show the lift a campaign can realistically have?

A control group is *measurable* only when its minimum detectable lift (relative to the expected base rate,
at the campaign's α and power) is at most the lift the campaign is meant to detect (``lift_to_detect``,
20% relative by default). A group that is too small is still held out, but the list says so plainly and
names the list and control sizes that would reach the target.
"""

from __future__ import annotations

from typing import Any, TypedDict

from callwise.experiments.design import ExperimentError
from callwise.experiments.power import detectable_lift, required_size


class Measurability(TypedDict):
    """Whether a control group can detect ``lift_to_detect``, and the list size it would need if not."""

    lift_measurable: bool
    lift_to_detect: float
    alpha: float
    power: float
    base_rate: float
    detectable_lift: dict[str, Any] | None  # callwise.experiments.detectable_lift, or {"error": why not}
    needed: dict[str, Any] | None


DEFAULT_LIFT_TO_DETECT = 0.2  # relative: 3% → 3.6%; a strong but believable effect of a well-targeted call


def measurability(
    n_total: int,
    n_control: int,
    base_rate: float,
    lift_to_detect: float = DEFAULT_LIFT_TO_DETECT,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Measurability:
    """The detectable lift of ``n_control`` held out of ``n_total``, whether it is small enough, and what is needed.

    ``detectable_lift`` is :func:`~callwise.experiments.power.detectable_lift` (or ``{"error": …}`` when the
    list is too small to test at all); ``needed`` is :func:`~callwise.experiments.power.required_size` for
    ``lift_to_detect`` at the same control share when the group is not measurable (None when it is, or when
    no size can reach it).
    """
    found: dict[str, Any] | None = None
    share = n_control / n_total if n_total else 0.0
    if n_control > 0 and 0 < base_rate < 1:
        try:
            found = detectable_lift(n_total, share, base_rate, alpha, power)
        except ExperimentError as exc:  # too small a list to test: say so instead of a number
            found = {"error": str(exc)}
    mde = None if found is None else found.get("mde_relative")
    measurable = mde is not None and mde <= lift_to_detect
    needed: dict[str, Any] | None = None
    absolute = lift_to_detect * base_rate
    if not measurable and 0 < share < 1 and 0 < base_rate < 1 and 0 < absolute < 1 - base_rate:
        need = required_size(absolute, share, base_rate, alpha, power)
        needed = {k: need[k] for k in ("list_size", "n_control", "n_treatment", "lift_relative")}
        needed["lift_absolute"] = round(absolute, 8)
    return {
        "lift_measurable": measurable,
        "lift_to_detect": lift_to_detect,
        "alpha": alpha,
        "power": power,
        "base_rate": round(float(base_rate), 8),
        "detectable_lift": found,
        "needed": needed,
    }
