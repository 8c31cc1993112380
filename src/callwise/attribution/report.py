"""Every attribution method side by side, per channel, beside the randomised control group's increment.

:func:`attribution_report` is what the CLI, the API and the dashboard call. Each method runs per campaign (a path
belongs to its last touch's campaign) and the campaigns' credits are summed; the control group's increment of a
campaign is treatment vs control conversions within the lookback of its start (Newcombe's interval, as
``callwise.results`` computes a campaign's lift). Where a control exists it is the truth: a method whose total
incremental falls outside its interval is warned about, and so are the channels where last touch is off by more
than :data:`LAST_TOUCH_GAP` from the default method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from callwise.attribution import methods as m
from callwise.attribution.errors import AttributionError
from callwise.attribution.paths import PathTables, path_tables
from callwise.lake import Lake
from callwise.results.intervals import newcombe, z_value

# name → causal (shares out only the conversions above the control group's baseline)
METHODS: dict[str, bool] = {
    "first_touch": False,
    "last_touch": False,
    "linear_touch": False,
    "markov": False,
    "shapley": False,
    "markov_causal": True,
    "shapley_causal": True,
    "regression": True,
}
DEFAULT_METHOD = "shapley_causal"
FALLBACK_METHOD = "shapley"  # without any control group there is no baseline to take out
SHAPLEY_ORDER = 2  # interactions of up to two channels in the fitted coalition values
MIN_STRATUM_CONTROL = 30  # control members a stratum needs for a baseline of its own (else the campaign's)
LAST_TOUCH_GAP = 0.05  # 5 percentage points
DISAGREE_GAP = 0.05


def attribution_report(
    lake: Lake, campaign_id: str | None = None, lookback_days: int = 30, alpha: float = 0.05
) -> dict[str, Any]:
    """The report of ``campaign_id`` (every campaign when None), JSON-ready (docs/attribution.md)."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 0.5:
        raise AttributionError("attribution.error.alpha", value=repr(alpha))
    tables = path_tables(lake, campaign_id, lookback_days)
    return report_from(tables, campaign_id, alpha)


def report_from(tables: PathTables, campaign_id: str | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """The report from the path tables (the lake already read)."""
    channels = tables.channels
    k = len(channels)
    control = control_increments(tables.groups, alpha)
    by_control = {row["campaign_id"]: row for row in control["campaigns"]}
    campaigns = sorted(set(tables.sets["campaign_id"].astype(str)))
    pooled = _pooled_baseline(tables.groups)
    warnings: list[dict[str, Any]] = []
    lacking = [c for c in campaigns if c not in by_control or by_control[c]["control"] == 0]
    causal = pooled is not None
    if not causal:
        warnings.append({"key": "attribution.warn.no_control"})
    elif lacking:
        warnings.append({"key": "attribution.warn.pooled_baseline", "campaigns": lacking, "rate": pooled})
    if causal and k > m.MAX_SHAPLEY_CHANNELS:
        raise AttributionError("attribution.error.shapley_channels", n=k, most=m.MAX_SHAPLEY_CHANNELS)
    regression = m.regression_credit(tables.sets, channels) if causal else None
    credit = {name: np.zeros(k) for name in METHODS if causal or not METHODS[name]}
    rows: list[dict[str, Any]] = []
    for campaign in campaigns:
        sets = tables.sets[(tables.sets["campaign_id"] == campaign) & (tables.sets["mask"] > 0)]
        paths, conversions = float(sets["n"].sum()), float(sets.loc[sets["converted"], "n"].sum())
        found = by_control.get(campaign)
        baseline = found["control_rate"] if found is not None and found["control"] > 0 else pooled
        one = _campaign_credit(tables, campaign, conversions, baseline, regression)
        for name, values in one.items():
            credit[name] += values
        rows.append(
            {
                "campaign_id": campaign,
                "paths": int(paths),
                "conversions": int(conversions),
                "baseline": baseline,
                "control": found,
                "totals": {name: float(values.sum()) for name, values in one.items()},
            }
        )
    default = DEFAULT_METHOD if causal else FALLBACK_METHOD
    results = {
        name: {
            "causal": METHODS[name],
            "credit": dict(zip(channels, map(float, values), strict=True)),
            "share": dict(zip(channels, map(float, _shares(values)), strict=True)),
            "total": float(values.sum()),
        }
        for name, values in credit.items()
    }
    warnings += _total_warnings(rows)
    flags = _last_touch_flags(results, default, channels)
    warnings += [{"key": "attribution.warn.last_touch", **flag} for flag in flags]
    warnings += _disagreements(results, channels) if causal else []
    paths = sum(r["paths"] for r in rows)
    from callwise.attribution.text import warning_texts

    said = {lang: warning_texts(warnings, lang) for lang in ("zh", "en")}
    return {
        "campaign_id": campaign_id,
        "lookback_days": tables.lookback_days,
        "alpha": alpha,
        "channels": list(channels),
        "paths": paths,
        "conversions": sum(r["conversions"] for r in rows),
        "touches": {c: int(tables.credits.loc[tables.credits["channel"] == c, "touches"].sum()) for c in channels},
        "baseline": pooled,
        "default_method": default,
        "methods": results,
        "control": control,
        "campaigns": rows,
        "last_touch_flags": flags,
        "warnings": warnings,
        "warning_text": said,
    }


def _campaign_credit(
    tables: PathTables, campaign: str, conversions: float, baseline: float | None, regression: pd.DataFrame | None
) -> dict[str, np.ndarray]:
    channels = tables.channels
    k = len(channels)
    credits = tables.credits[tables.credits["campaign_id"] == campaign]
    transitions = tables.transitions[tables.transitions["campaign_id"] == campaign]
    sets = tables.sets[tables.sets["campaign_id"] == campaign]
    found = {
        "first_touch": m.touch_credit(credits, channels, "first"),
        "last_touch": m.touch_credit(credits, channels, "last"),
        "linear_touch": m.touch_credit(credits, channels, "linear"),
        "markov": m.markov_credit(transitions, channels, conversions),
    }
    if k <= m.MAX_SHAPLEY_CHANNELS:
        n, won = m.set_counts(sets[sets["mask"] > 0], k)
        found["shapley"] = m.shapley_credit(n, won, k, 0.0)
    if baseline is None or regression is None:
        return found
    # Touches are randomised among the customers a channel may reach: the causal methods run within each stratum
    # of eligibility (the channels open to the customer), with that stratum's control members as the baseline.
    markov, shapley, above_total = np.zeros(k), np.zeros(k), 0.0
    steps = tables.set_transitions[tables.set_transitions["campaign_id"] == campaign]
    for eligible, stratum in sets.groupby("eligible"):
        control = stratum[stratum["mask"] == 0]
        members = float(control["n"].sum())
        rate = baseline
        if members >= MIN_STRATUM_CONTROL:
            rate = float(control.loc[control["converted"], "n"].sum()) / members
        n, won = m.set_counts(stratum[stratum["mask"] > 0], k)
        if n[1:].sum() == 0:
            continue
        above_total += float(won[1:].sum()) - rate * float(n[1:].sum())
        markov += m.set_chain_effects(steps[steps["eligible"] == eligible], k, rate)
        shapley += m.shapley_credit(n, won, k, rate, SHAPLEY_ORDER)
    markov = np.maximum(markov, 0.0)
    found["markov_causal"] = markov / markov.sum() * above_total if markov.sum() > 0 else np.zeros(k)
    found["shapley_causal"] = shapley
    row = regression.loc[campaign] if campaign in regression.index else None
    found["regression"] = np.zeros(k) if row is None else row.to_numpy(dtype=float)
    return found


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)


def _pooled_baseline(groups: pd.DataFrame) -> float | None:
    control = groups[groups["group"] == "control"]
    members = float(control["members"].sum())
    return float(control["conversions"].sum()) / members if members > 0 else None


def control_increments(groups: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Per campaign with both groups: the lift (Newcombe's interval) and the incremental conversions (lift × the
    treated); the total over campaigns with its normal interval (the campaigns' variances added)."""
    z = z_value(alpha)
    wide = groups.pivot_table(index="campaign_id", columns="group", values=["members", "conversions"], aggfunc="sum")
    rows = []
    for campaign in wide.index:
        n_t, n_c = (int(wide.get(("members", g), pd.Series(dtype=float)).get(campaign, 0) or 0) for g in _GROUPS)
        c_t, c_c = (int(wide.get(("conversions", g), pd.Series(dtype=float)).get(campaign, 0) or 0) for g in _GROUPS)
        row: dict[str, Any] = {"campaign_id": str(campaign), "treatment": n_t, "control": n_c}
        row.update({"treatment_conversions": c_t, "control_conversions": c_c})
        row["control_rate"] = c_c / n_c if n_c else None
        if n_t and n_c:
            lift, low, high = (float(v) for v in newcombe(c_t, n_t, c_c, n_c, z))
            row.update({"lift": lift, "lift_low": low, "lift_high": high})
            row.update({"incremental": lift * n_t, "low": low * n_t, "high": high * n_t})
        rows.append(row)
    measured = [r for r in rows if "incremental" in r]
    total: dict[str, Any] | None = None
    if measured:
        estimate = sum(r["incremental"] for r in measured)
        se = float(np.sqrt(sum(((r["high"] - r["low"]) / (2 * z)) ** 2 for r in measured)))
        total = {"incremental": estimate, "low": estimate - z * se, "high": estimate + z * se}
    return {"campaigns": rows, "total": total}


_GROUPS = ("treatment", "control")


def _total_warnings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A method whose total in a campaign with a control group is outside that group's interval."""
    found = []
    for row in rows:
        control = row["control"]
        if control is None or "incremental" not in control:
            continue
        for name, total in row["totals"].items():
            if not control["low"] <= total <= control["high"]:
                found.append(
                    {
                        "key": "attribution.warn.total_outside",
                        "method": name,
                        "campaign": row["campaign_id"],
                        "total": total,
                        "low": control["low"],
                        "high": control["high"],
                    }
                )
    return found


def _last_touch_flags(results: dict[str, Any], default: str, channels: tuple[str, ...]) -> list[dict[str, Any]]:
    last, reference = results["last_touch"]["share"], results[default]["share"]
    flags = []
    for channel in channels:
        gap = last[channel] - reference[channel]
        if abs(gap) > LAST_TOUCH_GAP:
            flags.append(
                {
                    "channel": channel,
                    "last_touch": last[channel],
                    "reference": reference[channel],
                    "method": default,
                    "gap": gap,
                }
            )
    return flags


def _disagreements(results: dict[str, Any], channels: tuple[str, ...]) -> list[dict[str, Any]]:
    """Channels where the causal methods' shares differ by more than :data:`DISAGREE_GAP`."""
    names = [name for name, causal in METHODS.items() if causal and name in results]
    found = []
    for channel in channels:
        shares = {name: results[name]["share"][channel] for name in names}
        if max(shares.values()) - min(shares.values()) > DISAGREE_GAP:
            low, high = min(shares, key=shares.__getitem__), max(shares, key=shares.__getitem__)
            found.append(
                {
                    "key": "attribution.warn.disagree",
                    "channel": channel,
                    "low_method": low,
                    "low": shares[low],
                    "high_method": high,
                    "high": shares[high],
                }
            )
    return found
