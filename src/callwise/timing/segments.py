"""Segments: customers grouped by a few columns, nested in the order given (occupation, then age band …).

Each prefix of the segment columns is a level: with ``("occupation", "age_band")`` a retired customer of 67
belongs to ``退休人员`` and to ``退休人员|60+``. A finer segment is shrunk towards its parent, so a thin
segment falls back to its occupation rather than straight to the bank-wide rate. A customer with a missing
value stops at the deepest level it has (none at all → the global profile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.timing.hours import TimingError

AGE_BAND = "age_band"
DEFAULT_SEGMENT_COLUMNS = ("occupation", AGE_BAND)
DEFAULT_AGE_EDGES = (30, 45, 60)
MAX_VALUES = 500  # distinct values a segment column may have; more means it needs banding first
KEY_SEP = "\x1f"
NO_KEY = "\x1e"  # stands for a missing key in lookups; never a real value
LABEL_SEP = "|"


def age_band_labels(edges: tuple[int, ...]) -> list[str]:
    """``(30, 45, 60)`` → ``["<30", "30–45", "45–60", "60+"]``."""
    inner = [f"{a}–{b}" for a, b in pairwise(edges)]
    return [f"<{edges[0]}", *inner, f"{edges[-1]}+"]


def age_bands(age: pd.Series, edges: tuple[int, ...]) -> pd.Series:
    """Band label per age (missing age → missing band)."""
    age = pd.to_numeric(age, errors="coerce")
    idx = np.searchsorted(np.asarray(edges), age.fillna(-1).to_numpy(), side="right")
    labels = np.asarray(age_band_labels(edges), dtype=object)[idx]
    return pd.Series(labels, index=age.index, dtype="str").where(age.notna())


def ages(customers: pd.DataFrame, as_of: datetime | None) -> pd.Series:
    """Age in whole years on ``as_of``: from ``birth_date`` when known, else the ``age`` column (as ``age_on``)."""
    age = pd.to_numeric(customers["age"], errors="coerce") if "age" in customers.columns else None
    if "birth_date" in customers.columns and as_of is not None:
        born = pd.to_datetime(customers["birth_date"])
        before_birthday = (born.dt.month * 100 + born.dt.day) > (as_of.month * 100 + as_of.day)
        from_birth = (as_of.year - born.dt.year - before_birthday.astype(int)).astype(float)
        return from_birth if age is None else from_birth.fillna(age)
    if age is None:
        need = "an 'age' column, or 'birth_date' and an as_of date"
        raise TimingError(f"customers: segment column 'age_band' needs {need}")
    return age


def segment_values(
    customers: pd.DataFrame, columns: tuple[str, ...], as_of: datetime | None, age_edges: tuple[int, ...]
) -> pd.DataFrame:
    """The segment columns as text (missing stays missing), ``age_band`` derived when not given."""
    out = {}
    for col in columns:
        if col in customers.columns:
            values = customers[col]
            out[col] = values.astype("str").where(values.notna())
        elif col == AGE_BAND:
            out[col] = age_bands(ages(customers, as_of), age_edges)
        else:
            raise TimingError(f"customers: no segment column {col!r} (columns: {', '.join(map(str, customers))})")
        distinct = out[col].nunique()
        if distinct > MAX_VALUES:
            raise TimingError(
                f"customers: segment column {col!r} has {distinct:,} distinct values (at most {MAX_VALUES}); band it"
            )
    return pd.DataFrame(out, index=customers.index)


def positions(values: object, universe: pd.Index) -> np.ndarray:
    """Position of each value in ``universe`` (−1 when absent), by Arrow's hash lookup (fast on text)."""
    needles = pa.array(np.asarray(values, dtype=object) if not isinstance(values, pd.Series | pd.Index) else values)
    haystack = pa.array(universe)
    if needles.type != haystack.type:
        needles = needles.cast(haystack.type)
    found = pc.index_in(needles, value_set=haystack)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def level_keys(values: pd.DataFrame, depth: int) -> pd.Series:
    """Key of each customer at the level of the first ``depth`` columns (missing if any value is)."""
    cols = list(values.columns[:depth])
    key = values[cols[0]]
    for col in cols[1:]:
        key = key + KEY_SEP + values[col]
    return key


@dataclass(frozen=True)
class SegmentLevels:
    """Groups per level (sorted keys) and where each level's groups sit among the profile rows."""

    columns: tuple[str, ...]
    keys: tuple[pd.Index, ...]  # per level: the groups' keys, sorted

    @classmethod
    def learn(cls, values: pd.DataFrame) -> SegmentLevels:
        keys = []
        for depth in range(1, values.shape[1] + 1):
            k = level_keys(values, depth).dropna().unique()
            keys.append(pd.Index(np.sort(np.asarray(k, dtype=object)), dtype="str"))
        return cls(tuple(values.columns), tuple(keys))

    @property
    def offsets(self) -> list[int]:
        """First profile row of each segment level (row 0 is the global profile)."""
        sizes = [1] + [len(k) for k in self.keys]
        return [int(o) for o in np.cumsum(sizes)[:-1]]

    @property
    def n_rows(self) -> int:
        return 1 + sum(len(k) for k in self.keys)

    def codes(self, values: pd.DataFrame) -> list[np.ndarray]:
        """Per level, each customer's group number (−1: missing value or a group not seen in fit)."""
        return [positions(level_keys(values, depth).fillna(NO_KEY), k) for depth, k in enumerate(self.keys, start=1)]

    def rows(self, values: pd.DataFrame) -> np.ndarray:
        """Each customer's deepest profile row (0 = global)."""
        row = np.zeros(len(values), np.int64)
        for offset, code in zip(self.offsets, self.codes(values), strict=True):
            row = np.where(code >= 0, offset + code, row)
        return row

    def parents(self) -> np.ndarray:
        """Parent profile row of every row (the global row is its own parent)."""
        parent = [np.zeros(1, np.int64)]
        for depth, k in enumerate(self.keys, start=1):
            if depth == 1:
                parent.append(np.zeros(len(k), np.int64))
                continue
            prefix = pd.Index(pd.Series(k, dtype="str").str.rsplit(KEY_SEP, n=1).str[0])
            parent.append(self.offsets[depth - 2] + self.keys[depth - 2].get_indexer(prefix))
        return np.concatenate(parent)

    def labels(self) -> pd.DataFrame:
        """One row per profile row: level, label (values joined by ``|``) and each column's value."""
        frames = [pd.DataFrame({"level": ["global"], "segment": ["all"]})]
        for depth, k in enumerate(self.keys, start=1):
            parts = pd.Series(k, dtype="str").str.split(KEY_SEP, expand=True, regex=False)
            frame = pd.DataFrame(
                {
                    "level": LABEL_SEP.join(self.columns[:depth]),
                    "segment": pd.Series(k, dtype="str").str.replace(KEY_SEP, LABEL_SEP, regex=False),
                }
            )
            for i in range(depth):
                frame[self.columns[i]] = parts[i] if len(k) else pd.Series(dtype="str")
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out.insert(0, "row", np.arange(len(out)))
        return out
