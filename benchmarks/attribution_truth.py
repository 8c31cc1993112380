"""Attribution against the synthetic bank's true channel shares.

1. Synthesise a bank with channels (200,000 customers by default, seed 7) and ingest the tables attribution reads
   (customers, products, campaigns, campaign_members, contacts, conversions, consents).
2. For each past multi-channel campaign of ``_truth/attribution.json``, ``attribution_report(lake, campaign)``
   (timed); each method's credits are summed over the campaigns and its shares compared with the true overall
   shares: the largest absolute error in percentage points, per method and per campaign. Also two variants the
   report does not show, measured to say why: the first-order Markov chain with the removed channel sent to a
   baseline state (``markov_first_order_baseline``) and the causal Shapley on raw coalition rates over the whole
   campaign, without the strata of consent (``shapley_causal_raw``).
3. The control group's increment against the causal methods' totals and the true expected increment.
Everything at two lookbacks (:data:`LOOKBACKS`).

Writes benchmarks/results/attribution_truth.json (other sizes: attribution_truth_<customers>.json).
Usage: python benchmarks/attribution_truth.py [customers]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.attribution import methods as m
from callwise.attribution.paths import path_tables
from callwise.attribution.report import attribution_report
from callwise.ingest import ingest_files
from callwise.ingest.run import find_sources
from callwise.lake import Lake
from callwise.synth import synthesize

TABLES = ("customers", "products", "campaigns", "campaign_members", "contacts", "conversions", "consents")
# 30 days after the campaign's end is the report's default (the control members' window too); 14 shows what a window
# shorter than the bank's 30 days of buying costs.
LOOKBACKS = (30, 14)
GOALS = {"max_error_pp_markov_causal": 5.0, "max_error_pp_shapley_causal": 5.0}


def _pp(shares: dict[str, float], truth: dict[str, float]) -> float:
    return round(100 * max(abs(shares.get(c, 0.0) - truth[c]) for c in truth), 2)


def _shares(credit: dict[str, float]) -> dict[str, float]:
    total = sum(credit.values())
    return {c: (v / total if total else 0.0) for c, v in credit.items()}


def _variants(lake: Lake, campaign: str, lookback_days: int) -> dict[str, dict[str, float]]:
    """The two variants the report does not show, on one campaign's paths."""
    tables = path_tables(lake, campaign, lookback_days)
    k = len(tables.channels)
    groups = tables.groups
    control = groups[groups["group"] == "control"]
    baseline = float(control["conversions"].sum()) / float(control["members"].sum())
    sets = tables.sets[tables.sets["mask"] > 0]
    n, won = m.set_counts(sets, k)
    above = float(won[1:].sum()) - baseline * float(n[1:].sum())
    first_order = m.markov_credit(tables.transitions, tables.channels, above, baseline=baseline)
    raw = m.shapley_credit(n, won, k, baseline)
    return {
        "markov_first_order_baseline": dict(zip(tables.channels, map(float, first_order), strict=True)),
        "shapley_causal_raw": dict(zip(tables.channels, map(float, raw), strict=True)),
    }


def _measure(lake: Lake, truth: dict[str, Any], lookback_days: int) -> dict[str, Any]:
    """Every method against the truth at one lookback: shares summed over the multi-channel campaigns."""
    true_share = truth["overall"]["true_share"]
    channels = list(true_share)
    credit: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    per_campaign = []
    control_total = control_var = seconds = 0.0
    for campaign in truth["campaigns"]:
        cid = campaign["campaign_id"]
        started = time.perf_counter()
        report = attribution_report(lake, cid, lookback_days)
        elapsed = time.perf_counter() - started
        seconds += elapsed
        methods = report["methods"]
        for name, found in {**methods, **_variants(lake, cid, lookback_days)}.items():
            mine = found.get("credit", found)
            into = credit.setdefault(name, dict.fromkeys(channels, 0.0))
            for c in channels:
                into[c] += float(mine.get(c, 0.0))
            totals[name] = totals.get(name, 0.0) + sum(mine.values())
        control = report["control"]["total"]
        control_total += control["incremental"]
        control_var += ((control["high"] - control["low"]) / (2 * 1.959964)) ** 2
        own = {c: campaign["true_share"].get(c, 0.0) for c in campaign["channels"]}
        per_campaign.append(
            {
                "campaign_id": cid,
                "channels": campaign["channels"],
                "seconds": round(elapsed, 1),
                "paths": report["paths"],
                "true_share": {c: round(v, 4) for c, v in own.items()},
                "error_pp": {name: _pp(found["share"], own) for name, found in methods.items()},
                "control_incremental": [round(control[k], 1) for k in ("incremental", "low", "high")],
                "true_expected_incremental": round(sum(campaign["expected_incremental_conversions"].values()), 1),
                "shapley_causal_total": round(methods["shapley_causal"]["total"], 1),
                "last_touch_flags": [f["channel"] for f in report["last_touch_flags"]],
            }
        )
        print(lookback_days, cid, round(elapsed, 1), per_campaign[-1]["error_pp"], flush=True)
    shares = {name: _shares(values) for name, values in credit.items()}
    se = float(np.sqrt(control_var))
    return {
        "share": {name: {c: round(v, 4) for c, v in found.items()} for name, found in shares.items()},
        "max_error_pp": {name: _pp(found, true_share) for name, found in shares.items()},
        "last_touch_error_pp": {c: round(100 * (shares["last_touch"][c] - true_share[c]), 2) for c in channels},
        "incremental": {
            "control_group": round(control_total, 1),
            "control_group_interval": [
                round(control_total - 1.959964 * se, 1),
                round(control_total + 1.959964 * se, 1),
            ],
            "true_expected": round(sum(truth["overall"]["expected_incremental_conversions"].values()), 1),
            "by_method": {name: round(v, 1) for name, v in totals.items()},
        },
        "campaigns": per_campaign,
        "seconds_reports": round(seconds, 1),
    }


def main(customers: int = 200_000, seed: int = 7) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "attribution_truth", "customers": customers, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="callwise-attribution-") as tmp:
        bank = Path(tmp) / "bank"
        started = time.perf_counter()
        synthesize(bank, customers=customers, seed=seed, channels=True)
        result["synth_seconds"] = round(time.perf_counter() - started, 1)
        lake = Lake(Path(tmp) / "lake", threads=2)
        sources = {name: path for name, path in find_sources(bank).items() if name in TABLES}
        started = time.perf_counter()
        ingest_files(sources, lake, Path(tmp) / "quarantine", pii=throwaway_pii())
        result["ingest_seconds"] = round(time.perf_counter() - started, 1)
        truth = json.loads((bank / "_truth" / "attribution.json").read_text(encoding="utf-8"))
        result["true_share"] = {c: round(v, 4) for c, v in truth["overall"]["true_share"].items()}
        result["lookbacks"] = {str(days): _measure(lake, truth, days) for days in LOOKBACKS}
        started = time.perf_counter()
        attribution_report(lake, None, LOOKBACKS[0])
        result["seconds_all_campaigns"] = round(time.perf_counter() - started, 1)
    result["goals"] = GOALS
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("attribution_truth" if customers == 200_000 else f"attribution_truth_{customers}", result)
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
