"""What the calls earned, measured against the randomised control group (intention to treat).

Every member assigned to treatment counts as treated, whether the dialer reached them or not, and every control
member counts as untreated: that comparison is what randomisation makes fair. On it rest

* the lift in conversion rate (Newcombe's hybrid score interval), the relative lift (Katz's log risk-ratio interval),
  incremental conversions n_treatment × lift and incremental revenue n_treatment × (mean revenue difference, Welch);
* costs from the campaign's settings (per dial, per connected minute, per SMS), net incremental value, ROI and the
  cost per incremental acquisition, each with the interval that follows from the revenue or conversion interval
  (costs are counted, not estimated);
* the effect on those actually reached (Wald/IV: ITT ÷ contact rate, delta-method interval);
* harm per 1,000 called (complaints, DNC requests, opt-outs, Wilson intervals);
* regression adjustment (CUPED) on pre-campaign covariates and post-stratification by score decile
  (see ``callwise.results.adjust``), beside the unadjusted figures;
* breakdowns with a small-cell warning.

All functions take the per-member frame (``callwise.results.frame.member_outcomes``) and return plain dicts of
floats. docs/results_statistics.md explains each estimator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from callwise.results.adjust import COVARIATES, adjusted_difference, covariate_matrix, strata_codes
from callwise.results.intervals import katz_log_ratio, newcombe, normal_interval, welch, wilson, z_value
from callwise.results.members import Members, ResultsError, check_alpha, members

# A cell says little when either side has fewer than 30 members or fewer than 5 conversions: below that the
# normal approximations behind the intervals fail and a single conversion moves the lift by points.
SMALL_CELL_MEMBERS = 30
SMALL_CELL_CONVERSIONS = 5
DIMENSIONS = ("arm", "score_decile", "product_id", "province", "age_band", "segment", "team")
# Only treatment members have an arm or a team: those cells are compared with the whole control group.
TREATMENT_ONLY = {"arm": True, "team": False}  # value: was the split randomised?


@dataclass(frozen=True)
class CampaignCosts:
    """What the campaign paid (CNY): per dial, per connected minute, per SMS; and the value of a conversion whose
    amount is missing (used only when the frame has no revenue column)."""

    cost_per_call: float = 0.0
    cost_per_minute: float = 0.0
    cost_per_sms: float = 0.0
    value_per_conversion: float = 0.0

    @classmethod
    def of(cls, costs: CampaignCosts | Mapping[str, Any] | Any) -> CampaignCosts:
        """From this dataclass, a dict, or any object with these attributes (e.g. ``CampaignSettings``)."""
        if isinstance(costs, CampaignCosts):
            found = {name: getattr(costs, name) for name in _COST_FIELDS}
        elif isinstance(costs, Mapping):
            unknown = sorted(set(costs) - set(_COST_FIELDS))
            if unknown:
                raise ResultsError("results.error.unknown_cost", name=unknown[0], names=", ".join(_COST_FIELDS))
            found = {name: costs.get(name, 0.0) for name in _COST_FIELDS}
        else:
            found = {name: getattr(costs, name, 0.0) for name in _COST_FIELDS}
        for name, value in found.items():
            if value is None:
                found[name] = 0.0
            elif isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
                raise ResultsError("results.error.bad_cost", name=name, value=repr(value))
        return cls(**{k: float(v) for k, v in found.items()})


UNIT_COSTS = ("cost_per_call", "cost_per_minute", "cost_per_sms")  # what a campaign pays per unit of contact
_COST_FIELDS = (*UNIT_COSTS, "value_per_conversion")


def _interval(estimate: float, low: float, high: float, method: str) -> dict[str, Any]:
    return {"estimate": estimate, "low": low, "high": high, "method": method}


def _revenue(m: Members, costs: CampaignCosts | None) -> tuple[np.ndarray, str]:
    if "revenue" in m.frame.columns:
        return m.column("revenue"), "revenue"
    value = 0.0 if costs is None else costs.value_per_conversion
    return m.column("converted") * value, "value_per_conversion"


def itt(frame: pd.DataFrame, alpha: float = 0.05, costs: CampaignCosts | None = None) -> dict[str, Any]:
    """Intention-to-treat: conversion rates, absolute and relative lift, incremental conversions and revenue."""
    alpha = check_alpha(alpha)
    m = members(frame)
    return _itt(m, alpha, costs)


def _itt(m: Members, alpha: float, costs: CampaignCosts | None) -> dict[str, Any]:
    z = z_value(alpha)
    y = m.column("converted")
    t = m.treat
    n_t, n_c = m.n_treatment, m.n_control
    c_t, c_c = float(y[t].sum()), float(y[~t].sum())
    lift, low, high = (float(v) for v in newcombe(np.array(c_t), np.array(n_t), np.array(c_c), np.array(n_c), z))
    rel, rel_low, rel_high = (float(v) for v in katz_log_ratio(np.array(c_t), n_t, np.array(c_c), n_c, z))
    pooled = (c_t + c_c) / (n_t + n_c)
    se0 = float(np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c)))
    z_stat = lift / se0 if se0 > 0 else 0.0
    p_value = math.erfc(abs(z_stat) / math.sqrt(2))  # two-sided, the pooled z-test the power calculation plans for
    revenue, basis = _revenue(m, costs)
    r_t, r_c = revenue[t], revenue[~t]
    diff = welch(float(r_t.mean()), _var(r_t), n_t, float(r_c.mean()), _var(r_c), n_c, alpha)
    relative = (
        _interval(rel, rel_low, rel_high, "katz_log_risk_ratio")
        if np.isfinite(rel)
        else {"estimate": None, "low": None, "high": None, "method": "katz_log_risk_ratio", "reason": "no_conversions"}
    )
    return {
        "n_treatment": n_t,
        "n_control": n_c,
        "conversions_treatment": int(c_t),
        "conversions_control": int(c_c),
        "rate_treatment": c_t / n_t,
        "rate_control": c_c / n_c,
        "lift": _interval(lift, low, high, "newcombe"),
        "relative_lift": relative,
        "p_value": p_value,
        "significant": bool(p_value < alpha),
        "incremental_conversions": _interval(n_t * lift, n_t * low, n_t * high, "newcombe"),
        "revenue": {
            "basis": basis,
            "mean_treatment": float(r_t.mean()),
            "mean_control": float(r_c.mean()),
            "difference": _interval(diff["estimate"], diff["low"], diff["high"], "welch") | {"df": diff["df"]},
            "incremental": _rate_times_amount(y, revenue, t, z),
            "incremental_welch": _interval(n_t * diff["estimate"], n_t * diff["low"], n_t * diff["high"], "welch"),
        },
    }


def _rate_times_amount(y: np.ndarray, revenue: np.ndarray, t: np.ndarray, z: float) -> dict[str, Any]:
    """Incremental revenue n_t × (mean revenue_t − mean revenue_c) with a variance built from its two parts.

    Per-member revenue is a conversion (rare) times an amount (skewed). Its sample variance is smallest exactly when
    a group happens to have few conversions, so Welch's interval undercovers with a small control group (measured:
    91% for a 95% interval). Here each group's variance is p̃·E[A²] − (p̃·E[A])², with p̃ the Agresti–Coull rate
    (c + z²/2) / (n + z²) and the amount moments E[A], E[A²] pooled over every converting member (calls change
    whether a customer buys far more than how much). Without any conversion, Welch's zero interval stands."""
    n_t, n_c = int(t.sum()), int((~t).sum())
    estimate = n_t * (float(revenue[t].mean()) - float(revenue[~t].mean()))
    amounts = revenue[y == 1]
    if len(amounts) == 0:
        return _interval(estimate, estimate, estimate, "welch")
    m1, m2 = float(amounts.mean()), float((amounts**2).mean())
    var = 0.0
    for group, n in ((t, n_t), (~t, n_c)):
        p = (float(y[group].sum()) + z * z / 2) / (n + z * z)
        var += (p * m2 - (p * m1) ** 2) / n
    half = n_t * z * math.sqrt(var)
    return _interval(estimate, estimate - half, estimate + half, "rate_times_amount")


def _var(x: np.ndarray) -> float:
    return float(x.var(ddof=1)) if len(x) > 1 else 0.0


def campaign_costs(frame: pd.DataFrame, costs: CampaignCosts | Mapping[str, Any] | Any) -> dict[str, Any]:
    """What the campaign spent: dials × cost_per_call + connected minutes × cost_per_minute + SMS × cost_per_sms."""
    m = members(frame, ("dials", "talk_seconds", "sms"))
    return _costs(m, CampaignCosts.of(costs))


def _costs(m: Members, costs: CampaignCosts) -> dict[str, Any]:
    dials, talk, sms = m.column("dials"), m.column("talk_seconds"), m.column("sms")
    minutes = float(talk.sum()) / 60
    parts = {
        "dials": costs.cost_per_call * float(dials.sum()),
        "minutes": costs.cost_per_minute * minutes,
        "sms": costs.cost_per_sms * float(sms.sum()),
    }
    control_contacted = int(((dials > 0) | (sms > 0))[~m.treat].sum())
    return {
        "dials": int(dials.sum()),
        "connected_minutes": minutes,
        "sms": int(sms.sum()),
        "cost_per_call": costs.cost_per_call,
        "cost_per_minute": costs.cost_per_minute,
        "cost_per_sms": costs.cost_per_sms,
        "by_kind": parts,
        "total": sum(parts.values()),
        "control_contacted": control_contacted,
    }


def value_for_money(itt_result: Mapping[str, Any], cost: float) -> dict[str, Any]:
    """Net incremental value, ROI and cost per incremental acquisition (CPIA) with intervals.

    The cost is counted, so each interval is the revenue (or conversion) interval carried through the formula.
    CPIA = cost ÷ incremental conversions: where the conversion interval reaches 0 or below, its upper end is
    unbounded (``None``, flag ``unbounded_high``); where the whole interval is ≤ 0, no acquisition was shown
    (flag ``no_increment``). A negative CPIA is never reported.
    """
    revenue = itt_result["revenue"]["incremental"]
    net = _interval(revenue["estimate"] - cost, revenue["low"] - cost, revenue["high"] - cost, revenue["method"])
    if cost > 0:
        roi: dict[str, Any] = _interval(net["estimate"] / cost, net["low"] / cost, net["high"] / cost, net["method"])
    else:
        roi = {"estimate": None, "low": None, "high": None, "method": net["method"], "reason": "no_cost"}
    inc = itt_result["incremental_conversions"]
    est, low, high = inc["estimate"], inc["low"], inc["high"]
    cpia: dict[str, Any] = {"method": "inverted_newcombe", "flag": None}
    if cost == 0:
        cpia |= {"estimate": 0.0 if est > 0 else None, "low": 0.0, "high": 0.0, "flag": "no_cost"}
    elif high <= 0:
        cpia |= {"estimate": None, "low": None, "high": None, "flag": "no_increment"}
    else:
        cpia |= {
            "estimate": cost / est if est > 0 else None,
            "low": cost / high,
            "high": cost / low if low > 0 else None,
            "flag": None if low > 0 else "unbounded_high",
        }
    return {"cost": cost, "net_value": net, "roi": roi, "cpia": cpia}


def effect_on_reached(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Wald/IV: the ITT lift divided by the share of treatment members reached (one-sided non-compliance).

    With control never called, (ȳ_t − ȳ_c) / (d̄_t − d̄_c) is the effect on those the calls reached (the complier
    average effect). Its delta-method variance is [var(Y − βD)_t / n_t + var(Y − βD)_c / n_c] / (d̄_t − d̄_c)².
    Control members that were reached anyway are counted (``control_reached``) and enter d̄_c.
    """
    alpha = check_alpha(alpha)
    return _effect_on_reached(members(frame, ("reached",)), alpha)


def _effect_on_reached(m: Members, alpha: float) -> dict[str, Any]:
    z = z_value(alpha)
    y, d, t = m.column("converted"), m.column("reached"), m.treat
    n_t, n_c = m.n_treatment, m.n_control
    reached_t = float(d[t].sum())
    low, high = (float(v[()]) for v in wilson(np.array(reached_t), np.array(n_t), z))
    contact = {"estimate": reached_t / n_t, "low": low, "high": high, "method": "wilson", "reached": int(reached_t)}
    share = reached_t / n_t - float(d[~t].mean())
    out: dict[str, Any] = {"contact_rate": contact, "control_reached": int(d[~t].sum())}
    if share <= 0:
        return out | {"effect": {"estimate": None, "low": None, "high": None, "method": "wald_iv"}, "reason": "none"}
    beta = (float(y[t].mean()) - float(y[~t].mean())) / share
    u = y - beta * d
    se = float(np.sqrt(_var(u[t]) / n_t + _var(u[~t]) / n_c)) / share
    ci = normal_interval(beta, se, z)
    return out | {
        "effect": {**ci, "method": "wald_iv_delta"},
        "incremental_conversions_among_reached": _interval(
            reached_t * beta, reached_t * ci["low"], reached_t * ci["high"], "wald_iv_delta"
        ),
    }


HARMS = ("complaint", "dnc", "opt_out")


def harm(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Complaints, DNC requests and opt-outs per 1,000 treatment members called (dialled at least once), with
    Wilson intervals; and the opt-outs the campaign caused: treatment vs control opt-out rate per 1,000 assigned
    (Newcombe), since control members opt out too."""
    alpha = check_alpha(alpha)
    return _harm(members(frame, ("dials", *HARMS)), alpha)


def _harm(m: Members, alpha: float) -> dict[str, Any]:
    z = z_value(alpha)
    called = m.treat & (m.column("dials") > 0)
    n_called = int(called.sum())
    out: dict[str, Any] = {"called": n_called, "per": 1000}
    for name in HARMS:
        x = m.column(name)
        count = float(x[called].sum())
        if n_called:
            low, high = (float(v[()]) for v in wilson(np.array(count), np.array(n_called), z))
            out[name] = {
                "count": int(count),
                "estimate": 1000 * count / n_called,
                "low": 1000 * low,
                "high": 1000 * high,
                "method": "wilson",
            }
        else:
            out[name] = {"count": 0, "estimate": None, "low": None, "high": None, "method": "wilson"}
    opt = m.column("opt_out")
    o_t, o_c = float(opt[m.treat].sum()), float(opt[~m.treat].sum())
    diff, low, high = (float(v) for v in newcombe(np.array(o_t), m.n_treatment, np.array(o_c), m.n_control, z))
    out["excess_opt_out"] = {
        "control_per_1000": 1000 * o_c / m.n_control,
        "estimate": 1000 * diff,
        "low": 1000 * low,
        "high": 1000 * high,
        "method": "newcombe",
    }
    return out


def adjusted(
    frame: pd.DataFrame, alpha: float = 0.05, covariates: Sequence[str] = COVARIATES, costs: CampaignCosts | None = None
) -> dict[str, Any]:
    """The lift and incremental conversions and revenue, unadjusted (normal theory), post-stratified by score decile,
    CUPED on ``covariates`` (θ pooled across groups), and both together; each variant's width reduction."""
    alpha = check_alpha(alpha)
    m = members(frame, ("score_decile", *covariates))
    return _adjusted(m, alpha, covariates, costs)


def _adjusted(m: Members, alpha: float, covariates: Sequence[str], costs: CampaignCosts | None) -> dict[str, Any]:
    z = z_value(alpha)
    X, used = covariate_matrix(m, covariates)
    strata = strata_codes(m.labels("score_decile"))
    revenue, _ = _revenue(m, costs)
    outcomes = {"conversions": m.column("converted"), "revenue": revenue}
    variants = {
        "unadjusted": (None, None),
        "post_stratified": (None, strata),
        "cuped": (X, None),
        "cuped_stratified": (X, strata),
    }
    out: dict[str, Any] = {"covariates": used, "balance": _balance(X, used, m.treat), "variants": {}}
    n_t = m.n_treatment
    base_se: dict[str, float] = {}
    for name, (x, s) in variants.items():
        entry: dict[str, Any] = {}
        for outcome, y in outcomes.items():
            fit = adjusted_difference(y, m.treat, x, s)
            if fit is None:
                entry[outcome] = {"estimate": None, "low": None, "high": None, "reason": "no_variation"}
                continue
            ci = normal_interval(fit.estimate, fit.se, z)
            if name == "unadjusted":
                base_se[outcome] = fit.se
            reduction = 1 - fit.se / base_se[outcome] if base_se.get(outcome) else None
            entry[outcome] = {
                "difference": ci,
                "incremental": {k: n_t * v for k, v in ci.items()},
                "width_reduction": reduction,
                "theta": fit.theta,
                "strata": fit.strata,
            }
        out["variants"][name] = entry
    return out


IMBALANCE_SMD = 0.1  # |standardised mean difference| above which a covariate reads as imbalanced …
IMBALANCE_Z = 3.29  # … when it is also beyond chance: 3.29 standard errors (two-sided 0.1%)


def _balance(X: np.ndarray | None, names: list[str], treat: np.ndarray) -> dict[str, Any]:
    """Standardised mean difference of each covariate, treatment vs control. Randomisation keeps these near 0;
    a large one means the groups were not assigned at random (or the frame is wrong), and adjustment then moves
    the estimate a long way: the summary warns. A small control group shows differences of 0.1 by chance alone
    (the SMD's standard error is about sqrt(1/n_t + 1/n_c): 0.12 for 79 control members), so a difference is
    flagged only when it is both material and beyond chance."""
    if X is None:
        return {"smd": {}, "imbalanced": []}
    mean_t, mean_c = X[treat].mean(axis=0), X[~treat].mean(axis=0)
    sd = X.std(axis=0)  # of all members: defined even where a group does not vary
    smd = np.where(sd > 0, (mean_t - mean_c) / np.where(sd > 0, sd, 1), 0.0)
    chance = IMBALANCE_Z * np.sqrt(1 / max(int(treat.sum()), 1) + 1 / max(int((~treat).sum()), 1))
    limit = max(IMBALANCE_SMD, float(chance))
    return {
        "smd": {name: float(v) for name, v in zip(names, smd, strict=True)},
        "limit": limit,
        "imbalanced": [name for name, v in zip(names, smd, strict=True) if abs(v) > limit],
    }


def _codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes for a breakdown's values in a fixed order (numbers numerically, text by text, missing last)."""
    present = values.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        uniques = np.unique(values[present].to_numpy(dtype=float))
        codes = np.full(len(values), len(uniques), dtype=np.int64)
        codes[present] = np.searchsorted(uniques, values[present].to_numpy(dtype=float))
        labels: list[Any] = [int(u) if float(u).is_integer() else float(u) for u in uniques]
    else:
        # Hashing, then sorting only the distinct values: sorting a million strings takes seconds.
        inverse, uniques_text = pd.factorize(values[present].astype("str"), sort=True)
        codes = np.full(len(values), len(uniques_text), dtype=np.int64)
        codes[present] = inverse
        labels = [str(u) for u in uniques_text]
    return codes, [*labels, None]


def breakdowns(frame: pd.DataFrame, alpha: float = 0.05, dimensions: Sequence[str] = DIMENSIONS) -> dict[str, Any]:
    """Per dimension and value: members, conversions, lift with Newcombe's interval, incremental conversions, and a
    small-cell warning (fewer than 30 members or 5 conversions on either side).

    Arm and team exist only for treatment members; their cells are compared with the whole control group. Arms are
    randomised within treatment, so that comparison is fair; teams are not (who a team reached was not random), so
    team cells carry ``randomised: false`` and describe rather than prove."""
    alpha = check_alpha(alpha)
    m = members(frame, dimensions)
    return _breakdowns(m, alpha, dimensions)


def _breakdowns(m: Members, alpha: float, dimensions: Sequence[str]) -> dict[str, Any]:
    z = z_value(alpha)
    y, t = m.column("converted"), m.treat
    out: dict[str, Any] = {}
    for dim in dimensions:
        codes, labels = _codes(m.labels(dim))
        k = len(labels)
        n_t = np.bincount(codes[t], minlength=k).astype(float)
        c_t = np.bincount(codes[t], weights=y[t], minlength=k)
        shared = dim in TREATMENT_ONLY
        if shared:
            n_c = np.full(k, float(m.n_control))
            c_c = np.full(k, float(y[~t].sum()))
        else:
            n_c = np.bincount(codes[~t], minlength=k).astype(float)
            c_c = np.bincount(codes[~t], weights=y[~t], minlength=k)
        keep = (n_t + (0 if shared else n_c)) > 0
        lift, low, high = newcombe(c_t, n_t, c_c, n_c, z)
        small = (np.minimum(n_t, n_c) < SMALL_CELL_MEMBERS) | (np.minimum(c_t, c_c) < SMALL_CELL_CONVERSIONS)
        cells = []
        for i in np.flatnonzero(keep):
            measurable = n_t[i] > 0 and n_c[i] > 0
            cells.append(
                {
                    "value": labels[i],
                    "n_treatment": int(n_t[i]),
                    "n_control": int(n_c[i]),
                    "conversions_treatment": int(c_t[i]),
                    "conversions_control": int(c_c[i]),
                    "rate_treatment": c_t[i] / n_t[i] if n_t[i] else None,
                    "rate_control": c_c[i] / n_c[i] if n_c[i] else None,
                    "lift": _interval(float(lift[i]), float(low[i]), float(high[i]), "newcombe")
                    if measurable
                    else {"estimate": None, "low": None, "high": None, "method": "newcombe"},
                    "incremental_conversions": _interval(
                        float(n_t[i] * lift[i]), float(n_t[i] * low[i]), float(n_t[i] * high[i]), "newcombe"
                    )
                    if measurable
                    else {"estimate": None, "low": None, "high": None, "method": "newcombe"},
                    "small_cell": bool(small[i]),
                }
            )
        out[dim] = {
            "compared_with": "whole_control" if shared else "control_in_cell",
            "randomised": TREATMENT_ONLY.get(dim, True),
            "cells": cells,
        }
    return out


SMALL_CELL_RULE = {"min_members_per_group": SMALL_CELL_MEMBERS, "min_conversions_per_group": SMALL_CELL_CONVERSIONS}

__all__ = [
    "DIMENSIONS",
    "SMALL_CELL_RULE",
    "CampaignCosts",
    "ResultsError",
    "adjusted",
    "breakdowns",
    "campaign_costs",
    "effect_on_reached",
    "harm",
    "itt",
    "value_for_money",
]
