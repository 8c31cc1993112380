"""Loading a saved answer model (``AnswerModel.save`` writes it): Parquet tables and JSON, never pickle.

``answer_model.json`` (parameters and fitted constants), ``segments.parquet`` (profile rows and their
segment values), ``profiles.parquet`` (p, attempts, answered per row and legal slot), ``customers.parquet``
(row, scale, counts and day-part multipliers per customer) and ``model_card.json``. Floats are stored at
full precision, so a loaded model gives exactly the probabilities the saved one gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.export import write_csv
from callwise.jsonfile import read_json
from callwise.timing.fileformat import FORMAT, KIND, STATE, AnswerModelFileError
from callwise.timing.hours import HOURS_OF_WEEK
from callwise.timing.model import AnswerModel
from callwise.timing.segments import KEY_SEP, SegmentLevels


def load_answer_model(directory: str | Path) -> AnswerModel:
    """A saved answer model from its directory."""
    directory = Path(directory)
    path = directory / STATE
    if not path.exists():
        raise AnswerModelFileError(f"{directory}: not a saved answer model (no {STATE})")
    state = read_json(path, AnswerModelFileError, "model")
    if state.get("model") != KIND or state.get("format") != FORMAT:
        raise AnswerModelFileError(f"{path}: not an answer model of format {FORMAT}")
    for name in ("segments.parquet", "profiles.parquet", "customers.parquet"):
        if not (directory / name).exists():
            raise AnswerModelFileError(f"{directory}: the saved answer model has no {name}")
    params = state["params"]
    labels = pd.read_parquet(directory / "segments.parquet")
    columns = tuple(params["segment_columns"])
    keys = []
    for depth, _ in enumerate(columns, start=1):
        part = labels[labels["level"] == "|".join(columns[:depth])]
        key = part[columns[0]]
        for col in columns[1:depth]:
            key = key + KEY_SEP + part[col]
        keys.append(pd.Index(key.to_numpy(dtype=object), dtype="str"))
    n_rows = len(labels)
    prof = pd.read_parquet(directory / "profiles.parquet")
    matrices = {}
    for col, dtype in (("p_answer", float), ("attempts", np.int64), ("answered", np.int64)):
        m = np.zeros((n_rows, HOURS_OF_WEEK), dtype)
        m[prof["row"].to_numpy(), prof["hour_of_week"].to_numpy()] = prof[col].to_numpy()
        matrices[col] = m
    people = pd.read_parquet(directory / "customers.parquet")
    part_cols = [c for c in people.columns if c.startswith("part_")]
    part_adjust = people[part_cols].to_numpy(np.float32) if part_cols else None
    return AnswerModel(
        params=params,
        segments=SegmentLevels(columns, tuple(keys)),
        profiles=matrices["p_answer"],
        attempts=matrices["attempts"],
        answered=matrices["answered"],
        customer_ids=pd.Index(people["customer_id"].to_numpy(dtype=object), dtype="str"),
        customer_rows=people["row"].to_numpy(np.int32),
        customer_scale=people["scale"].to_numpy(np.float32),
        customer_attempts=people["attempts"].to_numpy(np.int32),
        customer_answered=people["answered"].to_numpy(np.int32),
        part_adjust=part_adjust,
        fitted=state["fitted"],
        card=state.get("card", {}),
    )


def write_heatmap(
    model: AnswerModel, path: str | Path, *, segment: str | None = None, customer: str | None = None, lang: str = "zh"
) -> dict[str, Any]:
    """Write one segment's or customer's weekday × hour grid as CSV (UTF-8 with BOM, opens in Excel)."""
    from callwise.i18n import t

    grid = model.heatmap(segment=segment, customer=customer)  # refuses unknown names before writing
    grid.insert(1, "day", [t(f"timing.weekday.{d}", lang) for d in grid["weekday"]])
    path = Path(path)
    write_csv(grid.round(6), path)
    hours = [c for c in grid.columns if c not in ("weekday", "day")]
    values = grid[hours].to_numpy()
    order = np.argsort(-values.ravel(), kind="stable")[:3]
    best = [
        {"hour_of_week": int(grid["weekday"].iloc[i // len(hours)] * 24 + int(hours[i % len(hours)])), "p_answer": v}
        for i, v in zip(order, values.ravel()[order].round(6).tolist(), strict=True)
    ]
    return {"segment": segment, "customer": customer, "path": str(path), "best": best}
