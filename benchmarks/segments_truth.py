"""Segments against the synthetic bank's hidden life situation: do segments found without it recover it?

1. Synthesise a bank (200,000 customers by default, seed 7) and ingest it; the cutoff is the list date.
2. Fit segments with K-means and with Ward (k chosen by silhouette among bootstrap-stable fits), never reading
   ``occupation``; compare each customer's segment with the hidden life situation (``_truth/customers.parquet``,
   column ``segment``) by adjusted Rand: ARI, k, silhouette, stability ARI, seconds. K-means is also fitted at
   k = 7 (the number of life situations) to show what the choice of k costs or gains.
3. What a bank does today, for comparison: RFM-style buckets (balance terciles × transaction terciles) and
   age × income bands. And a ceiling that cheats: the same K-means with ``occupation`` one-hot among the inputs.

Writes benchmarks/results/segments_truth.json. Usage: python benchmarks/segments_truth.py [customers]
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
import pandas as pd
import pyarrow.parquet as pq
from sklearn.metrics import adjusted_rand_score

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.features.asof import customer_features
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.segments import DEFAULT_FEATURES, fit_segments
from callwise.segments.fit import centroids_for, nearest
from callwise.segments.inputs import DEFAULT_WEIGHTS, input_table
from callwise.segments.scale import fit_scaler
from callwise.synth import synthesize

GOALS = {"ari_min": 0.5, "stability_ari_min": 0.8}
LIFE_SITUATIONS = 7


def _truth(bank: Path, ids: pd.Series) -> np.ndarray:
    truth = pq.read_table(bank / "_truth" / "customers.parquet", columns=["customer_id", "segment"]).to_pandas()
    return truth.set_index("customer_id").segment.loc[ids].to_numpy()


def _fit(lake: Lake, bank: Path, cutoff: datetime, method: str, k: int | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    seg = fit_segments(lake, cutoff, k=k, method=method)
    seconds = round(time.perf_counter() - started, 1)
    assigned = lake.table("segments").select("customer_id", "segment_id").to_pandas()
    ari = adjusted_rand_score(_truth(bank, assigned.customer_id), assigned.segment_id)
    return {
        "ari": round(float(ari), 4),
        "k": seg.k,
        "silhouette": seg.silhouette,
        "stability_ari": seg.stability_ari,
        "stable": seg.stable,
        "silhouette_by_k": seg.silhouette_by_k,
        "stability_by_k": seg.stability_by_k,
        "fit_seconds": seconds,
        "segments": [{"id": s.id, "zh": s.name_zh, "en": s.name_en, "share": s.share} for s in seg.segments],
    }


def _buckets(values: pd.Series, q: int) -> np.ndarray:
    ranked = values.fillna(values.median()).rank(method="first")
    return np.asarray(pd.qcut(ranked, q, labels=False))


def _baselines(lake: Lake, bank: Path, cutoff: datetime) -> dict[str, Any]:
    f = customer_features(lake, cutoff).select("customer_id", "age", "income_monthly", "balance_total", "n_tx_90d")
    frame = f.to_pandas()
    truth = _truth(bank, frame.customer_id)
    rfm = _buckets(frame.balance_total, 3) * 3 + _buckets(frame.n_tx_90d, 3)
    age = np.digitize(frame.age.fillna(frame.age.median()), [30, 55])
    bands = age * 3 + _buckets(frame.income_monthly, 3)
    return {
        "rfm_balance_x_activity_terciles": {"cells": 9, "ari": round(float(adjusted_rand_score(truth, rfm)), 4)},
        "age_x_income_bands": {"cells": 9, "ari": round(float(adjusted_rand_score(truth, bands)), 4)},
    }


def _with_occupation(lake: Lake, bank: Path, cutoff: datetime) -> dict[str, Any]:
    """The ceiling: the default inputs plus occupation (the hidden situation itself), K-means at k = 7."""
    frame = input_table(lake, cutoff, DEFAULT_FEATURES).to_pandas()
    people = lake.table("customers").select("customer_id", "occupation").to_pandas()
    frame = frame.merge(people, on="customer_id").sort_values("customer_id").reset_index(drop=True)
    columns = [c for c in frame.columns if c != "customer_id"]
    scaler = fit_scaler(frame, columns, {**DEFAULT_WEIGHTS, "occupation": 2.0})
    matrix = scaler.transform(frame)
    labels, _ = nearest(matrix, centroids_for("kmeans", matrix, LIFE_SITUATIONS, 7, 20_000))
    ari = adjusted_rand_score(_truth(bank, frame.customer_id), labels)
    return {"k": LIFE_SITUATIONS, "ari": round(float(ari), 4)}


def main(customers: int = 200_000, seed: int = 7) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "segments_truth", "customers": customers, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="callwise-segments-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        manifest = synthesize(root / "bank", customers=customers, seed=seed)
        lake = Lake(root / "lake", "duckdb", threads=2)
        ingest_directory(root / "bank", lake, root / "quarantine", pii=throwaway_pii())
        result["bank_seconds"] = round(time.perf_counter() - started, 1)
        cutoff = datetime.combine(date.fromisoformat(str(manifest["list_date"])[:10]), datetime.min.time())
        result["cutoff"] = cutoff.date().isoformat()
        result["features"] = list(DEFAULT_FEATURES)
        result["truth_segments"] = LIFE_SITUATIONS
        for method in ("kmeans", "ward"):
            result[method] = _fit(lake, root / "bank", cutoff, method)
            print(method, {k: v for k, v in result[method].items() if k != "segments"}, flush=True)
        result["kmeans_k7"] = _fit(lake, root / "bank", cutoff, "kmeans", LIFE_SITUATIONS)
        result["ward_k7"] = _fit(lake, root / "bank", cutoff, "ward", LIFE_SITUATIONS)
        result["baselines"] = _baselines(lake, root / "bank", cutoff)
        result["ceiling_with_occupation"] = _with_occupation(lake, root / "bank", cutoff)
        print("baselines", result["baselines"], "ceiling", result["ceiling_with_occupation"], flush=True)
    result["goals"] = GOALS
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("segments_truth" if customers == 200_000 else f"segments_truth_{customers}", result)
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
