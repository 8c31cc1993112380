"""10M customers through features → score → policy on one machine, DuckDB spilling to disk.

The lake is a synthetic bank of ``base`` customers, ingested as a bank would, then tiled: every table that
belongs to a customer is repeated ``customers / base`` times, each copy's customer_id (and contact_id) given its
copy's suffix, so the lake holds ``customers`` distinct customers with realistic histories (10M customers: about
900M rows). The model is trained on the base lake. The stages then run on the whole lake as the daily list build
runs them, except that features are computed one bucket of customers at a time (a tile), written to Parquet and
scored from there batch by batch: at this size nothing that has one row per customer and feature is held in memory
at once. (One features query over all 10M customers ran out of DuckDB's 8 GB.)

Writes benchmarks/results/scale_10m.json: seconds, rows/s and peak memory per stage, DuckDB's memory limit and
the bytes it spilled. Usage: python benchmarks/scale_10m.py [customers] [base] [memory_limit]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from contextlib import suppress
from datetime import date, datetime
from datetime import time as datetime_time
from pathlib import Path

import ibis

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.features import customer_features
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.lists.build import load_product
from callwise.models.lake_score import score_on_lake
from callwise.pipeline import default_list_date, peak_memory_mb, stage_peak_memory_mb, train_from_lake
from callwise.policy import default_policy, evaluate_customers
from callwise.synth import synthesize

# Columns that name one customer's row in a tiled table; each copy gets its own suffix on them.
TILED_KEYS = ("customer_id", "contact_id")


def tile_lake(base: Lake, out: Lake, copies: int, memory_limit: str) -> int:
    """Write ``copies`` copies of every customer's rows into ``out``; return the rows written.

    The copies' order within a file does not matter, so DuckDB may stream them out as they come instead of
    holding (and spilling) a whole table to keep the order of the union.
    """
    con = ibis.duckdb.connect(threads=2, memory_limit=memory_limit, preserve_insertion_order=False)
    rows = 0
    for name in base.names():
        table = con.read_parquet(base.path(name))
        keys = [k for k in TILED_KEYS if k in table.columns]
        if keys and copies > 1:
            parts = [table.mutate(**{k: table[k].concat(ibis.literal(f"-{i}")) for k in keys}) for i in range(copies)]
            table = ibis.union(*parts)
        out.root.mkdir(parents=True, exist_ok=True)
        con.to_parquet(table, out.path(name), compression="zstd")
        rows += int(out.table(name).count().to_pyarrow().as_py())
    return rows


class SpillWatch(threading.Thread):
    """The largest size DuckDB's spill folder reached, sampled twice a second: proof that it spilled, and how much."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak_bytes, self._done = folder, 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self._done.wait(0.5):
            self.peak_bytes = max(self.peak_bytes, _folder_bytes(self.folder))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _folder_bytes(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):  # os.walk skips a folder removed while it walks
        for name in files:
            with suppress(FileNotFoundError):  # DuckDB removed it while we counted
                total += os.stat(os.path.join(parent, name)).st_size
    return total


def main(customers: int = 10_000_000, base: int = 1_000_000, memory_limit: str = "8GB") -> dict:
    copies = max(1, customers // base)
    customers = base * copies
    stages: dict[str, dict] = {}

    def timed(name: str, started: float, rows: int) -> None:
        seconds = time.perf_counter() - started
        stages[name] = {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / max(seconds, 1e-9))}
        stages[name]["peak_memory_mb"] = stage_peak_memory_mb()

    with tempfile.TemporaryDirectory(prefix="callwise-scale-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        manifest = synthesize(root / "bank", customers=base, seed=11, fmt="parquet")
        small = Lake(root / "base", threads=2)
        ingest_directory(root / "bank", small, root / "quarantine", pii=throwaway_pii())
        model, _ = train_from_lake(small, "lightgbm", seed=11)
        timed("prepare_base", t, base)

        t = time.perf_counter()
        lake = Lake(root / "lake", threads=2, memory_limit=memory_limit, spill_dir=root / "spill")
        spill = SpillWatch(root / "spill")
        lake_rows = tile_lake(small, lake, copies, memory_limit)
        timed("tile", t, lake_rows)

        product_id = sorted(p["product_id"] for p in manifest["products"] if p["category"] == "wealth")[0]
        product = load_product(lake, product_id)
        day = default_list_date(date.fromisoformat(str(manifest["end"])))

        t = time.perf_counter()
        verdicts = evaluate_customers(lake, default_policy(), product, "scale", day)
        timed("policy", t, len(verdicts.frame))
        eligible = int(verdicts.primary.isna().sum())
        del verdicts

        t = time.perf_counter()
        features_dir = root / "features"
        features_dir.mkdir()
        cutoff = datetime.combine(day, datetime_time.min)  # as a list built on that day sees the lake
        for i in range(copies):  # one bucket of customers at a time (here: a copy), as docs/scale.md lays out
            c = lake.table("customers")
            bucket = c.filter(c.customer_id.endswith(f"-{i}")) if copies > 1 else c
            part = customer_features(lake, cutoff, product_id, customers=bucket.select("customer_id"))
            lake.con.to_parquet(part, features_dir / f"part-{i:03d}.parquet", compression="zstd")
        timed("features", t, customers)
        features_path = str(features_dir / "*.parquet")

        t = time.perf_counter()
        scored = score_on_lake(lake, lake.con.read_parquet(features_path), model)
        timed("score", t, int(scored.count().to_pyarrow().as_py()))
        spill.stop()

    result = {
        "benchmark": "scale",
        "customers": customers,
        "base_customers": base,
        "copies": copies,
        "lake_rows": lake_rows,
        "eligible": eligible,
        "engine": "duckdb",
        "memory_limit": memory_limit,
        "spilled_mb_max": round(spill.peak_bytes / 2**20, 1),
        "stages": stages,
        "seconds_features_score_policy": round(sum(stages[s]["seconds"] for s in ("features", "score", "policy")), 2),
        # The goal is for the three stages on the 10M lake; the process's own peak also covers making the lake.
        "peak_memory_mb_stages": max(stages[s]["peak_memory_mb"] for s in ("features", "score", "policy")),
        "peak_memory_mb": peak_memory_mb(),
        "goals": {"seconds_max": 900, "peak_memory_mb_max": 16384},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "callwise": __version__,
    }
    write_result("scale_10m" if customers == 10_000_000 else f"scale_{customers}", result)
    return result


if __name__ == "__main__":
    args = sys.argv[1:]
    out = main(*(int(a) for a in args[:2]), *args[2:3])
    keys = ("seconds_features_score_policy", "peak_memory_mb_stages", "spilled_mb_max", "stages")
    print(json.dumps({k: out[k] for k in keys}, indent=2))
