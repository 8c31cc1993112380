"""Standardising the input matrix: the same transform in NumPy (to fit) and in Ibis (to assign in the lake).

Per input column, decided when fitted and saved as JSON with the segmentation:

- **number**: money-like columns (names with income, balance, amount, inflow, flow) and skewed ones (skewness
  above 2, no negatives) take ``sign(x)·log1p(|x|)`` first; unknown values take the median; then a z-score
  (``(x − mean) / sd``; sd 1 when the column is constant). Counts and balances are heavy-tailed: without the log
  a few rich customers would be segments of their own.
- **flag** (boolean): 0/1, then the z-score like a number.
- **level** (text): one 0/1 column per level (the 12 most frequent), unknown in none.

A weight multiplies a column's standardised values (every one-hot column of a level alike).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

MONEY = ("income", "balance", "amount", "inflow", "flow")
SKEW_LOG = 2.0
MAX_LEVELS = 12


@dataclass(frozen=True)
class Column:
    """How one input column is standardised (see the module)."""

    name: str
    kind: str  # number | flag | level
    log: bool = False
    fill: float = 0.0
    mean: float = 0.0
    sd: float = 1.0
    weight: float = 1.0
    levels: tuple[str, ...] = ()

    def outputs(self) -> list[str]:
        return [f"{self.name}={level}" for level in self.levels] if self.kind == "level" else [self.name]


@dataclass(frozen=True)
class Scaler:
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def outputs(self) -> list[str]:
        return [name for c in self.columns for name in c.outputs()]

    @property
    def inputs(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_json(self) -> list[dict[str, Any]]:
        return [{**asdict(c), "levels": list(c.levels)} for c in self.columns]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> Scaler:
        return cls(tuple(Column(**{**c, "levels": tuple(c.get("levels", ()))}) for c in data))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The standardised matrix (rows of ``frame``, columns :attr:`outputs`)."""
        parts = [_numpy(c, frame[c.name]) for c in self.columns]
        return np.column_stack(parts) if parts else np.zeros((len(frame), 0))

    def expressions(self, table: ir.Table) -> dict[str, ir.NumericValue]:
        """The same standardised columns as Ibis expressions over ``table`` (named like :attr:`outputs`)."""
        out: dict[str, ir.NumericValue] = {}
        for c in self.columns:
            col = table[c.name]
            if c.kind == "level":
                text = col.cast("string")
                for level in c.levels:
                    out[f"{c.name}={level}"] = (text == level).fill_null(False).cast("float64") * c.weight
                continue
            x = col.cast("float64")
            if c.log:
                x = x.sign() * (x.abs() + 1).ln()
            out[c.name] = (x.fill_null(c.fill) - c.mean) / c.sd * c.weight
        return out


def fit_scaler(frame: pd.DataFrame, columns: list[str], weights: dict[str, float]) -> Scaler:
    """Decide each column's transform from the data (see the module)."""
    return Scaler(tuple(_fit_column(frame[name], name, float(weights.get(name, 1.0))) for name in columns))


def _fit_column(series: pd.Series, name: str, weight: float) -> Column:
    if pd.api.types.is_bool_dtype(series) or _is_boolean_object(series):
        x = series.astype("float64")
        return _numeric(Column(name, "flag", weight=weight), x)
    if not pd.api.types.is_numeric_dtype(series):
        counts = series.dropna().astype(str).value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_LEVELS]
        return Column(name, "level", weight=weight, levels=tuple(sorted(str(k) for k, _ in ranked)))
    x = series.astype("float64")
    known = x.dropna()
    skewed = len(known) > 2 and float(known.min()) >= 0 and float(known.skew() or 0.0) > SKEW_LOG  # type: ignore[arg-type]
    log = bool(any(word in name for word in MONEY) or skewed)
    return _numeric(Column(name, "number", log=log, weight=weight), x)


def _is_boolean_object(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values) > 0 and values.map(lambda v: isinstance(v, bool | np.bool_)).all())


def _numeric(column: Column, x: pd.Series) -> Column:
    if column.log:
        x = np.sign(x) * np.log1p(x.abs())
    known = x.dropna()
    fill = float(known.median()) if len(known) else 0.0
    filled = x.fillna(fill)
    sd = float(filled.std(ddof=0)) if len(filled) else 0.0
    return Column(
        column.name,
        column.kind,
        log=column.log,
        fill=fill,
        mean=float(filled.mean()) if len(filled) else 0.0,
        sd=sd if sd > 1e-12 else 1.0,
        weight=column.weight,
    )


def _numpy(c: Column, series: pd.Series) -> np.ndarray:
    if c.kind == "level":
        if not c.levels:
            return np.zeros((len(series), 0))
        text = series.astype("string")
        return np.column_stack([(text == level).fillna(False).to_numpy(dtype=float) for level in c.levels]) * c.weight
    x = pd.to_numeric(series.astype("float64"), errors="coerce").to_numpy(dtype=float)
    if c.log:
        x = np.sign(x) * np.log1p(np.abs(x))
    x = np.where(np.isnan(x), c.fill, x)
    return ((x - c.mean) / c.sd * c.weight).reshape(-1, 1)
