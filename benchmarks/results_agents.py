"""Agents' fair score against their true skill, on simulated campaigns of the synthetic bank.

A bank of CUSTOMERS is synthesised; CAMPAIGNS campaigns (products in turn) are simulated with
`callwise.synth.simulate.simulate_campaign`: 60% of the customers are members (10% of them control), the
model score is the truth's ``p_knowable`` (the best score the tables allow), and the best-scored block goes
to the first team, the next to the next (lists of different quality). `agent_performance` then scores the
agents from the calls alone; the Spearman correlation of the fair score with each agent's true skill is
reported beside that of the raw conversion-per-connect rate (goal: fair ≥ 0.8).
Writes benchmarks/results/results_agents.json.
Usage: python benchmarks/results_agents.py [customers] [campaigns]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from _bench import write_result
from callwise import __version__
from callwise.results.agents import agent_performance
from callwise.synth import synthesize
from callwise.synth.simulate import simulate_campaign
from callwise.synth.truth import load_truth

PRODUCTS = ("P_WM01", "P_FD01", "P_DEP01", "P_INS01", "P_WM02", "P_CC01")
GOAL = 0.8


def main(customers: int = 200_000, campaigns: int = 6, seed: int = 7) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-agents-") as tmp:
        bank = Path(tmp) / "bank"
        start = time.perf_counter()
        synthesize(bank, customers=customers, seed=seed)
        synth_seconds = time.perf_counter() - start
        truth = load_truth(bank / "_truth")
        roster = pd.read_parquet(bank / "agents.parquet", columns=["agent_id", "team"])
        ids = truth.conversion.index.to_numpy()
        rng = np.random.default_rng(seed)
        calls, scores, incremental = [], [], []
        start = time.perf_counter()
        for c in range(campaigns):
            product = PRODUCTS[c % len(PRODUCTS)]
            chosen = ids[rng.random(len(ids)) < 0.6]
            members = pd.DataFrame(
                {
                    "customer_id": chosen,
                    "group": np.where(rng.random(len(chosen)) < 0.1, "control", "treatment"),
                    "score": truth.conversion[f"p_knowable__{product}"].reindex(chosen).to_numpy(),
                }
            )
            sim = simulate_campaign(bank, product, members, campaign_id=f"SIM{c:02d}", seed=seed * 1_000 + c)
            calls.append(sim.contacts)
            scores.append(members.drop(columns="group").assign(campaign_id=f"SIM{c:02d}"))
            incremental.append(sim.expected_incremental)
        simulate_seconds = time.perf_counter() - start
        contacts = pd.concat(calls, ignore_index=True)
        member_scores = pd.concat(scores, ignore_index=True)
        skill = truth.agents["skill"]
        figures = {}
        for method in ("logistic", "isotonic", "identity"):
            start = time.perf_counter()
            result = agent_performance(contacts, member_scores, agents=roster, calibration=method)
            seconds = time.perf_counter() - start
            a = pd.DataFrame(result["agents"]).set_index("agent_id")
            true = skill.reindex(a.index)
            # skill is relative: the fair score estimates it up to the level the calibration sets
            relative = true / np.average(true, weights=a.expected)
            figures[method] = {
                "spearman_fair_vs_skill": round(float(spearmanr(a.fair_score, true)[0]), 3),
                "spearman_raw_rate_vs_skill": round(float(spearmanr(a.conversion_per_connect, true)[0]), 3),
                "spearman_unshrunk_ratio_vs_skill": round(float(spearmanr(a.ratio, true)[0]), 3),
                "interval_covers_relative_skill": round(
                    float(((a.fair_lower <= relative) & (relative <= a.fair_upper)).mean()), 3
                ),
                "mean_interval_width": round(float((a.fair_upper - a.fair_lower).mean()), 3),
                "prior": {k: round(float(v), 4) for k, v in result["prior"].items()},
                "seconds": round(seconds, 2),
            }
        teams = pd.DataFrame(result["teams"])
    logistic = figures["logistic"]
    output = {
        "benchmark": "results_agents",
        "customers": customers,
        "campaigns": campaigns,
        "agents": len(a),
        "teams": len(teams),
        "contacts": len(contacts),
        "connects": int(a.connects.sum()),
        "conversions_on_call": int(a.conversions.sum()),
        "median_conversions_per_agent": float(a.conversions.median()),
        "skill_sd": round(float(skill.std()), 3),
        "true_incremental_conversions": round(float(np.sum(incremental)), 1),
        "assignment": "by_team_score: best-scored block to the first team, and so on",
        "score": "truth p_knowable of the campaign product (the best score the tables allow)",
        "calibrations": figures,
        "goal_spearman": GOAL,
        "goal_met": logistic["spearman_fair_vs_skill"] >= GOAL,
        "seconds": {"synthesize": round(synth_seconds, 1), "simulate": round(simulate_seconds, 1)},
        "callwise": __version__,
    }
    write_result("results_agents", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=2))
