"""Best time to call: held-out log loss against the baselines, error against the true p(answer), and speed.

1. Synthesise a bank (200,000 customers, seed 7), ingest it, hold out the most recent campaign's attempts,
   fit on the earlier ones and score the held-out attempts with every predictor (and with the truth, the
   floor no model can beat).
2. Fit on all attempts before the list date and compare each predictor's p(answer) with the TRUE p for
   every customer and legal slot (mean absolute error), for customers with and without call history.
3. Speed at the scheduler's scale: fit on 2,000,000 attempts of 1,000,000 customers, then build the
   1,000,000 × 110 probability matrix (10 days × 11 hourly slots).

Writes benchmarks/results/timing.json. Usage: python benchmarks/timing.py [customers] [customers at scale]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from _bench import throwaway_pii, write_result
from callwise import __version__
from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.synth import synthesize
from callwise.synth.truth import Truth, load_truth
from callwise.timing import fit_answer_model, fit_from_lake
from callwise.timing.evaluate import evaluate_answer_model, holdout_cutoff
from callwise.timing.fit import clean_attempts, read_contacts, read_customers
from callwise.timing.hours import default_legal_hours

BLOCK = 50_000


def main(customers: int = 200_000, scale_customers: int = 1_000_000, seed: int = 7) -> dict:
    result: dict = {"benchmark": "timing", "customers": customers, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="callwise-timing-") as tmp:
        started = time.perf_counter()
        manifest = synthesize(Path(tmp) / "bank", customers=customers, seed=seed)
        lake = Lake(Path(tmp) / "lake", threads=2)
        ingest_directory(Path(tmp) / "bank", lake, Path(tmp) / "quarantine", pii=throwaway_pii())
        result["bank_seconds"] = round(time.perf_counter() - started, 1)
        truth = load_truth(manifest["truth"])
        result["holdout"] = held_out(lake, truth)
        result["against_truth"] = against_truth(lake, truth, datetime.fromisoformat(manifest["list_date"]))
    result["scale"] = at_scale(scale_customers, 2 * scale_customers)
    result["goals"] = {
        "beats_both_baselines_on_log_loss": result["holdout"]["beats_baselines"],
        "fit_seconds_max": 30,
        "fit_seconds_at_scale": result["scale"]["fit_seconds"],
    }
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("timing" if customers == 200_000 else f"timing_{customers}", result)
    return result


def held_out(lake: Lake, truth: Truth) -> dict:
    """Fit before the most recent campaign, score its attempts; the truth's own log loss is the floor."""
    contacts = read_contacts(lake)
    cutoff, split = holdout_cutoff(contacts)
    customers = read_customers(lake, ("occupation", "age_band"), cutoff)
    started = time.perf_counter()
    evaluation = evaluate_answer_model(contacts, customers, cutoff)
    seconds = time.perf_counter() - started
    attempts, _ = clean_attempts(contacts, default_legal_hours())
    test = attempts[attempts["ts"] >= cutoff]
    y = test["answered"].to_numpy().astype(int)
    true_p = true_at(truth, test["customer_id"].to_numpy(), test["hour_of_week"].to_numpy())
    segment_only = true_at(truth, test["customer_id"].to_numpy(), test["hour_of_week"].to_numpy(), scale=False)
    predictors = {k: {m: v[m] for m in ("log_loss", "brier", "auc")} for k, v in evaluation["predictors"].items()}
    predictors["truth_segment_profile"] = _scores(y, segment_only)
    predictors["truth"] = _scores(y, true_p)
    return {
        "split": split,
        "cutoff": evaluation["cutoff"],
        "train_attempts": evaluation["train"]["used"],
        "test": evaluation["test"],
        "predictors": predictors,
        "log_loss_gain": evaluation["log_loss_gain"],
        "beats_baselines": evaluation["beats_baselines"],
        "calibration_callwise": evaluation["predictors"]["callwise"]["calibration"],
        "model": evaluation["model"],
        "evaluate_seconds": round(seconds, 2),
    }


def against_truth(lake: Lake, truth: Truth, list_date: datetime) -> dict:
    """Mean absolute error of p(answer) against the truth over every customer × legal slot."""
    started = time.perf_counter()
    model = fit_from_lake(lake, list_date)
    fit_seconds = time.perf_counter() - started
    ids = truth.customers.index.to_numpy()
    slots = model.legal_slots
    history = model.customer_attempts[model.customer_ids.get_indexer(ids)] > 0
    names = ("global", "segment", "callwise", "truth_segment_profile")
    errors = {name: np.zeros(len(ids)) for name in names}
    for start in range(0, len(ids), BLOCK):
        part = ids[start : start + BLOCK]
        true_p = true_matrix(truth, part, slots)
        guesses = {
            "global": model.probabilities(part, slots, level="global"),
            "segment": model.probabilities(part, slots, level="segment"),
            "callwise": model.probabilities(part, slots),
            "truth_segment_profile": true_matrix(truth, part, slots, scale=False),
        }
        for name, p in guesses.items():
            errors[name][start : start + BLOCK] = np.abs(p - true_p).mean(axis=1)
    return {
        "fit_seconds": round(fit_seconds, 2),
        "customers": len(ids),
        "customers_with_history": int(history.sum()),
        "slots": len(slots),
        "kappa_customer": model.fitted["kappa_customer"],
        "customer_mean": model.fitted["customer_mean"],
        "mae": {
            name: {
                "all": round(float(e.mean()), 5),
                "with_history": round(float(e[history].mean()), 5),
                "without_history": round(float(e[~history].mean()), 5),
            }
            for name, e in errors.items()
        },
    }


def true_matrix(truth: Truth, ids: np.ndarray, slots: np.ndarray, scale: bool = True) -> np.ndarray:
    people = truth.customers.reindex(pd.Index(ids))
    base = truth.profiles.reindex(people["segment"]).to_numpy()[:, slots]
    factor = people["answer_scale"].to_numpy()[:, None] if scale else 1.0
    return np.clip(base * factor, 0.0, 0.95)


def true_at(truth: Truth, ids: np.ndarray, slots: np.ndarray, scale: bool = True) -> np.ndarray:
    """True p(answer) of each (customer, slot) pair; without ``scale``, the segment's profile alone."""
    people = truth.customers.reindex(pd.Index(ids))
    rows = truth.profiles.index.get_indexer(people["segment"])
    base = truth.profiles.to_numpy()[rows, slots.astype(int)]
    factor = people["answer_scale"].to_numpy() if scale else 1.0
    return np.clip(base * factor, 0.0, 0.95)


def _scores(y: np.ndarray, p: np.ndarray) -> dict:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    p = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "auc": round(float(roc_auc_score(y, p)), 6),
    }


def at_scale(customers: int = 1_000_000, attempts: int = 2_000_000) -> dict:
    """Fit on 2M attempts of 1M customers, then the 1M × 110 matrix the scheduler asks for."""
    contacts, people = _big_history(customers, attempts)
    with PeakMemory() as fit_memory:
        started = time.perf_counter()
        model = fit_answer_model(contacts, people)
        fit_seconds = time.perf_counter() - started
    slots = np.array([(day % 7) * 24 + hour for day in range(10) for hour in range(9, 20)])  # 10 days × 11 slots
    with PeakMemory() as matrix_memory:
        started = time.perf_counter()
        matrix = model.probabilities(people["customer_id"], slots)
        matrix_seconds = time.perf_counter() - started
    return {
        "attempts": attempts,
        "customers": customers,
        "fit_seconds": round(fit_seconds, 2),
        "fit_extra_memory_mb": fit_memory.extra_mb,
        "matrix_shape": list(matrix.shape),
        "matrix_dtype": str(matrix.dtype),
        "matrix_mb": round(matrix.nbytes / 2**20),
        "matrix_seconds": round(matrix_seconds, 2),
        "matrix_extra_memory_mb": matrix_memory.extra_mb,
        "kappa_customer": model.fitted["kappa_customer"],
        "note": "random history with the synthetic bank's shape (segment hour profile × customer scale)",
    }


class PeakMemory:
    """Peak resident memory above the level at entry, sampled every 10 ms (what a step adds to the process)."""

    def __enter__(self) -> PeakMemory:
        self._process = psutil.Process()
        self._base = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.extra_mb = round((self._peak - self._base) / 2**20)


def _big_history(customers: int, attempts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random call history: 7 occupations with morning or evening habits, customer scales ~ 2·Beta(5, 5)."""
    rng = np.random.default_rng(0)
    occupation = rng.integers(0, 7, customers)
    scale = 2 * rng.beta(5, 5, customers)
    people = pd.DataFrame(
        {
            "customer_id": pd.array([f"C{i:08d}" for i in range(customers)], dtype="str"),
            "occupation": pd.array(np.array(list("ABCDEFG"))[occupation], dtype="str"),
            "age": rng.integers(18, 90, customers),
        }
    )
    who = rng.integers(0, customers, attempts)
    day = rng.integers(0, 300, attempts)
    hour = rng.integers(9, 21, attempts)
    evening = (occupation[who] % 2 == 1) == (hour >= 17)
    p = np.minimum(np.where(evening, 0.45, 0.15) * scale[who], 0.95)
    contacts = pd.DataFrame(
        {
            "customer_id": people["customer_id"].to_numpy()[who],
            "channel": "call",
            "ts": pd.Timestamp("2025-01-06") + pd.to_timedelta(day * 24 + hour, "h"),
            "disposition": pd.array(np.where(rng.random(attempts) < p, "answered", "no_answer"), dtype="str"),
        }
    )
    return contacts, people


if __name__ == "__main__":
    out = main(*[int(a) for a in sys.argv[1:3]])
    print(json.dumps({k: out[k] for k in ("holdout", "against_truth", "scale")}, indent=2, ensure_ascii=False))
