"""Score a table with a saved uplift model: every input row back, with its uplift, both chances, rank and reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from callwise.models.errors import ModelInputError
from callwise.models.score import model_features, rank_of, reasons_in_words
from callwise.uplift.base import UpliftModel

ADDED = ("uplift", "p_treated", "p_control", "rank", "reason_1", "reason_2", "reason_3")


def score_uplift(
    model: UpliftModel,
    frame: pd.DataFrame,
    lang: str = "zh",
    cells: pd.DataFrame | None = None,
    table: str = "the table",
    model_label: str | None = None,
) -> pd.DataFrame:
    """``frame`` (or its ``cells`` as the file has them) with ``ADDED``: rank 1 = the highest uplift, ties by row.

    The reasons are the features that raise this row's predicted uplift most, in words of ``lang``.
    """
    features = model_features(model, frame, cells, table, model_label)
    p_treated, p_control = model.predict_outcomes(features)
    uplift = model.predict_uplift(features)
    out = (frame if cells is None else cells).copy()
    taken = [c for c in ADDED if c in out.columns]
    if taken:  # a column of the file would be overwritten: the file keeps its own, said
        raise ModelInputError("uplift.score.taken", table=table, columns=", ".join(taken))
    out["uplift"] = np.round(uplift, 6)
    out["p_treated"] = np.round(p_treated, 6)
    out["p_control"] = np.round(p_control, 6)
    out["rank"] = rank_of(uplift)
    for column, words in reasons_in_words(model, features, lang).items():
        out[column] = words
    return out
