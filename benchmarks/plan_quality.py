"""Plan quality against the truth: schedules of the same capacity on a synthetic bank.

The bank's agents give a quarter of their time to the campaign, so capacity binds. The schedules — ranked
then called in order (no timing), callwise's, perfect timing, the best the tables allow, and the oracle
built from the true probabilities — call the same eligible customers with the same agents, days and policy;
each is scored by its true expected conversions from the bank's ``_truth/``.
Writes benchmarks/results/plan_quality.json.
Usage: python benchmarks/plan_quality.py [customers]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.lists.build import build_list
from callwise.lists.campaign import Campaign
from callwise.pipeline import default_list_date, train_from_lake
from callwise.synth import synthesize
from callwise.synth.against_truth import compare_schedules_with_truth, compare_with_truth


def main(customers: int = 200_000, seed: int = 7) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-plan-") as tmp:
        root = Path(tmp)
        manifest = synthesize(root / "bank", customers=customers, seed=seed)
        lake = Lake(root / "lake", threads=2)
        ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
        model, _ = train_from_lake(lake, "lightgbm", seed=seed)
        campaign = Campaign(
            campaign_id="bench-wealth",
            product_id="P_WM01",
            date=default_list_date(date.fromisoformat(manifest["end"])),
            days=10,
            agent_share=0.25,
            seed=seed,
        )
        start = time.perf_counter()
        result = build_list(campaign, lake, model)
        build_seconds = time.perf_counter() - start
        schedules = compare_schedules_with_truth(result, root / "bank" / "_truth")
        lists = compare_with_truth(result, root / "bank" / "_truth", seed=seed)
    output = {
        "benchmark": "plan_quality",
        "customers": customers,
        "seed": seed,
        "campaign": {"product_id": campaign.product_id, "days": campaign.days, "agent_share": campaign.agent_share},
        "build_seconds": round(build_seconds, 1),
        "build_steps": result.seconds,
        "eligible": result.summary["eligible"],
        "listed": result.summary["listed"],
        "plan": {k: result.summary["plan"][k] for k in ("solver", "gap", "utilisation", "expected_calls")},
        "schedules": schedules,
        "list_vs_random_and_oracle": lists,
        "goals": {"share_of_oracle_min": 0.85},
        "callwise": __version__,
    }
    write_result("plan_quality", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:2]]), indent=2))
