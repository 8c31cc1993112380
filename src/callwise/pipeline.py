"""The stages end to end — synthesise, ingest, features, train, list — with timings per stage.

`callwise demo` and the 1M-customer benchmark both run through here, so what the benchmark measures is what
a user runs.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from callwise.lake import Lake

# Columns of the training set that describe the row, not the customer: never model inputs.
META_COLUMNS = ("customer_id", "campaign_id", "product_id", "group", "cutoff", "converted")


@dataclass
class StageClock:
    """Wall time, rows and rows/s for each stage, in the order they ran."""

    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, float]]:
        record: dict[str, float] = {}
        start = time.perf_counter()
        yield record
        seconds = time.perf_counter() - start
        record["seconds"] = round(seconds, 3)
        if record.get("rows"):
            record["rows_per_s"] = round(record["rows"] / seconds) if seconds > 0 else 0
        self.stages[name] = record

    def total_seconds(self) -> float:
        return round(sum(s["seconds"] for s in self.stages.values()), 3)


def peak_memory_mb() -> float:
    """Peak resident memory of this process (and finished children), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def training_frame(lake: Lake, horizon_days: int = 30) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Past campaign members with features as of each campaign's start: (X, y, row descriptions)."""
    from callwise.features import materialize, training_set

    frame = materialize(training_set(lake, horizon_days=horizon_days)).to_pandas()
    frame = frame.sort_values(["campaign_id", "customer_id"], kind="stable").reset_index(drop=True)
    meta = frame[[c for c in META_COLUMNS if c in frame.columns]]
    X = frame.drop(columns=list(meta.columns))
    return X, frame["converted"].astype(int), meta


def train_from_lake(
    lake: Lake, model_name: str = "lightgbm", out_dir: str | Path | None = None, horizon_days: int = 30, seed: int = 0
) -> tuple[Any, dict[str, Any]]:
    """Fit a response model on the lake's past campaigns; save it with a model card when ``out_dir`` is given."""
    from callwise.features.training import TrainingDataError
    from callwise.models import make_model

    X, y, meta = training_frame(lake, horizon_days)
    if y.nunique() < 2:
        raise TrainingDataError("train.one_class")
    model = make_model(model_name, random_state=seed).fit(X, y)
    cutoffs = pd.to_datetime(meta["cutoff"]) if "cutoff" in meta else pd.Series(dtype="datetime64[s]")
    card = {
        "data_window": {
            "campaigns": sorted(meta["campaign_id"].unique().tolist()) if "campaign_id" in meta else [],
            "first_cutoff": str(cutoffs.min()) if len(cutoffs) else None,
            "last_cutoff": str(cutoffs.max()) if len(cutoffs) else None,
            "label": f"converted within {horizon_days} days of the campaign start",
        },
        "rows": len(X),
        "positives": int(y.sum()),
    }
    if out_dir is not None:
        model.save(out_dir, card=card)
    return model, card


def default_list_date(end: date | datetime) -> date:
    """The day after the synthetic history ends: 'today' for the demo's list."""
    day = end.date() if isinstance(end, datetime) else end
    return date.fromordinal(day.toordinal() + 1)
