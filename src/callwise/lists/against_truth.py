"""How good a list really is, on a synthetic bank whose true conversion probabilities are known.

The list is compared with two lists of the same size drawn from the same eligible customers: a random one
(what calling without a model earns) and the oracle one (the best any model could do).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.lists.build import ListResult


def compare_with_truth(result: ListResult, truth_dir: str | Path, seed: int = 0) -> dict[str, Any]:
    from callwise.synth.truth import conversion_probability, load_truth

    truth = load_truth(truth_dir)
    product_id = result.summary["product_id"]
    eligible = np.sort(result.ranked["customer_id"].to_numpy())  # id order: the random list ignores the ranking
    n = len(result.listed)
    p_call = conversion_probability(truth, eligible, product_id, called=True)
    p_nocall = conversion_probability(truth, eligible, product_id, called=False)
    chosen = {
        "callwise": pd.Index(eligible).get_indexer(result.listed["customer_id"]),
        "random": np.sort(np.random.default_rng(seed).choice(len(eligible), size=n, replace=False)),
        "oracle": np.argsort(-p_call, kind="stable")[:n],
    }
    lists = {
        name: {
            "true_conversions": round(float(p_call[idx].sum()), 3),
            "true_incremental_conversions": round(float((p_call[idx] - p_nocall[idx]).sum()), 3),
        }
        for name, idx in chosen.items()
    }
    ours, random, oracle = (lists[k]["true_conversions"] for k in ("callwise", "random", "oracle"))
    return {
        "listed": n,
        "eligible": len(eligible),
        "lists": lists,
        "vs_random": round(ours / random, 3) if random else None,
        "share_of_oracle": round(ours / oracle, 3) if oracle else None,
    }
