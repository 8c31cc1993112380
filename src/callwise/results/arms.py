"""Script arms: each against control and against each other, Holm-corrected; and the next list's shares.

``compare_arms`` tests one family: every arm against control (the lift and its Newcombe interval from
``callwise.experiments.analysis.lift_with_ci``, the pooled two-proportion z p-value) and every pair of arms (the
same pooled z-test). Holm's step-down correction runs over the whole family, so the chance of any false claim among
all of them — "arm B beats control", "arm A beats arm C" — stays at most α. The intervals are each at level
1 − α, not adjusted. A winner is named only when the arm with the best rate beats *every* other arm after Holm;
otherwise ``winner`` is None and ``winner_reason`` says why (a catalogue key, with its values).

``thompson_shares`` proposes how the next list splits its called part among the arms: each arm's conversion rate
gets a Beta(1 + conversions, 1 + members − conversions) posterior, the share is the posterior probability that the
arm is best (estimated from ``draws`` joint draws), mixed with a floor so no arm starves and the comparison can
go on. The control share is fixed by the campaign and returned as it is. Same frame and seed → same shares.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from callwise.experiments.analysis import lift_with_ci
from callwise.results._seq_input import (
    ResultsError,
    check_alpha,
    columns,
    converted_flags,
    is_treatment,
    named,
    whole,
)

__all__ = ["ResultsError", "compare_arms", "holm", "thompson_shares"]

CONTROL_KEY = "control"


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given): p_(i) · (m − i + 1), running max, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def _arm_counts(frame: Any) -> tuple[list[str], np.ndarray, np.ndarray, int, int]:
    """Arms (sorted), their members and conversions, and control's members and conversions."""
    data = columns(frame, ("group", "arm", "converted"))
    treated = is_treatment(data["group"])
    converted = converted_flags(data["converted"])
    arm = data["arm"]
    bad = treated & ~named(arm)
    if bad.any():
        raise ResultsError("results_seq.bad_arm", row=int(np.flatnonzero(bad)[0]) + 1)
    if not treated.any():
        raise ResultsError("results_seq.no_arms")
    names, index = np.unique(np.asarray(arm[treated], dtype=str), return_inverse=True)
    if CONTROL_KEY in names:
        raise ResultsError("results_seq.arm_named_control")
    members = np.bincount(index, minlength=len(names))
    conversions = np.bincount(index, weights=converted[treated], minlength=len(names)).astype(np.int64)
    return (
        [str(n) for n in names],
        members,
        conversions,
        int((~treated).sum()),
        int(converted[~treated].sum()),
    )


def compare_arms(frame: Any, alpha: float = 0.05) -> dict[str, Any]:
    """Each script arm against control and every pair of arms, with Holm-adjusted p-values; the winner or None.

    ``frame``: the per-member frame (or a mapping of arrays) with ``group``, ``arm`` and ``converted``. Without a
    control group the family holds only the pairs.
    """
    alpha = check_alpha(alpha)
    names, members, conversions, n_ctrl, conv_ctrl = _arm_counts(frame)
    arms = [
        {"arm": name, "members": int(n), "conversions": int(c), "rate": float(c / n)}
        for name, n, c in zip(names, members, conversions, strict=True)
    ]
    tests: list[dict[str, Any]] = []
    if n_ctrl > 0:
        for i, name in enumerate(names):
            lift = lift_with_ci(int(conversions[i]), int(members[i]), conv_ctrl, n_ctrl, alpha=alpha)
            tests.append(_test("vs_control", name, CONTROL_KEY, lift))
    for i, j in combinations(range(len(names)), 2):
        lift = lift_with_ci(int(conversions[i]), int(members[i]), int(conversions[j]), int(members[j]), alpha=alpha)
        tests.append(_test("pair", names[i], names[j], lift))
    adjusted = holm([t["p_value"] for t in tests])
    for test, p_adj in zip(tests, adjusted, strict=True):
        test["p_holm"] = float(p_adj)
        test["significant"] = bool(p_adj < alpha)

    winner, reason, values = _winner(names, members, conversions, tests)
    control = {"members": n_ctrl, "conversions": conv_ctrl, "rate": conv_ctrl / n_ctrl} if n_ctrl else None
    beats_control = None
    if winner is not None and n_ctrl:
        own = next(t for t in tests if t["kind"] == "vs_control" and t["arm"] == winner)
        beats_control = bool(own["significant"] and own["lift_absolute"] > 0)
    return {
        "alpha": alpha,
        "family_size": len(tests),
        "arms": arms,
        "control": control,
        "vs_control": [t for t in tests if t["kind"] == "vs_control"],
        "pairs": [t for t in tests if t["kind"] == "pair"],
        "winner": winner,
        "winner_beats_control": beats_control,
        "winner_reason": reason,
        "winner_reason_values": values,
    }


def _winner(
    names: list[str], members: np.ndarray, conversions: np.ndarray, tests: list[dict[str, Any]]
) -> tuple[str | None, str, dict[str, Any]]:
    if len(names) < 2:
        return None, "results_seq.winner.single_arm", {}
    rates = conversions / members
    best = int(np.argmax(rates))  # ties: the first by name; it then cannot beat its twin
    worst_p, worst_other = 0.0, ""
    for test in tests:
        if test["kind"] != "pair" or names[best] not in (test["arm"], test["other"]):
            continue
        other = test["other"] if test["arm"] == names[best] else test["arm"]
        ahead = rates[best] > rates[names.index(other)]
        p = test["p_holm"] if ahead else 1.0
        if p >= worst_p:
            worst_p, worst_other = p, other
    alpha_ok = all(
        t["significant"] for t in tests if t["kind"] == "pair" and names[best] in (t["arm"], t["other"])
    ) and all(rates[best] > rates[i] for i in range(len(names)) if i != best)
    if alpha_ok:
        return names[best], "results_seq.winner.shown", {"arm": names[best]}
    return None, "results_seq.winner.not_shown", {"arm": names[best], "other": worst_other, "p": round(worst_p, 4)}


def thompson_shares(
    frame: Any,
    control_share: float,
    seed: int = 0,
    draws: int = 10_000,
    floor: float = 0.05,
) -> dict[str, float]:
    """The next list's shares: ``control`` as given, the rest split among the arms by Thompson sampling.

    Each arm's share of the called part is ``floor + (1 − arms · floor) · P(arm is best)``, so every arm keeps at
    least ``floor`` of it; the shares (control included) sum to 1.
    """
    if (
        isinstance(control_share, bool)
        or not isinstance(control_share, int | float)
        or not 0 <= control_share < 1
        or math.isnan(control_share)
    ):
        raise ResultsError("results_seq.bad_share", value=repr(control_share))
    draws = whole(draws, "results_seq.bad_draws", 1)
    seed = whole(seed, "results_seq.bad_seed", 0)
    names, members, conversions, _, _ = _arm_counts(frame)
    k = len(names)
    if isinstance(floor, bool) or not isinstance(floor, int | float) or not 0 <= floor <= 1 / k or math.isnan(floor):
        raise ResultsError("results_seq.bad_floor", value=repr(floor), arms=k)
    rng = np.random.default_rng(seed)
    sample = rng.beta(1 + conversions, 1 + members - conversions, size=(draws, k))
    p_best = np.bincount(np.argmax(sample, axis=1), minlength=k) / draws
    called = floor + (1 - k * floor) * p_best
    shares = {CONTROL_KEY: float(control_share)}
    scaled = called * (1 - control_share)
    for name, share in zip(names, scaled, strict=True):
        shares[name] = float(share)
    return shares


def _test(kind: str, arm: str, other: str, lift: dict[str, Any]) -> dict[str, Any]:
    """One comparison of the family, from ``lift_with_ci``'s result (``other`` plays its control)."""
    return {
        "kind": kind,
        "arm": arm,
        "other": other,
        "rate": lift["treatment_rate"],
        "other_rate": lift["control_rate"],
        **{key: lift[key] for key in ("lift_absolute", "lift_relative", "ci_low", "ci_high", "z", "p_value")},
    }
