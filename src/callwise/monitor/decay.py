"""Decay detection and the retraining trigger, one weekly check at a time.

A weekly check flags the model when (a) the score's PSI or any feature's CSI passes its calibrated threshold
(:mod:`callwise.monitor.stability`), or (b) the realised AUC is significantly below the model card's
validation AUC by more than ``margin``: one-sided test of ``AUC ≥ card - margin`` with Hanley–McNeil's
standard error, ``z = (card - margin - auc) / se > z(1 - level)``.

False alarms over a monitoring run: each check spends ``alpha / checks`` (the run's planned weekly checks),
and inside a check that level is split (Bonferroni) over the stability tests and the AUC test, so the chance
of any alarm in a run with no change is at most ``alpha`` (the union bound; default 0.02, see ``ALPHA``).
The margin (default 0.02 of AUC) absorbs the sampling error of the card's own validation AUC and a change
too small to retrain for.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import stats

from callwise.monitor.performance import week_metrics
from callwise.monitor.stability import MATERIAL_PSI, Profile, stability

# The union bound is nearly tight here (the weekly tests are almost independent), so a run's false-alarm rate is
# close to ALPHA itself: 0.02 keeps it under a 5% goal with room for the approximations (pseudocount, χ² tail).
ALPHA = 0.02
CHECKS = 12
AUC_MARGIN = 0.02


def auc_below(auc: float | None, se: float | None, card_auc: float, margin: float, level: float) -> bool:
    """Whether ``auc`` is significantly below ``card_auc - margin`` at one-sided ``level``."""
    if auc is None or se is None or se <= 0:
        return False
    return bool((card_auc - margin - auc) / se > stats.norm.ppf(1 - level))


def weekly_check(
    profile: Profile,
    week: pd.DataFrame,
    card_auc: float | None,
    features: list[str],
    alpha: float = ALPHA,
    checks: int = CHECKS,
    margin: float = AUC_MARGIN,
    material: float = MATERIAL_PSI,
) -> dict[str, Any]:
    """One week's verdict: the stability table, the week's performance and whether to retrain (and why)."""
    level = alpha / max(checks, 1)
    columns = [c for c in ["score", *features] if c in profile.binnings and c in week.columns]
    tests = len(columns) + (1 if card_auc is not None else 0)
    table = stability(profile, week[columns], alpha=level, material=material, tests=tests)
    scored = week[week["score"].notna() & week["converted"].notna()] if "converted" in week.columns else week[:0]
    performance = (
        week_metrics(scored["converted"].to_numpy(dtype=int), scored["score"].to_numpy(dtype=float))
        if len(scored)
        else None
    )
    drifted = [r["column"] for r in table if r["alarm"]]
    decayed = (
        card_auc is not None
        and performance is not None
        and auc_below(performance["auc"], performance["auc_se"], card_auc, margin, level / tests)
    )
    reasons = [*(["drift"] if drifted else []), *(["auc_below_card"] if decayed else [])]
    return {
        "stability": table,
        "performance": performance,
        "card_auc": card_auc,
        "drifted_columns": drifted,
        "auc_decayed": bool(decayed),
        "retrain": bool(reasons),
        "reasons": reasons,
        "level_per_test": level / tests,
    }


def monitor_weeks(
    profile: Profile,
    frame: pd.DataFrame,
    card_auc: float | None,
    features: list[str],
    alpha: float = ALPHA,
    checks: int | None = None,
    margin: float = AUC_MARGIN,
) -> dict[str, Any]:
    """Every week of ``frame`` (column ``week``) checked in order; the first flagged week and the trigger."""
    from callwise.monitor.errors import MonitorError

    if "week" not in frame.columns:
        raise MonitorError("monitor.missing_column", column="week")
    groups = list(frame.groupby("week", sort=True))
    if not groups:
        raise MonitorError("monitor.empty_week")
    planned = checks if checks is not None else max(len(groups), CHECKS)
    weeks = []
    for label, rows in groups:
        verdict = weekly_check(profile, rows, card_auc, features, alpha, planned, margin)
        weeks.append({"week": str(label), **verdict})
    first = next((w["week"] for w in weeks if w["retrain"]), None)
    return {"weeks": weeks, "first_flagged_week": first, "retrain": first is not None, "checks_planned": planned}
