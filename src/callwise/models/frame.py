"""Model inputs as the models need them: numbers as float, text as categories fixed at fit time.

pandas 3 reads text as ``str`` (not ``object``), which LightGBM refuses; so anything not numeric becomes a
``category`` with the categories seen in training (an unseen value at scoring time becomes missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]


def learn_categories(X: pd.DataFrame, min_count: int = 1) -> dict[str, list[str]]:
    """Categories per text column, most frequent first; rarer than ``min_count`` are left out."""
    out = {}
    for c in categorical_columns(X):
        counts = X[c].astype("str").where(X[c].notna()).value_counts()
        out[c] = sorted(counts[counts >= min_count].index.tolist())
    return out


def prepare(X: pd.DataFrame, columns: list[str], categories: dict[str, list[str]]) -> pd.DataFrame:
    """``X`` with exactly ``columns``: categories as fitted, everything else as float64."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"the data lacks the model's columns: {', '.join(missing[:5])}")
    out = {}
    for c in columns:
        if c in categories:
            values = X[c].astype("str").where(X[c].notna())
            values = values.where(values.isin(categories[c]))  # unseen at fit time: missing
            out[c] = pd.Categorical(values, categories=categories[c])
        else:
            out[c] = pd.to_numeric(X[c], errors="coerce").astype(np.float64)
    return pd.DataFrame(out, index=X.index)


def check_target(y: object) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError("the target must be one column")
    values = set(np.unique(y[~pd.isna(y)]).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"the target must be 0/1; found values {sorted(values, key=str)[:5]}")
    if len(values) < 2:
        raise ValueError("the target has only one class; a response model needs buyers and non-buyers")
    return y.astype(np.int64)
