"""Reading the per-member frame for the daily looks and the arm comparison: columns checked, one clear sentence."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from callwise.results.errors import ResultsError

TREATMENT, CONTROL = "treatment", "control"


def columns(frame: Any, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The named columns as NumPy arrays of one length; ``optional`` ones only when present."""
    if isinstance(frame, pd.DataFrame):
        present = {str(c) for c in frame.columns}
        get = frame.__getitem__
    elif isinstance(frame, Mapping):
        present = {str(c) for c in frame}
        get = frame.__getitem__
    else:
        raise ResultsError("results_seq.not_a_frame", kind=type(frame).__name__)
    for name in names:
        if name not in present:
            raise ResultsError("results_seq.missing_column", column=name)
    out: dict[str, np.ndarray] = {}
    for name in (*names, *(n for n in optional if n in present)):
        value = get(name)
        out[name] = value.to_numpy(dtype=object) if isinstance(value, pd.Series) else np.asarray(value, dtype=object)
    length = len(out[names[0]])
    for name, values in out.items():
        if values.ndim != 1 or len(values) != length:
            raise ResultsError("results_seq.ragged", column=name, got=len(values), expected=length)
    if length == 0:
        raise ResultsError("results_seq.empty")
    return out


def is_treatment(group: np.ndarray) -> np.ndarray:
    """True for treatment, False for control; any other value is refused with its row."""
    text = pd.Series(group, dtype=object)
    treat, ctrl = (text == TREATMENT).to_numpy(dtype=bool), (text == CONTROL).to_numpy(dtype=bool)
    bad = ~(treat | ctrl)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ResultsError("results_seq.bad_group", row=row + 1, value=repr(group[row]))
    return treat


def named(values: np.ndarray) -> np.ndarray:
    """True where a value is present and not blank (an arm's name)."""
    text = pd.Series(values, dtype=object)
    return (text.notna() & (text.astype(str).str.strip() != "")).to_numpy(dtype=bool)


def as_float(values: np.ndarray) -> np.ndarray:
    """Floats, NaN for a missing value (None, pandas NA) and for a non-number alike; callers tell the two apart."""
    return np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)


def converted_flags(values: np.ndarray) -> np.ndarray:
    """0/1 conversion flags; anything else (NaN, 2, 'yes') is refused with its row."""
    number = as_float(values)
    bad = ~np.isin(number, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ResultsError("results_seq.bad_converted", row=row + 1, value=repr(values[row]))
    return number.astype(np.int64)


def check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1 or math.isnan(alpha):
        raise ResultsError("results_seq.bad_alpha", value=repr(alpha))
    return float(alpha)


def whole(value: object, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ResultsError(key, value=repr(value))
    return int(value)
