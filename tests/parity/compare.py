"""The one comparison of the parity suite: two engines' results are the same table.

Same columns in the same order and with the same dtypes; the same rows once both are sorted by ``keys``
(which must identify a row: a tie the sort cannot break would let two different answers compare equal or
two equal ones differ); integers, strings, booleans and timestamps equal; floats within ``rel`` of each other;
a missing value on one side only is a difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

REL = 1e-9


class EnginesDiffer(AssertionError):
    """The two engines gave different results; the message names the first columns that differ."""


def frame_of(result: pd.DataFrame | pa.Table) -> pd.DataFrame:
    return result.to_pandas() if isinstance(result, pa.Table) else result


def assert_same(
    duck: pd.DataFrame | pa.Table, spark: pd.DataFrame | pa.Table, keys: Sequence[str], rel: float = REL
) -> None:
    """Raise :class:`EnginesDiffer` unless the two results are the same table (see the module)."""
    a, b = frame_of(duck), frame_of(spark)
    if list(a.columns) != list(b.columns):
        raise EnginesDiffer(f"columns differ: {list(a.columns)} vs {list(b.columns)}")
    dtypes = {c: (str(a[c].dtype), str(b[c].dtype)) for c in a.columns if str(a[c].dtype) != str(b[c].dtype)}
    if dtypes:
        raise EnginesDiffer(f"dtypes differ: {dtypes}")
    if len(a) != len(b):
        raise EnginesDiffer(f"row counts differ: {len(a)} vs {len(b)}")
    for side, frame in (("duckdb", a), ("pyspark", b)):
        if frame.duplicated(list(keys)).any():
            raise EnginesDiffer(f"{side}: the keys {list(keys)} do not identify a row (ties have no defined order)")
    a = a.sort_values(list(keys), kind="stable").reset_index(drop=True)
    b = b.sort_values(list(keys), kind="stable").reset_index(drop=True)
    problems = [p for c in a.columns if (p := _column_differs(c, a[c], b[c], rel))]
    if problems:
        raise EnginesDiffer("; ".join(problems[:5]))


def _column_differs(name: str, x: pd.Series, y: pd.Series, rel: float) -> str | None:
    missing_x, missing_y = x.isna().to_numpy(), y.isna().to_numpy()
    differ = missing_x != missing_y
    both = ~(missing_x | missing_y)
    if pd.api.types.is_float_dtype(x):
        u, v = x.to_numpy(dtype=np.float64), y.to_numpy(dtype=np.float64)
        close = np.isclose(u, v, rtol=rel, atol=0.0, equal_nan=True)
        differ |= both & ~close
    else:
        equal = (x.to_numpy(dtype=object) == y.to_numpy(dtype=object)).astype(bool)
        differ |= both & ~equal
    if not differ.any():
        return None
    i = int(np.flatnonzero(differ)[0])
    return f"{name}: {int(differ.sum())} rows differ (row {i}: {x.iloc[i]!r} vs {y.iloc[i]!r})"
