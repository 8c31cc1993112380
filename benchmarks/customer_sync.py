"""Loading a bank's customers into the operational database: copy the lake's tokens, upsert — SQLite and PostgreSQL.

A 200,000-customer synthetic bank is ingested into a lake (phone, name and ID number sealed there with AES-256-GCM,
phone and ID number hashed for look-up); ``callwise customers sync`` copies the sealed values, never decrypting them,
into a fresh operational database, then syncs again (every customer updated in place).
Writes benchmarks/results/customer_sync.json.
Usage: python benchmarks/customer_sync.py [customers]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.ops.customers import sync_customers
from callwise.ops.db import make_engine, scratch_schema, session_factory
from callwise.ops.migrate import upgrade
from callwise.synth import synthesize


def _run(url: str, lake: Lake) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    figures = {}
    for name in ("first", "again"):
        start = time.perf_counter()
        report = sync_customers(factory, lake)
        seconds = time.perf_counter() - start
        figures[name] = {
            "seconds": round(seconds, 1),
            "customers_per_s": round(report.read / seconds),
            "inserted": report.inserted,
            "updated": report.updated,
        }
    engine.dispose()
    return figures


def main(customers: int = 200_000, seed: int = 7) -> dict:
    with tempfile.TemporaryDirectory(prefix="callwise-sync-") as tmp:
        root = Path(tmp)
        synthesize(root / "bank", customers=customers, seed=seed)
        lake = Lake(root / "lake", threads=2)
        ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
        backends = {"sqlite": _run(f"sqlite:///{root / 'ops.db'}", lake)}
        base = os.environ.get("CALLWISE_TEST_PG_URL")
        if base:
            with scratch_schema(base, "cw_sync") as url:
                backends["postgresql"] = _run(url, lake)
        else:
            backends["postgresql"] = {"skipped": "CALLWISE_TEST_PG_URL is not set"}
    output = {
        "benchmark": "customer_sync",
        "customers": customers,
        "backends": backends,
        "callwise": __version__,
    }
    write_result("customer_sync", output)
    return output


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:2]]), indent=2))
