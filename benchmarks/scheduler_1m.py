"""The scheduler at bank scale: 1,000,000 eligible customers, 200 agents, 10 days × 11 hourly slots.

Answer probabilities follow the synthetic bank's life-situation profiles in each customer's local time (two
time zones), with a personal propensity and personal day-part habits, so no two customers are alike; the
contact policy's quiet hours apply. Writes benchmarks/results/scheduler_1m.json: planning seconds, peak
memory, the objective against the LP bound (gap) and capacity use.
Usage: python benchmarks/scheduler_1m.py [customers] [agents]
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from _bench import write_result
from callwise import __version__
from callwise.policy import default_policy, legal_slot_mask, local_hour_of_week
from callwise.schedule.slots import campaign_slots, workforce
from callwise.schedule.stage import plan_calls
from callwise.schema.contract import PHONE_KEY
from callwise.synth import behaviour as bh
from callwise.synth.activity import agents_table
from callwise.synth.people import SEGMENTS

ZONES = ("Asia/Shanghai", "Asia/Urumqi")


def problem(customers: int, agents: int, seed: int = 3) -> tuple:
    rng = np.random.default_rng(seed)
    days = [date(2026, 7, 1) + timedelta(days=d) for d in range(10)]
    slots = campaign_slots(days, 9, 20)
    weights = np.array([s[2] for s in SEGMENTS], float)
    segment = rng.choice(len(SEGMENTS), customers, p=weights / weights.sum())
    zone = np.where(rng.random(customers) < 0.03, 1, 0)
    scale = 2 * rng.beta(5, 5, customers)
    habit = rng.lognormal(0, 0.25, (customers, 4)).astype(np.float32)  # personal day-part habits
    policy = default_policy()
    p = np.zeros((customers, len(slots)), np.float32)
    legal = legal_slot_mask(policy, slots.starts, np.array(ZONES, dtype=object))
    for z, name in enumerate(ZONES):
        rows = np.flatnonzero(zone == z)
        hours = local_hour_of_week(slots.starts, name)
        part = np.searchsorted([12, 14, 18], hours % 24, side="right")
        base = bh.PROFILE_MATRIX[segment[rows]][:, hours] * scale[rows, None] * habit[rows][:, part]
        p[rows] = np.clip(base, 0, 0.95) * legal.mask[list(legal.zones).index(name)]
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:08d}" for i in range(customers)],
            PHONE_KEY: [f"138{i:08d}".encode() for i in range(customers)],  # the number as the lake keys it
            "phone_masked": "138****0000",
            "score": np.clip(rng.beta(1.2, 30, customers), 0, 1),
            "attempts_left": 3,
            "group": np.where(rng.random(customers) < 0.1, "control", "treatment"),
        }
    )
    frame["priority"] = frame["score"].rank(ascending=False, method="first").astype(int)
    force = workforce(agents_table(agents, rng).to_pandas(), slots, None, ["zh"])
    return frame, p, force, slots


def main(customers: int = 1_000_000, agents: int = 200) -> dict:
    frame, p, force, slots = problem(customers, agents)
    start = time.perf_counter()
    plan = plan_calls(frame, p, force, slots, 3_000.0, 5.0, 3, control_share=0.1, seed=0)
    seconds = time.perf_counter() - start
    summary = plan.summary
    result = {
        "benchmark": "scheduler",
        "customers": customers,
        "agents": agents,
        "slots": len(slots),
        "plan_seconds": round(seconds, 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "solver": summary["solver"],
        "lp_rows": summary["lp_rows"],
        "pricing_rounds": summary["pricing_rounds"],
        "objective": summary["objective"],
        "lp_bound": summary["lp_bound"],
        "gap": summary["gap"],
        "planned_customers": summary["planned_customers"],
        "called_customers": summary["called_customers"],
        "planned_calls": summary["planned_calls"],
        "expected_calls": summary["expected_calls"],
        "capacity_calls": summary["capacity_calls"],
        "utilisation": summary["utilisation"],
        "goals": {"plan_seconds_max": 60, "peak_memory_mb_max": 6144, "gap_max": 0.01},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "callwise": __version__,
    }
    write_result("scheduler_1m" if customers == 1_000_000 else f"scheduler_{customers}", result)
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), indent=2))
