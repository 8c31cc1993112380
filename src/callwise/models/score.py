"""Score a table with a saved model: every input row back, with ``score``, ``rank`` and reasons in words."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from callwise.export import write_csv, write_xlsx
from callwise.i18n.message import clipped
from callwise.models.base import ResponseModel
from callwise.models.errors import ModelInputError
from callwise.models.reasons import reason_text

REASONS = 3


def score_frame(
    model: ResponseModel,
    frame: pd.DataFrame,
    lang: str = "zh",
    cells: pd.DataFrame | None = None,
    table: str = "the table",
    model_label: str | None = None,
) -> pd.DataFrame:
    """``frame`` with score (p), rank (1 = best; ties by input order) and reason_1..3.

    ``frame`` is what the model reads (typed as in training); ``cells``, when given, are the same rows as the
    file has them (:func:`~callwise.ingest.readers.read_cells`), written back unchanged instead of ``frame``.
    ``table`` and ``model_label`` (the file and the model directory) name them when a column is missing.
    """
    features = model_features(model, frame, cells, table, model_label)
    p = model.predict_proba(features)[:, 1]
    out = (frame if cells is None else cells).copy()
    out["score"] = np.round(p, 6)
    out["rank"] = rank_of(p)
    for column, words in reasons_in_words(model, features, lang).items():
        out[column] = words
    return out


class Explains(Protocol):
    @property
    def feature_names_in_(self) -> np.ndarray: ...

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame: ...


def model_features(
    model: Explains,
    frame: pd.DataFrame,
    cells: pd.DataFrame | None,
    table: str,
    model_label: str | None,
) -> pd.DataFrame:
    """The model's columns of ``frame``; a missing one, or ``cells`` of other rows, refused in one sentence."""
    if cells is not None and len(cells) != len(frame):
        raise ModelInputError("models.score.cell_rows", cells=len(cells), rows=len(frame))
    missing = [c for c in model.feature_names_in_ if c not in frame.columns]
    if missing:
        label = model_label or getattr(model, "name", type(model).__name__)
        raise ModelInputError("models.refused.missing_columns", table=table, model=label, columns=clipped(missing))
    return frame[list(model.feature_names_in_)]


def rank_of(values: np.ndarray) -> np.ndarray:
    """1 for the highest value, ties in input order."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
    return rank


def reasons_in_words(model: Explains, features: pd.DataFrame, lang: str = "zh") -> dict[str, list[str]]:
    """``reason_1..3`` of each row as words (feature and the row's value), "" where there is no reason."""
    reasons = model.explain(features, top=REASONS)
    position = {str(c): i for i, c in enumerate(features.columns)}
    out = {}
    for i in range(1, REASONS + 1):
        # A model with fewer features than REASONS has fewer reasons; the columns are there all the same.
        names = reasons.get(f"reason_{i}", pd.Series(None, index=reasons.index, dtype=object)).to_numpy()
        values = [features.iat[row, position[n]] if isinstance(n, str) else None for row, n in enumerate(names)]
        out[f"reason_{i}"] = [
            reason_text(n, v, 0.0, lang) if isinstance(n, str) else "" for n, v in zip(names, values, strict=True)
        ]
    return out


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """CSV (UTF-8 with BOM, opens in Excel), Parquet or XLSX, by the file's extension."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")
    elif suffix == ".xlsx":
        write_xlsx(frame, path)
    elif suffix in (".csv", ".txt"):
        write_csv(frame, path)
    else:
        raise ModelInputError("models.score.out_suffix", path=path)
    return path
