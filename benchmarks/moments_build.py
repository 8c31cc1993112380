"""The default triggers' moments built on a synthetic bank: 1,000,000 customers on DuckDB with 2 threads, the same
moments table on PySpark local[2] at a smaller size compared cell by cell, and — when the bank plants moments
(``_truth/moments.parquet``, a bank made with channels) — how well the triggers recover them.

1. Synthesise a bank with the channel world (1,000,000 customers by default, seed 7: maturities, card bills,
   transfers out, planted moments) and ingest it; build every default trigger's moments
   as of the list date with ``build_moments`` (the one query and the lake table written): seconds, rows, moments
   per trigger and the peak memory of the process while it builds.
2. Recovery: the planted moments live at the list date (``starts_at <= t < ends_at``) against the built ones live
   then, per moment id: precision (built ones that were planted) and recall (planted ones built), at the list date
   and 19 days before it (the list date falls between pay days).
3. Synthesise a second, smaller bank (50,000 customers by default) and build the moments table on DuckDB and on
   PySpark: the same rows, every cell equal.

Writes benchmarks/results/moments_build.json. Usage: python benchmarks/moments_build.py [customers] [spark_customers]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from _bench import PeakMemory, throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.moments import build_moments, default_triggers
from callwise.moments.build import materialize
from callwise.synth import synthesize
from tags_build import differences

GOALS = {"build_seconds_max": 30}
SPARK_DRIVER_MEMORY = "6g"


def _bank(root: Path, customers: int, seed: int) -> tuple[Lake, datetime, float]:
    """A bank with the channel world (maturities, card bills, transfers out and the planted moments' truth)."""
    started = time.perf_counter()
    manifest = synthesize(root / "bank", customers=customers, seed=seed, channels=True)
    lake = Lake(root / "lake", "duckdb", threads=2)
    ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
    as_of = datetime.combine(date.fromisoformat(str(manifest["list_date"])[:10]), datetime.min.time())
    return lake, as_of, round(time.perf_counter() - started, 1)


def recovery(built: pa.Table, truth_file: Path, at: datetime) -> dict[str, Any] | None:
    """Per moment id: planted moments live at ``at``, built ones live at ``at``, both, precision and recall."""
    if not truth_file.exists():
        return None
    truth = pq.read_table(truth_file).to_pandas()
    live = truth[(truth["starts_at"] <= at) & (truth["ends_at"] > at)]
    planted = {(str(c), str(m)) for c, m in zip(live["customer_id"], live["moment_id"], strict=True)}
    frame = built.to_pandas()
    ours = {(str(c), str(m)) for c, m in zip(frame["customer_id"], frame["moment_id"], strict=True)}
    out: dict[str, Any] = {}
    for moment in sorted({m for _, m in planted | ours}):
        p = {k for k in planted if k[1] == moment}
        o = {k for k in ours if k[1] == moment}
        both = len(p & o)
        out[moment] = {
            "planted": len(p),
            "built": len(o),
            "both": both,
            "precision": round(both / len(o), 4) if o else None,
            "recall": round(both / len(p), 4) if p else None,
        }
    return out


def main(customers: int = 1_000_000, spark_customers: int = 50_000, seed: int = 7) -> dict[str, Any]:
    triggers = default_triggers()
    result: dict[str, Any] = {
        "benchmark": "moments_build",
        "customers": customers,
        "seed": seed,
        "triggers": len(triggers),
        "catalogue": triggers.sha256,
    }
    with tempfile.TemporaryDirectory(prefix="callwise-moments-") as tmp:
        lake, as_of, bank_seconds = _bank(Path(tmp) / "big", customers, seed)
        result["bank_seconds"] = bank_seconds
        result["as_of"] = as_of.isoformat()
        lake.con  # noqa: B018 (the engine started before the clock)
        with PeakMemory() as memory:
            build = build_moments(lake, triggers, as_of, "daily")
        result["duckdb"] = {
            "threads": 2,
            "seconds": build.seconds,
            "rows": build.rows,
            "customers_with_a_moment": build.customers,
            "counts": build.counts,
            "skipped": build.skipped,
            "peak_memory_mb": round(memory.peak / 2**20),
        }
        print("duckdb", result["duckdb"], flush=True)
        built = pq.read_table(lake.path("moments"))
        truth_file = Path(tmp) / "big" / "bank" / "_truth" / "moments.parquet"
        result["truth"] = {"as_of": as_of.isoformat(), "moments": recovery(built, truth_file, as_of)}
        earlier = as_of - timedelta(days=19)
        before = materialize(lake, triggers, earlier, "daily")
        result["truth_earlier"] = {"as_of": earlier.isoformat(), "moments": recovery(before, truth_file, earlier)}
        print("truth", result["truth"], result["truth_earlier"], flush=True)
    os.environ.setdefault("SPARK_DRIVER_MEMORY", SPARK_DRIVER_MEMORY)
    with tempfile.TemporaryDirectory(prefix="callwise-moments-spark-") as tmp:
        duck, as_of, _ = _bank(Path(tmp) / "small", spark_customers, seed + 1)
        spark = Lake(duck.root, "pyspark", threads=2)
        tables, seconds = {}, {}
        for name, engine_lake in (("duckdb", duck), ("pyspark", spark)):
            engine_lake.con  # noqa: B018
            started = time.perf_counter()
            tables[name] = materialize(engine_lake, triggers, as_of, "daily")
            seconds[name] = round(time.perf_counter() - started, 2)
        differ = differences(tables["duckdb"], tables["pyspark"])
        result["engines"] = {
            "customers": spark_customers,
            "seconds": seconds,
            "rows": tables["duckdb"].num_rows,
            "cells": tables["duckdb"].num_rows * tables["duckdb"].num_columns,
            "differing_cells": differ,
            "identical": not differ,
            "spark_master": "local[2]",
        }
        print("engines", result["engines"], flush=True)
    result["goals"] = GOALS
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("moments_build" if customers == 1_000_000 else f"moments_build_{customers}", result)
    return result


if __name__ == "__main__":
    out = main(*(int(a) for a in sys.argv[1:3]))
