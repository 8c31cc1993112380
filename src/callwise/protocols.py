"""What the stages ask of a model, as Protocols: the list and the scheduler take any object that answers these.

The response models (``callwise.models``), the uplift models (``callwise.uplift``) and the answer model
(``callwise.timing.AnswerModel``) are the kinds callwise ships; a bank's own model fits wherever it has the same
methods. Nothing here imports a model library, so the stages depend on the shape of a model, not on how it was made.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd


@runtime_checkable
class ResponseScorer(Protocol):
    """p(convert) per customer, and the features that pushed each score up (the list's reasons)."""

    @property
    def feature_names_in_(self) -> npt.NDArray[np.object_]:
        """The columns the model reads, in order."""
        ...

    def predict_proba(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """(rows × 2): p(not convert), p(convert)."""
        ...

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """``reason_i`` (feature name or None) and ``contribution_i`` for the ``top`` strongest push-ups."""
        ...


@runtime_checkable
class UpliftScorer(Protocol):
    """p(convert | on the list) and p(convert | held out) per customer, how sure it is of their difference, and the
    features that raise the difference most (``callwise.uplift`` models; the list ranked by increment)."""

    @property
    def feature_names_in_(self) -> npt.NDArray[np.object_]:
        """The columns the model reads, in order."""
        ...

    def predict_outcomes(self, X: pd.DataFrame) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(p_treated, p_control) per row."""
        ...

    def uplift_interval(
        self, X: pd.DataFrame, level: float = 0.9
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(low, high) of each row's uplift at ``level``."""
        ...

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """``reason_i`` (feature name or None) and ``contribution_i`` for the ``top`` strongest raisers of uplift."""
        ...


@runtime_checkable
class AnswerScorer(Protocol):
    """p(answer) per customer and hour of the week, as the scheduler plans with it."""

    def probabilities(
        self,
        customer_ids: npt.ArrayLike,
        hours_of_week: npt.ArrayLike | None = None,
        *,
        non_personalised: npt.ArrayLike | None = None,
    ) -> npt.NDArray[np.float32]:
        """float32 (customers × hours): p(answer); 0 at hours that are not legal."""
        ...
