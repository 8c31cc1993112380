"""Plain logistic regression: the baseline every other model has to beat.

Numbers: missing → training median, then standardised. Text: one column per category seen in training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from callwise.models.base import ResponseModel


class LogisticModel(ResponseModel):
    name = "logistic"

    def __init__(self, C: float = 1.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def _design(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Design matrix and, for each of its columns, the feature it came from."""
        blocks, owners = [], []
        for c in self.feature_names_in_:
            if c in self.categories_:
                codes = X[c].cat.codes.to_numpy()
                onehot = codes[:, None] == np.arange(len(self.categories_[c]))[None, :]
                blocks.append(onehot.astype(float))
                owners += [c] * onehot.shape[1]
            else:
                values = X[c].to_numpy(dtype=float)
                values = np.where(np.isnan(values), self.medians_[c], values)
                blocks.append(((values - self.means_[c]) / self.scales_[c])[:, None])
                owners.append(c)
        return (np.hstack(blocks) if blocks else np.zeros((len(X), 0))), owners

    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> None:
        numeric = [c for c in self.feature_names_in_ if c not in self.categories_]
        self.medians_ = {c: float(np.nan_to_num(X[c].median())) for c in numeric}
        filled = {c: X[c].fillna(self.medians_[c]) for c in numeric}
        self.means_ = {c: float(filled[c].mean()) for c in numeric}
        self.scales_ = {c: float(filled[c].std()) or 1.0 for c in numeric}
        design, _ = self._design(X)
        regression = LogisticRegression(C=self.C, max_iter=3000).fit(design, y)
        self.coef_ = regression.coef_[0]
        self.intercept_ = float(regression.intercept_[0])

    def _log_odds(self, X: pd.DataFrame) -> np.ndarray:
        return self.intercept_ + self._design(X)[0] @ self.coef_

    def _contributions(self, X: pd.DataFrame) -> np.ndarray:
        design, owners = self._design(X)
        features = list(self.feature_names_in_)
        to_feature = np.zeros((len(owners), len(features)))  # design column → the feature it encodes
        to_feature[np.arange(len(owners)), [features.index(o) for o in owners]] = 1.0
        return (design * self.coef_) @ to_feature

    def importance(self) -> pd.Series:
        owners = self._design(self._prepare(pd.DataFrame({c: [] for c in self.feature_names_in_})))[1]
        weight = pd.Series(np.abs(self.coef_), index=owners).groupby(level=0).sum()
        return weight.reindex(self.feature_names_in_).sort_values(ascending=False, kind="stable")

    def _state(self, directory: Path) -> dict[str, Any]:
        return {
            "medians": self.medians_,
            "means": self.means_,
            "scales": self.scales_,
            "coef": list(map(float, self.coef_)),
            "intercept": self.intercept_,
        }

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        self.medians_, self.means_, self.scales_ = state["medians"], state["means"], state["scales"]
        self.coef_ = np.asarray(state["coef"], dtype=float)
        self.intercept_ = float(state["intercept"])
