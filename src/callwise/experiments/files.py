"""An analyst's own scored list in (CSV, XLSX or Parquet), an assignment file out (CSV or Parquet).

Refusals name the file, the column and the line, and come before anything is written; the output is written
to a temporary file and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.experiments.design import ExperimentError
from callwise.export import atomic_file, write_csv
from callwise.ingest.readers import SourceError, open_source

OUTPUT_SUFFIXES = (".csv", ".parquet")


def read_scored_customers(
    path: str | Path, id_column: str = "customer_id", score_column: str = "score"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customer_id + score, customer_id + the file's other numeric columns as covariates)."""
    try:
        source = open_source(path)
        for column in (id_column, score_column):
            if column not in source.columns:
                raise ExperimentError(
                    f"{source.path}: no column {column!r} (the file has: {', '.join(source.columns)})"
                )
        batches = list(source.batches(as_text=True))
    except SourceError as exc:
        raise ExperimentError(str(exc)) from None
    broken = [m for m in source.malformed if not m.blank]
    if broken:
        raise ExperimentError(f"{source.path}: line {broken[0].line} does not have {len(source.columns)} fields")
    frame = pa.Table.from_batches(batches).to_pandas() if batches else pd.DataFrame(columns=source.columns)
    lines = source.lines(0, len(frame))
    keep = ~frame.isna().all(axis=1).to_numpy()  # blank lines
    frame, lines = frame[keep].reset_index(drop=True), lines[keep]
    if frame.empty:
        raise ExperimentError(f"{source.path}: the file has no customers")
    ids = _ids(frame[id_column], lines, source.path, id_column)
    score = _numbers(frame[score_column], lines, source.path, score_column)
    covariates = pd.DataFrame({"customer_id": ids})
    for column in frame.columns:
        if column in (id_column, score_column):
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.notna().sum() == frame[column].notna().sum() and values.notna().any():
            covariates[column] = values.astype(np.float64)
    return pd.DataFrame({"customer_id": ids, "score": score}), covariates


def _ids(column: pd.Series, lines: np.ndarray, path: Path, name: str) -> pd.Series:
    if pd.api.types.is_float_dtype(column) and column.dropna().mod(1).eq(0).all():
        column = column.astype("Int64")  # whole-number ids stored as floats in Parquet: 123, not 123.0
    text = column.astype("str").str.strip()
    empty = (column.isna() | (text == "")).to_numpy()
    if empty.any():
        raise ExperimentError(f"{path}: line {lines[np.flatnonzero(empty)[0]]}: {name} is empty")
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        first = text.iloc[np.flatnonzero(dup)[0]]
        where = lines[(text == first).to_numpy()]
        raise ExperimentError(
            f"{path}: {name} {first!r} appears more than once (lines {where[0]} and {where[1]}); "
            "each customer can be in one group only"
        )
    return text


def _numbers(column: pd.Series, lines: np.ndarray, path: Path, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = column.iloc[i]
        what = "is empty" if pd.isna(raw) or str(raw).strip() == "" else f"{str(raw)!r} is not a number"
        raise ExperimentError(f"{path}: line {lines[i]}: {name} {what}")
    return values


def check_output(path: str | Path) -> Path:
    """Refuse an output name we cannot write before any work is done."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ExperimentError(f"{path}: the output must end in .csv or .parquet")
    if path.is_dir():
        raise ExperimentError(f"{path}: is a directory; give a file name ending in .csv or .parquet")
    return path


def write_assignment(assignment: pd.DataFrame, path: str | Path) -> Path:
    """CSV (UTF-8 with BOM, opens in Excel; u with full precision) or Parquet, written atomically."""
    path = check_output(path)
    if path.suffix.lower() == ".csv":
        return write_csv(assignment, path)
    with atomic_file(path) as handle:
        assignment.to_parquet(handle, index=False)
    return path
