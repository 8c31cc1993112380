"""Model inputs as the models need them: numbers as float, text as categories fixed at fit time.

pandas 3 reads text as ``str`` (not ``object``), which LightGBM refuses; so anything not numeric becomes a
``category`` with the categories seen in training (an unseen value at scoring time becomes missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.models.errors import ModelInputError


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]


def learn_categories(X: pd.DataFrame, min_count: int = 1) -> dict[str, list[str]]:
    """Categories per text column, most frequent first; rarer than ``min_count`` are left out."""
    out = {}
    for c in categorical_columns(X):
        counts = X[c].astype("str").where(X[c].notna()).value_counts()
        out[c] = sorted(counts[counts >= min_count].index.tolist())
    return out


def prepare(
    X: pd.DataFrame, columns: list[str], categories: dict[str, list[str]], keep_unseen: bool = False
) -> pd.DataFrame:
    """``X`` with exactly ``columns``: categories as fitted, everything else as float64.

    ``keep_unseen`` leaves text columns as text, so a model that treats an unseen value differently from a
    missing one (the scorecard) can still tell them apart.
    """
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"the data lacks the model's columns: {', '.join(missing[:5])}")
    out = {}
    for c in columns:
        if c in categories and keep_unseen:
            out[c] = X[c].astype("str").where(X[c].notna())
        elif c in categories:
            # Codes by hash look-up; a value unseen at fit time gets -1, i.e. missing.
            known = pd.Index(categories[c])
            codes = known.get_indexer(X[c].astype("str").where(X[c].notna()))
            out[c] = pd.Categorical.from_codes(codes, categories=known)
        else:
            out[c] = pd.to_numeric(X[c], errors="coerce").astype(np.float64)
    return pd.DataFrame(out, index=X.index)


def prepare_matrix(X: pd.DataFrame, columns: list[str], categories: dict[str, list[str]]) -> np.ndarray:
    """The same as :func:`prepare`, as one float matrix (category codes, NaN for missing): the fast path.

    Scoring a million customers spends most of its time here and in the trees, so text is looked up in
    Arrow and no intermediate DataFrame is built.
    """
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"the data lacks the model's columns: {', '.join(missing[:5])}")
    out = np.empty((len(X), len(columns)), dtype=np.float64)
    for j, c in enumerate(columns):
        if c in categories:
            text = pa.array(X[c].astype("str"), type=pa.string(), from_pandas=True)
            codes = pc.index_in(text, value_set=pa.array(categories[c], pa.string()))
            out[:, j] = (
                codes.to_numpy(zero_copy_only=False).astype(np.float64)
                if codes.null_count == 0
                else (pc.fill_null(pc.cast(codes, pa.float64()), np.nan).to_numpy())
            )
        else:
            out[:, j] = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def check_target(y: object) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ModelInputError("models.target.one_column")
    values = set(np.unique(y[~pd.isna(y)]).tolist())
    if not values <= {0, 1}:
        raise ModelInputError("models.target.not_binary", values=sorted(values, key=str)[:5])
    if len(values) < 2:
        raise ModelInputError("models.target.one_class")
    return y.astype(np.int64)
