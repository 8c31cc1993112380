"""Each moment's effect in a triggered campaign, against its own randomised control.

A triggered campaign's members carry the moment they were listed for (``campaign_members.moment_id``). The
control group was drawn by the same hash of (campaign seed, customer) as every campaign's, independently of the
moment, so within one moment the treatment and control members are still a randomised split: the moment's
effect is the intention-to-treat comparison of that moment's members (:func:`callwise.results.effect.itt`, the
Newcombe interval for the difference in conversion rates). Outcomes come from the per-member frame every result
reads (:func:`callwise.results.frame.member_outcomes`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine

from callwise.lake import Lake
from callwise.moments.build import MomentsError
from callwise.results.effect import SMALL_CELL_CONVERSIONS, SMALL_CELL_MEMBERS, itt
from callwise.results.frame import member_outcomes

MEMBERS = "campaign_members"


def member_moments(lake: Lake, campaign_id: str) -> pd.DataFrame:
    """``customer_id`` and ``moment_id`` of the campaign's members that carry one (the earliest record kept)."""
    if not lake.has(MEMBERS) or "moment_id" not in lake.table(MEMBERS).columns:
        raise MomentsError("moments.no_triggered_members", campaign=campaign_id)
    m = lake.table(MEMBERS)
    mine = m.filter((m.campaign_id == campaign_id) & m.moment_id.notnull())
    rows = mine.select(customer_id=mine.customer_id.cast("string"), moment_id=mine.moment_id.cast("string"))
    frame: pd.DataFrame = rows.to_pandas()
    if frame.empty:
        raise MomentsError("moments.no_triggered_members", campaign=campaign_id)
    return frame.sort_values(["customer_id", "moment_id"], kind="stable").drop_duplicates("customer_id")


def moment_effect(
    lake: Lake,
    campaign_id: str,
    window_days: int = 30,
    alpha: float = 0.05,
    ops_engine: Engine | None = None,
    bank_timezone: str = "Asia/Shanghai",
) -> dict[str, Any]:
    """Per moment of a triggered campaign: treatment and control members, their conversion rates and the
    difference with its interval (``1 − alpha``), in the order of most members first."""
    moments = member_moments(lake, campaign_id)
    outcomes = member_outcomes(lake, campaign_id, window_days, ops_engine, bank_timezone=bank_timezone)
    frame = outcomes.merge(moments, on="customer_id", how="inner")
    rows = [_one(moment, part, alpha) for moment, part in frame.groupby("moment_id", sort=True)]
    rows.sort(key=lambda r: (-(r["n_treatment"] + r["n_control"]), r["moment_id"]))
    return {
        "campaign_id": campaign_id,
        "window_days": window_days,
        "alpha": alpha,
        "members": len(frame),
        "moments": rows,
    }


def _one(moment: Any, part: pd.DataFrame, alpha: float) -> dict[str, Any]:
    treat = part["group"] == "treatment"
    n_t, n_c = int(treat.sum()), int((part["group"] == "control").sum())
    c_t = int(part.loc[treat, "converted"].sum())
    c_c = int(part.loc[part["group"] == "control", "converted"].sum())
    out: dict[str, Any] = {
        "moment_id": str(moment),
        "n_treatment": n_t,
        "n_control": n_c,
        "conversions_treatment": c_t,
        "conversions_control": c_c,
        "rate_treatment": c_t / n_t if n_t else None,
        "rate_control": c_c / n_c if n_c else None,
        "difference": None,
        "p_value": None,
        "small": min(n_t, n_c) < SMALL_CELL_MEMBERS or min(c_t, c_c) < SMALL_CELL_CONVERSIONS,
    }
    if n_t and n_c:
        result = itt(part.drop(columns=["moment_id"]), alpha)
        out["difference"] = {k: result["lift"][k] for k in ("estimate", "low", "high", "method")}
        out["p_value"] = result["p_value"]
    return out
