"""The per-member frame checked once and turned into NumPy arrays the estimators read.

Every refusal names the column and the first bad row (1-based, in the frame's order); no value of a customer is
quoted except the offending cell of a non-PII column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from callwise.results.errors import ResultsError

TREATMENT, CONTROL = "treatment", "control"
BINARY = ("converted", "reached", "complaint", "dnc", "opt_out")
COUNTS = ("dials", "connects", "sms", "past_purchases")
AMOUNTS = ("revenue", "talk_seconds")


@dataclass(frozen=True)
class Members:
    """The frame's columns as arrays (one entry per member), and which rows are treatment."""

    frame: pd.DataFrame
    treat: np.ndarray  # bool

    @property
    def n_treatment(self) -> int:
        return int(self.treat.sum())

    @property
    def n_control(self) -> int:
        return int((~self.treat).sum())

    def column(self, name: str) -> np.ndarray:
        """A checked numeric column as float64 (checked on first use: missing, NaN, out of range refused)."""
        if name not in self.frame.columns:
            raise ResultsError("results.error.missing_column", column=name)
        values = self.frame[name]
        if pd.api.types.is_bool_dtype(values) and not values.isna().any():
            return values.to_numpy(dtype=np.float64)
        if not pd.api.types.is_numeric_dtype(values):
            _refuse_row(name, values, np.ones(len(values), dtype=bool), "results.error.not_number")
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
        if name == "score":
            bad = np.isinf(array)
            if bad.any():
                _refuse_row(name, values, bad, "results.error.not_number")
            return array  # NaN: score unknown (imputed with an indicator by CUPED)
        _refuse_row(name, values, ~np.isfinite(array), "results.error.not_number")
        if name in BINARY:
            _refuse_row(name, values, (array != 0) & (array != 1), "results.error.not_binary")
        elif name in COUNTS or name in AMOUNTS:
            _refuse_row(name, values, array < 0, "results.error.negative")
        return array

    def labels(self, name: str) -> pd.Series:
        if name not in self.frame.columns:
            raise ResultsError("results.error.missing_column", column=name)
        return self.frame[name]


def _refuse_row(name: str, values: pd.Series, bad: np.ndarray, key: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ResultsError(key, column=name, row=row + 1, value=repr(values.iloc[row]))


def members(frame: pd.DataFrame, need: Iterable[str] = ()) -> Members:
    """Check the frame's shape and its ``group`` column; each column in ``need`` must be present."""
    if not isinstance(frame, pd.DataFrame):
        raise ResultsError("results.error.not_a_frame", kind=type(frame).__name__)
    for name in ("group", "converted", *need):
        if name not in frame.columns:
            raise ResultsError("results.error.missing_column", column=name)
    frame = frame.reset_index(drop=True)
    group = frame["group"].astype("str").where(frame["group"].notna(), "")
    treat = (group == TREATMENT).to_numpy()
    known = treat | (group == CONTROL).to_numpy()
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        raise ResultsError("results.error.bad_group", row=row + 1, value=repr(frame["group"].iloc[row]))
    if "customer_id" in frame.columns:
        dup = frame["customer_id"].duplicated().to_numpy()
        if dup.any():
            raise ResultsError("results.error.duplicate_member", row=int(np.flatnonzero(dup)[0]) + 1)
    for group_name, count in ((TREATMENT, int(treat.sum())), (CONTROL, int((~treat).sum()))):
        if count == 0:
            raise ResultsError(f"results.error.empty_{group_name}")
    return Members(frame=frame, treat=treat)


def check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 0.5:
        raise ResultsError("results.error.bad_alpha", value=repr(alpha))
    return float(alpha)
