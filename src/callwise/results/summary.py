"""One finished campaign's results as one JSON-ready dict: the headline, costs, reach, harm, adjusted and by cell.

``sequential`` is the always-valid daily look (``callwise.results.sequential``); ``arms`` and ``thompson`` compare the
script arms and propose the next list's shares (``callwise.results.arms``).
Numbers are rounded (6 significant digits, money above 1,000 to the cent), so the same frame gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from callwise.results.adjust import COVARIATES
from callwise.results.arms import compare_arms, thompson_shares
from callwise.results.effect import (
    DIMENSIONS,
    SMALL_CELL_RULE,
    CampaignCosts,
    _adjusted,
    _breakdowns,
    _costs,
    _effect_on_reached,
    _harm,
    _itt,
    value_for_money,
)
from callwise.results.members import ResultsError, check_alpha, members
from callwise.results.sequential import always_valid

NEEDED = ("dials", "talk_seconds", "sms", "reached", "complaint", "dnc", "opt_out", "score_decile", *COVARIATES)
THOMPSON_DRAWS = 10_000


def campaign_results(
    frame: pd.DataFrame,
    costs: CampaignCosts | Mapping[str, Any] | Any,
    window_days: int,
    alpha: float = 0.05,
    campaign_id: str | None = None,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything measured about one campaign from its per-member frame."""
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer) or window_days < 1:
        raise ResultsError("results.error.bad_window", value=repr(window_days))
    alpha = check_alpha(alpha)
    price = CampaignCosts.of(costs)
    dims = [d for d in DIMENSIONS if d in frame.columns] if isinstance(frame, pd.DataFrame) else []
    m = members(frame, NEEDED)
    headline = _itt(m, alpha, price)
    spent = _costs(m, price)
    result: dict[str, Any] = {
        "campaign_id": campaign_id,
        "window_days": int(window_days),
        "alpha": alpha,
        "members": {"total": m.n_treatment + m.n_control, "treatment": m.n_treatment, "control": m.n_control},
        "itt": headline,
        "costs": spent,
        "value": value_for_money(headline, spent["total"]),
        "reached": _effect_on_reached(m, alpha),
        "harm": _harm(m, alpha),
        "adjusted": _adjusted(m, alpha, COVARIATES, price),
        "breakdowns": _breakdowns(m, alpha, dims),
        "breakdowns_missing": [d for d in DIMENSIONS if d not in dims],
        "small_cell_rule": SMALL_CELL_RULE,
        "extras": dict(extras or {}),
    }
    result["sequential"] = always_valid(m.frame, alpha, window_days=int(window_days))
    result["arms"] = compare_arms(m.frame, alpha)
    share = m.n_control / (m.n_control + m.n_treatment)
    result["thompson"] = thompson_shares(m.frame, share, int((extras or {}).get("seed", 0)), THOMPSON_DRAWS)
    result["warnings"] = _warnings(result)
    return json_ready(result)


def _warnings(result: dict[str, Any]) -> list[str]:
    out = []
    if result["costs"]["control_contacted"]:
        out.append("control_contacted")
    if result["reached"]["control_reached"]:
        out.append("control_reached")
    if result["value"]["cpia"]["flag"] in ("unbounded_high", "no_increment"):
        out.append(f"cpia_{result['value']['cpia']['flag']}")
    if result["adjusted"]["balance"]["imbalanced"]:
        out.append("covariates_imbalanced")
    if any(c["small_cell"] for b in result["breakdowns"].values() for c in b["cells"]):
        out.append("small_cells")
    itt = result["itt"]
    if min(itt["conversions_treatment"], itt["conversions_control"]) < SMALL_CELL_RULE["min_conversions_per_group"]:
        out.append("few_conversions")
    return out


def _number(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    if abs(x) >= 1000:
        return round(x, 2)
    return float(f"{x:.6g}")


def json_ready(value: Any) -> Any:
    """Plain Python (dict, list, str, int, float, bool, None), floats rounded, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA:
        return None
    return str(value)
