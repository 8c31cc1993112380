"""Lake results as pandas frames with the same dtypes whichever engine computed them."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd


def to_pandas(expr: ir.Table) -> pd.DataFrame:
    """``expr.to_pandas()``, timestamps in microseconds (Spark hands back nanoseconds, DuckDB microseconds).

    The lake's files hold microseconds at most, so nothing is lost; a frame from either engine then compares
    and concatenates with the other's without a silent change of unit.
    """
    frame: pd.DataFrame = expr.to_pandas()
    for name in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[name]) and frame[name].dtype != "datetime64[us]":
            frame[name] = frame[name].astype("datetime64[us]")
    return frame
