"""A campaign's results at a bank's size: 1M members and 3M outcome rows, on 2 cores (DuckDB).

The lake is made directly with NumPy (no synthetic bank, no ingest): one campaign's members (10% control, three
arms), 1M customers, 200 agents, the campaign's contacts (calls with 1 to 3 attempts per treatment member, a few
SMS) and conversions of several products before and during the window; outcomes split 2:1 between contacts and
conversions. ``member_outcomes`` and then ``campaign_results`` (everything the report shows) are timed on that lake,
twice (the second run reads warm files).
Writes benchmarks/results/results_1m.json.
Usage: python benchmarks/results_1m.py [members] [outcomes]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from _bench import write_result
from callwise import __version__
from callwise.lake import Lake
from callwise.pipeline import stage_peak_memory_mb
from callwise.results.frame import member_outcomes
from callwise.results.summary import campaign_results
from callwise.schema.contract import DISPOSITIONS

COSTS = {"cost_per_call": 4.0, "cost_per_minute": 0.5, "cost_per_sms": 0.05, "value_per_conversion": 800.0}
START = np.datetime64("2026-07-01T09:00:00", "us")
DAY_US = 86_400_000_000
CAMPAIGN, PRODUCT = "BENCH01", "P_WM01"
PROVINCES = np.array(["广东", "上海", "北京", "浙江", "江苏", "四川"])
OCCUPATIONS = np.array(["企业职员", "退休人员", "个体工商户", "公务员", "学生"])


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, np.char.zfill(numbers.astype(str), 8)), pa.string())


def make_lake(root: Path, members: int, outcomes: int, seed: int = 7) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    lake = Lake(root, threads=2)
    n = members
    customer = np.arange(1, n + 1)
    ids = _ids("C", customer)
    lake.write(
        "campaigns",
        pa.table(
            {"campaign_id": [CAMPAIGN], "product_id": [PRODUCT], "start_at": pa.array([START], pa.timestamp("us"))}
        ),
    )
    lake.write("products", pa.table({"product_id": [PRODUCT, "P_FD01"], "value_per_conversion": [800.0, 300.0]}))
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, n).astype("timedelta64[D]")
    lake.write(
        "customers",
        pa.table(
            {
                "customer_id": ids,
                "birth_date": pa.array(birth, pa.date32()),
                "province": pa.array(PROVINCES[rng.integers(0, len(PROVINCES), n)]),
                "occupation": pa.array(OCCUPATIONS[rng.integers(0, len(OCCUPATIONS), n)]),
            }
        ),
    )
    agents = 200
    lake.write(
        "agents",
        pa.table({"agent_id": _ids("A", np.arange(agents)), "team": _ids("T", np.arange(agents) % 10)}),
    )
    control = rng.random(n) < 0.1
    score = rng.random(n)
    arms = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    lake.write(
        "campaign_members",
        pa.table(
            {
                "campaign_id": pa.array(np.full(n, CAMPAIGN)),
                "customer_id": ids,
                "group": pa.array(np.where(control, "control", "treatment")),
                "arm": pa.array(np.where(control, None, arms)),
                "assigned_at": pa.array(np.full(n, START - DAY_US // 2), pa.timestamp("us")),
                "score": score,
                "score_decile": pa.array(10 - np.minimum((score * 10).astype(np.int64), 9), pa.int64()),
            }
        ),
    )
    contacts = outcomes * 2 // 3
    treated = customer[~control]
    who = rng.choice(treated, contacts)
    sms = rng.random(contacts) < 0.05
    dispositions = np.array(DISPOSITIONS)
    lake.write(
        "contacts",
        pa.table(
            {
                "contact_id": _ids("K", np.arange(contacts)),
                "campaign_id": pa.array(np.full(contacts, CAMPAIGN)),
                "customer_id": _ids("C", who),
                "channel": pa.array(np.where(sms, "sms", "call")),
                "ts": pa.array(START + rng.integers(0, 10 * DAY_US, contacts), pa.timestamp("us")),
                "disposition": pa.array(dispositions[rng.integers(0, len(dispositions), contacts)]),
                "agent_id": _ids("A", rng.integers(0, agents, contacts)),
                "duration_s": rng.exponential(60.0, contacts),
            }
        ),
    )
    sales = outcomes - contacts
    amount = rng.choice([10_000.0, 50_000.0, np.nan], sales)
    lake.write(
        "conversions",
        pa.table(
            {
                "customer_id": _ids("C", rng.integers(1, n + 1, sales)),
                "product_id": pa.array(np.where(rng.random(sales) < 0.6, PRODUCT, "P_FD01")),
                "ts": pa.array(START + rng.integers(-400 * DAY_US, 40 * DAY_US, sales), pa.timestamp("us")),
                "amount": pa.array(amount, from_pandas=True),
            }
        ),
    )
    return {"members": n, "contacts": contacts, "conversions": sales}


def main(members: int = 1_000_000, outcomes: int = 3_000_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-results-") as tmp:
        start = time.perf_counter()
        rows = make_lake(Path(tmp) / "lake", members, outcomes)
        made = time.perf_counter() - start
        runs = []
        for _ in range(2):
            lake = Lake(Path(tmp) / "lake", threads=2)
            stage_peak_memory_mb()
            start = time.perf_counter()
            frame = member_outcomes(lake, CAMPAIGN, window_days=30)
            counted = time.perf_counter()
            result = campaign_results(frame, COSTS, 30, campaign_id=CAMPAIGN)
            done = time.perf_counter()
            runs.append(
                {
                    "seconds": round(done - start, 2),
                    "frame_seconds": round(counted - start, 2),
                    "statistics_seconds": round(done - counted, 2),
                    "peak_memory_mb": stage_peak_memory_mb(),
                }
            )
        checks = {
            "rows": len(frame),
            "control": int((frame["group"] == "control").sum()),
            "dials": int(frame["dials"].sum()),
            "converted": int(frame["converted"].sum()),
            "incremental_conversions": result["itt"]["incremental_conversions"],
        }
    output = {
        "benchmark": "results",
        "sizes": rows,
        "outcome_rows": rows["contacts"] + rows["conversions"],
        "engine": "duckdb",
        "threads": 2,
        "lake_made_seconds": round(made, 1),
        "results": runs,  # member_outcomes, then campaign_results (everything the report shows)
        "frame": checks,
        "goal_seconds": 30,
        "callwise": __version__,
    }
    write_result(f"results_{'1m' if members == 1_000_000 else members}", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=2))
