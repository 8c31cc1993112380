"""Channel choice against calls-only planning at equal total cost, scored by the synthetic bank's truth.

A synthetic bank with channels (consents per channel, past randomised multi-channel campaigns, live moments).
One campaign (the wealth product and agents of ``uplift_plan.py``): calls only, as callwise plans today (an
uplift-ranked call list under the agents' capacity), against the channel plan (call, SMS, app push, WeChat,
email or nothing per customer, values with the moment boost) with the calls-only list's cost as its budget,
against the oracle (the same choice made on the true increments, same policy, capacities and budget; its calls
are counted as placed, less the list's control share). Everything is scored by the truth: true incremental
conversions (``_truth/channels.parquet`` inc__<channel>__<product>). Then the speed at 1M customers × 5
channels on a synthetic value matrix.
Writes benchmarks/results/channel_choice.json.
Usage: python benchmarks/channel_choice.py [customers] [speed_customers]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.channels.config import ChannelsConfig
from callwise.channels.optimise import choose
from callwise.channels.plan import plan_channels
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.lists.build import build_list, load_product
from callwise.lists.campaign import Campaign
from callwise.moments import build_moments, default_triggers
from callwise.pipeline import default_list_date, train_uplift_from_lake
from callwise.synth import synthesize

GOAL = 1.25  # channel choice + moments over calls only, true incremental conversions at equal cost
SPEED_GOAL_S = 60.0
PRODUCT = "P_WM01"


def main(customers: int = 100_000, speed_customers: int = 1_000_000, seed: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="callwise-channels-") as tmp:
        root = Path(tmp)
        synthesize(root / "bank", customers=customers, seed=seed, channels=True)
        lake = Lake(root / "lake", threads=2)
        ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
        output = measure(root / "bank", lake, seed)
    output["speed"] = speed(speed_customers, seed)
    output["goals"]["speed_seconds_max"] = SPEED_GOAL_S
    output["goals"]["speed_met"] = output["speed"]["total_seconds"] <= SPEED_GOAL_S
    write_result("channel_choice" if customers >= 50_000 else f"channel_choice_{customers}", output)
    return output


def measure(bank: Path, lake: Lake, seed: int) -> dict[str, Any]:
    manifest = json.loads((bank / "manifest.json").read_text(encoding="utf-8"))
    meta = json.loads((bank / "_truth" / "channels_meta.json").read_text(encoding="utf-8"))
    costs = meta["suggested_costs_cny"]
    day = default_list_date(date.fromisoformat(manifest["end"]))
    model, _ = train_uplift_from_lake(lake, learner="auto", seed=seed)
    settings: dict[str, Any] = {
        "campaign_id": "bench-channels",
        "product_id": PRODUCT,
        "date": day,
        "days": 10,
        "agent_share": 0.25,
        "seed": seed,
        "ranking": "uplift",
        "cost_per_call": costs["call"],
    }
    start = time.perf_counter()
    calls_only = build_list(Campaign(**settings), lake, model)
    calls_seconds = time.perf_counter() - start
    budget = round(len(calls_only.listed) * costs["call"], 2)
    channels = ChannelsConfig(
        budget=budget,
        call={"cost": costs["call"]},
        sms={"cost": costs["sms"], "daily_limit": meta.get("sms_daily_send_limit")},
        app_push={"cost": costs["app_push"]},
        wechat={"cost": costs["wechat"]},
        email={"cost": costs["email"]},
    )
    campaign = Campaign(**settings, channels=channels)
    plain = plan_channels(campaign, lake, model)  # before the moments table exists: no moment term
    start = time.perf_counter()
    moments = build_moments(lake, default_triggers(), datetime_of(day))
    moments_seconds = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_channels(campaign, lake, model)
    plan_seconds = time.perf_counter() - start
    truth = pd.read_parquet(bank / "_truth" / "channels.parquet").set_index("customer_id")

    def true_inc(ids: np.ndarray, channel: str) -> float:
        return float(truth[f"inc__{channel}__{PRODUCT}"].reindex(ids).fillna(0).sum())

    base = true_inc(calls_only.listed["customer_id"].to_numpy(), "call")
    choices = plan.choices
    ours = {
        ch: true_inc(choices.loc[choices["channel"] == ch, "customer_id"].to_numpy(), ch) for ch in plan.values.channels
    }
    ours_total = sum(ours.values())
    # The oracle: the same choice on the true increments (same allowed pairs, capacities, budget).
    used = plan.values.channels
    true_matrix = np.stack(
        [truth[f"inc__{ch}__{PRODUCT}"].reindex(plan.values.ids).fillna(0).to_numpy(float) for ch in used], axis=1
    )
    value = float(load_product(lake, PRODUCT)["value_per_conversion"])
    caps = np.array([plan.capacity[ch] for ch in used])
    # Calls chosen by the oracle lose the list's control share too (held out: no cost, no increment).
    placed = plan.placed
    oracle = choose(
        (true_matrix * value - plan.costs[None, :]) * placed[None, :],
        plan.allowed,
        plan.costs * placed,
        caps,
        plan.budget,
    )
    picked = oracle.chosen >= 0
    oracle_by = {
        ch: float(true_matrix[picked & (oracle.chosen == j), j].sum() * placed[j]) for j, ch in enumerate(used)
    }
    oracle_total = sum(oracle_by.values())
    plain_total = sum(
        true_inc(plain.choices.loc[plain.choices["channel"] == ch, "customer_id"].to_numpy(), ch) for ch in used
    )
    summary = plan.summary
    ratio = round(ours_total / base, 4) if base else None
    return {
        "benchmark": "channel_choice",
        "customers": manifest["customers"],
        "seed": seed,
        "campaign": {"product_id": PRODUCT, "days": 10, "agent_share": 0.25, "costs_cny": costs},
        "budget_cny": budget,
        "calls_only": {
            "listed": len(calls_only.listed),
            "cost_cny": budget,
            "true_incremental_conversions": round(base, 3),
            "seconds": round(calls_seconds, 1),
        },
        "channel_choice": {
            "chosen": {ch: summary["per_channel"][ch]["chosen"] for ch in used},
            "cost_cny": summary["cost"],
            "true_incremental_conversions": round(ours_total, 3),
            "true_incremental_by_channel": {ch: round(v, 3) for ch, v in ours.items()},
            "expected_incremental_conversions": summary["expected_incremental_conversions"],
            "moment_live_chosen": summary["moment_live_chosen"],
            "optimiser": summary["optimiser"],
            "effects": summary["effects"],
            "seconds": round(plan_seconds, 1),
            "steps_seconds": plan.seconds,
        },
        "channel_choice_without_moments": {"true_incremental_conversions": round(plain_total, 3)},
        "oracle": {
            "chosen": {ch: int((oracle.chosen == j).sum()) for j, ch in enumerate(used)},
            "cost_cny": round(oracle.spent, 2),
            "true_incremental_conversions": round(oracle_total, 3),
            "true_incremental_by_channel": {ch: round(v, 3) for ch, v in oracle_by.items()},
        },
        "moments_built": {"rows": moments.rows, "seconds": round(moments_seconds, 1)},
        "ratios": {
            "channel_choice_vs_calls_only": ratio,
            "without_moments_vs_calls_only": round(plain_total / base, 4) if base else None,
            "oracle_vs_calls_only": round(oracle_total / base, 4) if base else None,
            "channel_choice_share_of_oracle": round(ours_total / oracle_total, 4) if oracle_total else None,
        },
        "goals": {"channel_choice_vs_calls_only_min": GOAL, "met": bool(ratio is not None and ratio >= GOAL)},
        "callwise": __version__,
    }


def datetime_of(day: date) -> Any:
    from datetime import datetime, time

    return datetime.combine(day, time.min)


def speed(n: int, seed: int) -> dict[str, Any]:
    """The value and optimisation steps at ``n`` customers × 5 channels, on a synthetic value matrix (a channel
    bank of a million customers takes too long to make here): values from per-stratum ratios times a call uplift,
    a sixth of the customers with a live moment, 30% of the pairs barred by the policy."""
    from callwise.channels.effects import ChannelEffect, ChannelEffects
    from callwise.channels.strata import STRATA
    from callwise.channels.values import channel_values

    rng = np.random.default_rng(seed)
    channels = ("call", "sms", "app_push", "wechat", "email")
    effects = ChannelEffects(
        {
            ch: ChannelEffect(
                ch,
                0.003,
                0.001,
                5000,
                3,
                dict.fromkeys(STRATA, 0.003),
                r,
                {s: r * (1 + 0.2 * i) for i, s in enumerate(STRATA)},
            )
            for ch, r in zip(channels, (1.0, 0.16, 0.22, 0.2, 0.04), strict=True)
        },
        datetime_of(date(2026, 7, 1)),
        True,
        1.6,
        3000,
    )
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    stratum = np.array(STRATA, dtype=object)[rng.integers(0, len(STRATA), n)]
    live = rng.random(n) < 1 / 6
    uplift = rng.gamma(0.6, 0.04, n) - 0.005
    costs = np.array([5.0, 0.05, 0.005, 0.02, 0.01])
    start = time.perf_counter()
    values = channel_values(ids, stratum, live, effects, channels, costs, 800.0, uplift)
    value_seconds = time.perf_counter() - start
    allowed = rng.random((n, 5)) > 0.3
    caps = np.array([n * 0.02, 200_000 * 10, np.inf, np.inf, np.inf])
    budget = float(n * 0.02 * 5.0)
    start = time.perf_counter()
    choice = choose(values.value, allowed, costs, caps, budget)
    optimise_seconds = time.perf_counter() - start
    return {
        "customers": n,
        "channels": 5,
        "value_matrix": "synthetic (see the docstring)",
        "value_seconds": round(value_seconds, 2),
        "optimise_seconds": round(optimise_seconds, 2),
        "total_seconds": round(value_seconds + optimise_seconds, 2),
        "gap": round(choice.gap, 6),
        "lp_rows": choice.lp_rows,
        "chosen": {ch: int((choice.chosen == j).sum()) for j, ch in enumerate(channels)},
    }


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=2, ensure_ascii=False))
