"""The wide-table path (宽表): one row per customer and a target column, as bank analysts already have.

Every column but the target and the dropped ones is a feature; rows keep their file order (the
backtest's time order). The target is told by ``positive`` or recognised (yes/no, 是/否, 1/0, true/false).
A row without a target is not silently lost: it is counted in ``dropped_no_target``.

``context`` names columns that describe the market or the period rather than the customer (UCI's
``emp.var.rate``, ``euribor3m`` …): the model still uses them, but they are never given as a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from callwise.i18n.errors import Translated
from callwise.ingest.readers import read_frame

POSITIVE_WORDS = ("yes", "y", "1", "true", "是", "成交", "success")
NEGATIVE_WORDS = ("no", "n", "0", "false", "否", "未成交", "failure")


class WideTableError(Translated, ValueError):
    """A wide table that cannot be used as asked; the message names the file and the column."""


@dataclass
class WideTable:
    X: pd.DataFrame
    y: np.ndarray
    source: str
    target: str
    dropped_no_target: int
    context: tuple[str, ...] = ()  # feature columns that are context (market, period), never a reason
    rows: np.ndarray | None = None  # each kept row's position in the file (0 = the first row of data)


def load_wide_table(
    path: str | Path,
    target: str,
    positive: str | None = None,
    drop: list[str] | tuple[str, ...] = (),
    context: list[str] | tuple[str, ...] = (),
) -> WideTable:
    frame = read_frame(path)
    refuse_duplicate_columns(frame, path)
    return wide_from_frame(frame, path, target, positive, drop, context)


def refuse_duplicate_columns(frame: pd.DataFrame, path: str | Path) -> None:
    """A column name twice would make one of them unreachable: said, never guessed."""
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise WideTableError("models.wide.duplicate", path=path, column=repr(dup))


def wide_from_frame(
    frame: pd.DataFrame,
    path: str | Path,
    target: str,
    positive: str | None = None,
    drop: list[str] | tuple[str, ...] = (),
    context: list[str] | tuple[str, ...] = (),
) -> WideTable:
    """The table already read (``path`` names it in messages): features, target, rows without a target counted."""
    columns = [str(c) for c in frame.columns]
    if target not in frame.columns:
        raise WideTableError("models.wide.no_target", path=path, target=repr(target), columns=", ".join(columns[:12]))
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise WideTableError("models.wide.drop_unknown", path=path, column=repr(unknown[0]))
    for column in context:
        if column not in frame.columns:
            raise WideTableError("models.wide.context_missing", path=path, column=repr(column))
        if column == target or column in drop:
            raise WideTableError("models.wide.context_not_feature", path=path, column=repr(column))
    labels = frame[target]
    frame = frame.drop(columns=[target, *drop])
    present = labels.notna().to_numpy()
    text = labels.astype("str").str.strip().str.lower()
    if positive is not None:
        y = (text == str(positive).strip().lower()).to_numpy()
        if not y[present].any():
            raise WideTableError("models.wide.no_positive", path=path, target=repr(target), positive=repr(positive))
    else:
        values = set(text[present].unique())
        if not values <= set(POSITIVE_WORDS) | set(NEGATIVE_WORDS):
            shown = ", ".join(sorted(values)[:6])
            raise WideTableError("models.wide.unknown_positive", path=path, target=repr(target), values=shown)
        y = text.isin(POSITIVE_WORDS).to_numpy()
    if frame.shape[1] == 0:
        raise WideTableError("models.wide.no_features", path=path)
    X = frame[present].reset_index(drop=True)
    n_missing = int((~present).sum())
    kept = np.flatnonzero(present)
    context_columns = tuple(dict.fromkeys(context))
    return WideTable(X, y[present].astype(np.int64), str(path), target, n_missing, context_columns, kept)
