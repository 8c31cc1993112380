"""The wide-table path (宽表): one row per customer and a target column, as bank analysts already have.

Every column but the target and the dropped ones is a feature; rows keep their file order (the
backtest's time order). The target is told by ``positive`` or recognised (yes/no, 是/否, 1/0, true/false).
A row without a target is not silently lost: it is counted in ``dropped_no_target``.
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


def load_wide_table(
    path: str | Path, target: str, positive: str | None = None, drop: list[str] | tuple[str, ...] = ()
) -> WideTable:
    frame = read_frame(path)
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise WideTableError("models.wide.duplicate", path=path, column=repr(dup))
    if target not in frame.columns:
        raise WideTableError("models.wide.no_target", path=path, target=repr(target), columns=", ".join(columns[:12]))
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise WideTableError("models.wide.drop_unknown", path=path, column=repr(unknown[0]))
    labels = frame.pop(target)
    frame = frame.drop(columns=list(drop))
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
    return WideTable(X, y[present].astype(np.int64), str(path), target, int((~present).sum()))
