"""Lists ranked by increment against the truth: the uplift-ranked schedule beside the response-ranked one.

The bank, campaign, capacity and agents of ``plan_quality.py``. Two lists of the same campaign: ranked by the
response model (trained on past treatment members, as today) and by the uplift model (trained on past treatment
and control members, ``ranking: uplift``). Each schedule is scored by the truth in the bank's ``_truth/``: true
incremental conversions (what the calls cause), true conversions and calls; beside them the ceilings planned on
the response list's customers (nearly every eligible one): the best increment the tables allow, timed perfectly
and by callwise's answer model, and the oracle's increment.
Writes benchmarks/results/uplift_plan.json.
Usage: python benchmarks/uplift_plan.py [customers]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.lists.build import ListResult, build_list
from callwise.lists.campaign import Campaign
from callwise.pipeline import default_list_date, train_from_lake, train_uplift_from_lake
from callwise.synth import synthesize
from callwise.synth.against_truth import compare_increment_schedules_with_truth, score_plans, true_answer_matrix
from callwise.synth.truth import load_truth

GOAL = 1.3  # the uplift-ranked schedule's true incremental conversions over the response-ranked one's


def main(customers: int = 200_000, seed: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="callwise-uplift-plan-") as tmp:
        root = Path(tmp)
        synthesize(root / "bank", customers=customers, seed=seed)
        lake = Lake(root / "lake", threads=2)
        ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
        output = measure(root / "bank", lake, seed)
    write_result("uplift_plan", output)
    return output


def measure(bank: Path, lake: Lake, seed: int) -> dict[str, Any]:
    """Both lists of the campaign on an ingested synthetic bank, scored by its truth."""
    manifest = json.loads((bank / "manifest.json").read_text(encoding="utf-8"))
    response_model, _ = train_from_lake(lake, "lightgbm", seed=seed)
    start = time.perf_counter()
    uplift_model, card = train_uplift_from_lake(lake, learner="auto", seed=seed)
    fit_seconds = time.perf_counter() - start
    day = default_list_date(date.fromisoformat(manifest["end"]))
    settings: dict[str, Any] = {"campaign_id": "bench-wealth", "product_id": "P_WM01", "date": day, "days": 10}
    campaign = Campaign(**settings, agent_share=0.25, seed=seed)  # the campaign of plan_quality.py
    response = build_list(campaign, lake, response_model)
    start = time.perf_counter()
    uplift = build_list(Campaign(**settings, agent_share=0.25, seed=seed, ranking="uplift"), lake, uplift_model)
    build_seconds = time.perf_counter() - start
    ceilings = compare_increment_schedules_with_truth(response, bank / "_truth")
    uplift_plan = _scored(uplift, bank / "_truth")
    plans = ceilings["plans"]
    schedules = {
        "response_ranked": plans["callwise"],
        "uplift_ranked": uplift_plan,
        "best_from_tables_by_increment_own_timing": plans["best_from_tables_by_increment_own_timing"],
        "best_from_tables_by_increment": plans["best_from_tables_by_increment"],
        "oracle_by_increment": plans["oracle_by_increment"],
    }
    base = schedules["response_ranked"]["true_incremental_conversions"]
    ratios = {name: round(s["true_incremental_conversions"] / base, 4) for name, s in schedules.items()}
    selection = card.get("selection", {})
    return {
        "benchmark": "uplift_plan",
        "customers": manifest["customers"],
        "seed": seed,
        "campaign": {"product_id": campaign.product_id, "days": campaign.days, "agent_share": campaign.agent_share},
        "capacity_calls": ceilings["capacity_calls"],
        "uplift_model": {
            "learner": selection.get("learner"),
            "cv_qini": selection.get("cv_qini"),
            "rows": card.get("rows"),
            "treated": card.get("treated"),
            "control": card.get("control"),
            "positives": card.get("positives"),
            "fit_seconds": round(fit_seconds, 1),
        },
        "lists": {
            name: {
                "eligible": result.summary["eligible"],
                "listed": result.summary["listed"],
                "ranking": result.summary.get("ranking", name),
                "excluded": _ranking_exclusions(result),
            }
            for name, result in (("response", response), ("uplift", uplift))
        },
        "uplift_build_seconds": round(build_seconds, 1),
        "schedules": schedules,
        "incremental_vs_response": ratios,
        "uplift_share_of_best_from_tables": round(
            uplift_plan["true_incremental_conversions"]
            / schedules["best_from_tables_by_increment"]["true_incremental_conversions"],
            4,
        ),
        "goals": {
            "uplift_vs_response_min": GOAL,
            "uplift_vs_response": ratios["uplift_ranked"],
            "met": ratios["uplift_ranked"] >= GOAL,
        },
        "callwise": __version__,
    }


def _scored(result: ListResult, truth_dir: Path) -> dict[str, Any]:
    """A list's own schedule scored by the truth (its customers, its plan)."""
    truth = load_truth(truth_dir)
    inputs = result.planning
    return score_plans({"own": inputs.plan}, inputs, truth, true_answer_matrix(inputs, truth))["own"]


def _ranking_exclusions(result: ListResult) -> dict[str, int]:
    """Eligible customers left off by the ranking, by reason code (negative_uplift only when ranked by uplift)."""
    reasons = result.excluded["reason"].value_counts()
    wanted = ("negative_uplift", "not_worth_calling", "below_capacity", "control_group")
    return {reason: int(reasons.get(reason, 0)) for reason in wanted}


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:2]]), indent=2))
