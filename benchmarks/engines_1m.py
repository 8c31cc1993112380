"""The lake's two engines on the daily path: features → score → customer rules, DuckDB and PySpark local[2].

1. Synthesise a bank (1,000,000 customers by default, seed 5) and ingest it; fit a small LightGBM response
   model on DuckDB's training set (once, not compared).
2. On each engine: start it, build the features as of the list date (written to the lake), score them with
   ``score_on_lake`` (on Spark inside the executors), evaluate the customer rules for a five-day plan.
   Seconds per stage and the peak memory of the process and its children (Spark's JVM and Python workers
   are children of this process) while the stage runs.
3. The engines' results are compared: same scores (within 1e-9) and the same number of eligible customers.

Writes benchmarks/results/engines_1m.json. Usage: python benchmarks/engines_1m.py [customers]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.features import customer_features, materialize
from callwise.features.training import training_set
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.lists.build import load_product
from callwise.models import make_model
from callwise.models.lake_score import score_on_lake
from callwise.policy.config import default_policy
from callwise.policy.customers import evaluate_customers
from callwise.synth import synthesize

PRODUCT = "P_WM01"
SPARK_DRIVER_MEMORY = "8g"
ENGINES = ("duckdb", "pyspark")


class PeakMemory:
    """The largest resident memory of this process and all its children, sampled every 50 ms."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _rss(self) -> int:
        total = self.me.memory_info().rss
        for child in self.me.children(recursive=True):
            with suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


@contextmanager
def stage(record: dict[str, Any], name: str):
    with PeakMemory() as memory:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
    record[name] = {"seconds": round(seconds, 2), "peak_memory_mb": round(memory.peak / 2**20)}


def main(customers: int = 1_000_000, seed: int = 5) -> dict:
    result: dict[str, Any] = {"benchmark": "engines", "customers": customers, "seed": seed, "product": PRODUCT}
    with tempfile.TemporaryDirectory(prefix="callwise-engines-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        manifest = synthesize(root / "bank", customers=customers, seed=seed)
        duck = Lake(root / "lake", "duckdb", threads=2)
        ingest_directory(root / "bank", duck, root / "quarantine", pii=throwaway_pii())
        result["bank_seconds"] = round(time.perf_counter() - started, 1)
        list_date = date.fromisoformat(str(manifest["list_date"])[:10])
        cutoff = datetime.combine(list_date, datetime.min.time())
        started = time.perf_counter()
        frame = materialize(training_set(duck)).to_pandas()
        X = frame.drop(columns=["customer_id", "campaign_id", "product_id", "cutoff", "converted"])
        model = make_model("lightgbm", n_estimators=100).fit(X, frame["converted"])
        result["train_seconds_duckdb"] = round(time.perf_counter() - started, 1)
        scores, eligible = {}, {}
        # The features of every customer come back to this process on both engines (to compare them): at 1M
        # customers that needs more than the 2 GB a local session gets by default.
        os.environ.setdefault("SPARK_DRIVER_MEMORY", SPARK_DRIVER_MEMORY)
        result["spark_driver_memory"] = os.environ["SPARK_DRIVER_MEMORY"]
        for engine in ENGINES:
            lake = Lake(root / "lake", engine, threads=2)
            record: dict[str, Any] = {}
            with stage(record, "start"):
                lake.con  # noqa: B018
            with stage(record, "features"):
                lake.write(f"features_{engine}", materialize(customer_features(lake, cutoff, PRODUCT)))
            with stage(record, "score"):
                scored = score_on_lake(lake, lake.table(f"features_{engine}"), model).to_pyarrow()
            with stage(record, "policy"):
                product = load_product(lake, PRODUCT)
                verdicts = evaluate_customers(
                    lake, default_policy(), product, None, list_date, list_date + timedelta(days=4)
                )
            record["total_seconds"] = round(sum(v["seconds"] for v in record.values()), 2)
            result[engine] = record
            order = np.argsort(scored.column("customer_id").to_numpy(zero_copy_only=False))
            scores[engine] = scored.column("score").to_numpy()[order]
            eligible[engine] = int(verdicts.primary.isna().sum())
            print(engine, record, flush=True)
    result["same_scores"] = bool(np.allclose(scores["duckdb"], scores["pyspark"], rtol=1e-9, atol=0))
    result["same_eligible"] = eligible["duckdb"] == eligible["pyspark"]
    result["eligible"] = eligible["duckdb"]
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "spark_master": "local[2]"}
    result["callwise"] = __version__
    write_result("engines_1m" if customers == 1_000_000 else f"engines_{customers}", result)
    return result


if __name__ == "__main__":
    out = main(*(int(a) for a in sys.argv[1:2]))
    assert out["same_scores"] and out["same_eligible"], "the engines disagree"
