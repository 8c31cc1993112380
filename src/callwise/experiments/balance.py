"""Is the control group a fair comparison? What a manager checks before a campaign goes out.

Three checks: the control share in every score decile (flat by construction), a chi-square test of
group × decile independence, and standardised mean differences (SMD) of the score and any numeric
covariates between control and treatment. |SMD| ≤ 0.1 is the usual reading of "balanced".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from callwise.experiments.assign import CONTROL, TREATMENT
from callwise.experiments.design import ExperimentError

SMD_THRESHOLD = 0.1
REQUIRED = ("customer_id", "score_decile", "group", "arm")
NOT_COMPARED = (*REQUIRED, "u")  # the hash uniform is balanced by construction of the draw, not a covariate


def balance_report(
    assignment: pd.DataFrame, covariates: pd.DataFrame | None = None, smd_threshold: float = SMD_THRESHOLD
) -> dict[str, Any]:
    """Per-decile control shares, the group × decile chi-square test, and SMDs of score and covariates.

    ``covariates`` has a ``customer_id`` column and any other columns; numeric ones are compared, text
    ones are listed under ``skipped``. The result is plain JSON-ready data.
    """
    missing = [c for c in REQUIRED if c not in assignment.columns]
    if missing:
        raise ExperimentError(f"the assignment has no column {missing[0]!r} (make it with assign_groups)")
    control = (assignment["group"] == CONTROL).to_numpy()
    treatment = (assignment["group"] == TREATMENT).to_numpy()
    n_control, n_treatment = int(control.sum()), int(treatment.sum())
    frame = _with_covariates(assignment, covariates)
    compared = [c for c in frame.columns if c not in NOT_COMPARED]
    numeric = [c for c in compared if _is_numeric(frame[c])]
    skipped = [c for c in compared if c not in numeric]
    smd = {c: _smd(frame[c].to_numpy(dtype=np.float64, na_value=np.nan), control, treatment) for c in numeric}
    worst = max((abs(v["smd"]) for v in smd.values() if v["smd"] is not None), default=0.0)
    lift_measurable = n_control > 0 and n_treatment > 0
    return {
        "customers": len(assignment),
        "control": n_control,
        "treatment": n_treatment,
        "control_share": round(n_control / len(assignment), 6) if len(assignment) else None,
        "lift_measurable": lift_measurable,
        "deciles": _per_decile(assignment["score_decile"].to_numpy(), control),
        "arms": _arms(assignment["arm"], treatment),
        "chi_square": _chi_square(assignment["score_decile"].to_numpy(), control, treatment),
        "smd": smd,
        "max_abs_smd": round(worst, 6),
        "smd_threshold": smd_threshold,
        "balanced": lift_measurable
        and all(v["smd"] is not None and abs(v["smd"]) <= smd_threshold for v in smd.values()),
        "skipped": skipped,
    }


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _with_covariates(assignment: pd.DataFrame, covariates: pd.DataFrame | None) -> pd.DataFrame:
    frame = assignment
    if covariates is None:
        return frame
    if "customer_id" not in covariates.columns:
        raise ExperimentError("covariates need a 'customer_id' column to be matched with the assignment")
    extra = covariates.drop(columns=[c for c in covariates.columns if c in frame.columns and c != "customer_id"])
    extra = extra.assign(customer_id=extra["customer_id"].astype("str"))
    dup = extra["customer_id"].duplicated()
    if dup.any():
        raise ExperimentError(f"covariates: customer_id {extra['customer_id'][dup].iloc[0]!r} appears more than once")
    return frame.merge(extra, on="customer_id", how="left", validate="one_to_one")


def _smd(values: np.ndarray, control: np.ndarray, treatment: np.ndarray) -> dict[str, Any]:
    """(mean_t − mean_c) / √((var_t + var_c) / 2), on the customers whose value is known."""
    known = ~np.isnan(values)
    c, t = values[control & known], values[treatment & known]
    out: dict[str, Any] = {
        "mean_control": _r(c.mean()) if len(c) else None,
        "mean_treatment": _r(t.mean()) if len(t) else None,
        "missing": int((~known).sum()),
        "smd": None,
    }
    if len(c) > 1 and len(t) > 1:
        spread = np.sqrt((c.var(ddof=1) + t.var(ddof=1)) / 2)
        diff = t.mean() - c.mean()
        out["smd"] = _r(diff / spread) if spread > 0 else (0.0 if diff == 0 else None)
    return out


def _per_decile(decile: np.ndarray, control: np.ndarray) -> list[dict[str, Any]]:
    sizes = np.bincount(decile, minlength=1)
    held = np.bincount(decile, weights=control, minlength=len(sizes))
    return [
        {"decile": d, "customers": int(sizes[d]), "control": int(held[d]), "control_share": _r(held[d] / sizes[d])}
        for d in range(1, len(sizes))
        if sizes[d]
    ]


def _arms(arm: pd.Series, treatment: np.ndarray) -> dict[str, dict[str, Any]]:
    counts = arm[treatment].value_counts().sort_index()
    total = int(treatment.sum())
    return {str(k): {"customers": int(v), "share_of_treatment": _r(v / total)} for k, v in counts.items()}


def _chi_square(decile: np.ndarray, control: np.ndarray, treatment: np.ndarray) -> dict[str, Any] | None:
    """Group × decile independence; None when there is nothing to test (one group or one decile)."""
    table = np.stack(
        [
            np.bincount(decile[control], minlength=decile.max(initial=0) + 1),
            np.bincount(decile[treatment], minlength=decile.max(initial=0) + 1),
        ],
        axis=1,
    )
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return None
    result = stats.chi2_contingency(table, correction=False)
    return {"statistic": _r(result.statistic), "dof": int(result.dof), "p_value": _r(result.pvalue)}


def _r(x: float) -> float:
    return round(float(x), 6)
