"""The default tag catalogue built on a synthetic bank: 1,000,000 customers on DuckDB with 2 threads, and the same
tag table on PySpark local[2] at a smaller size, compared cell by cell.

1. Synthesise a bank (1,000,000 customers by default, seed 7) and ingest it; build every tag of the default
   catalogue as of the list date with ``build_tags`` (the query, the quality report and the lake table written):
   seconds, rows, tags and the peak memory of the process while it builds.
2. Synthesise a second, smaller bank (50,000 customers by default) and compute the tag table on DuckDB and on
   PySpark: the same customers, the same columns, every cell equal (floats within 1e-9 relative).

Writes benchmarks/results/tags_build.json. Usage: python benchmarks/tags_build.py [customers] [spark_customers]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from _bench import PeakMemory, throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.synth import synthesize
from callwise.tags import build_tags, default_catalogue, tag_table

GOALS = {"build_seconds_max": 60}
SPARK_DRIVER_MEMORY = "6g"


def _bank(root: Path, customers: int, seed: int) -> tuple[Lake, datetime, float]:
    started = time.perf_counter()
    manifest = synthesize(root / "bank", customers=customers, seed=seed)
    lake = Lake(root / "lake", "duckdb", threads=2)
    ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
    cutoff = datetime.combine(date.fromisoformat(str(manifest["list_date"])[:10]), datetime.min.time())
    return lake, cutoff, round(time.perf_counter() - started, 1)


def differences(a: pa.Table, b: pa.Table, rel: float = 1e-9) -> dict[str, int]:
    """Cells that differ per column (a value on one side only counts), both tables in customer order."""
    if a.schema.names != b.schema.names or a.num_rows != b.num_rows:
        return {"__shape__": 1}
    out = {}
    for name in a.schema.names:
        x, y = a.column(name).to_pandas(), b.column(name).to_pandas()
        missing = x.isna().to_numpy() != y.isna().to_numpy()
        both = ~(x.isna().to_numpy() | y.isna().to_numpy())
        if x.dtype.kind == "f":
            u, v = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            differ = both & ~np.isclose(u, v, rtol=rel, atol=0.0)
        else:
            differ = both & (x.to_numpy(dtype=object) != y.to_numpy(dtype=object)).astype(bool)
        count = int((missing | differ).sum())
        if count:
            out[name] = count
    return out


def main(customers: int = 1_000_000, spark_customers: int = 50_000, seed: int = 7) -> dict[str, Any]:
    catalogue = default_catalogue()
    result: dict[str, Any] = {
        "benchmark": "tags_build",
        "customers": customers,
        "seed": seed,
        "tags": len(catalogue.tags),
        "catalogue": catalogue.sha256,
    }
    with tempfile.TemporaryDirectory(prefix="callwise-tags-") as tmp:
        lake, cutoff, bank_seconds = _bank(Path(tmp) / "big", customers, seed)
        result["bank_seconds"] = bank_seconds
        result["cutoff"] = cutoff.date().isoformat()
        lake.con  # noqa: B018 (the engine started before the clock)
        with PeakMemory() as memory:
            build = build_tags(lake, catalogue, cutoff)
        result["duckdb"] = {
            "threads": 2,
            "seconds": build.seconds,
            "rows": build.rows,
            "tags": build.tags,
            "peak_memory_mb": round(memory.peak / 2**20),
            "rows_per_second": round(build.rows / build.seconds) if build.seconds else None,
        }
        print("duckdb", result["duckdb"], flush=True)
    os.environ.setdefault("SPARK_DRIVER_MEMORY", SPARK_DRIVER_MEMORY)
    with tempfile.TemporaryDirectory(prefix="callwise-tags-spark-") as tmp:
        duck, cutoff, _ = _bank(Path(tmp) / "small", spark_customers, seed + 1)
        spark = Lake(duck.root, "pyspark", threads=2)
        tables, seconds = {}, {}
        for name, lake in (("duckdb", duck), ("pyspark", spark)):
            lake.con  # noqa: B018
            started = time.perf_counter()
            tables[name] = tag_table(lake, catalogue, cutoff).to_pyarrow()
            seconds[name] = round(time.perf_counter() - started, 2)
        differ = differences(tables["duckdb"], tables["pyspark"])
        result["engines"] = {
            "customers": spark_customers,
            "seconds": seconds,
            "cells": tables["duckdb"].num_rows * tables["duckdb"].num_columns,
            "differing_cells": differ,
            "identical": not differ,
            "spark_master": "local[2]",
        }
        print("engines", result["engines"], flush=True)
    result["goals"] = GOALS
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("tags_build" if customers == 1_000_000 else f"tags_build_{customers}", result)
    return result


if __name__ == "__main__":
    out = main(*(int(a) for a in sys.argv[1:3]))
    assert out["engines"]["identical"], "the engines disagree"
