"""Scorecard: WOE-binned logistic regression, exported as a points table.

The form bank risk and marketing teams read: every feature's bins with their points; a customer's score is
the base points plus the points of the bins they fall in. Scaling: ``base_score`` points at odds
``base_odds`` (buy : not buy), and every ``pdo`` points double the odds. Features with too little
information (IV below ``min_iv``) are left out; a feature whose coefficient turns negative (collinearity)
is dropped and the regression refitted, so every points column reads "more points = likelier to buy".
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from callwise.export import write_csv
from callwise.models.base import ResponseModel
from callwise.models.binning import Bins, fit_bins
from callwise.models.frame import prepare


class ScorecardModel(ResponseModel):
    name = "scorecard"

    def __init__(
        self,
        max_bins: int = 12,
        min_bin_share: float = 0.02,
        min_iv: float = 0.02,
        C: float = 1.0,
        base_score: float = 600.0,
        base_odds: float = 1 / 50,
        pdo: float = 20.0,
        random_state: int = 0,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.min_iv = min_iv
        self.C = C
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.random_state = random_state

    def _prepare(self, X: Any) -> pd.DataFrame:
        # Text stays text: an unseen category has its own (conservative) bin, apart from missing.
        return prepare(self._frame(X), list(self.feature_names_in_), self.categories_, keep_unseen=True)

    def _woe_matrix(self, X: pd.DataFrame, names: list[str]) -> np.ndarray:
        if not names:
            return np.zeros((len(X), 0))
        return np.column_stack([self.bins_[n].transform(X[n]) for n in names])

    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self.bins_ = {c: fit_bins(X[c], y, self.max_bins, self.min_bin_share) for c in X.columns}
        selected = [c for c in X.columns if self.bins_[c].iv >= self.min_iv]
        woe = self._woe_matrix(X, selected)
        while True:
            regression = LogisticRegression(C=self.C, max_iter=2000).fit(woe, y) if selected else None
            coef = regression.coef_[0] if regression is not None else np.zeros(0)
            if (coef >= 0).all():
                break
            keep = coef >= 0
            selected = [c for c, k in zip(selected, keep, strict=True) if k]
            woe = woe[:, keep]
        self.selected_ = selected
        self.coef_ = coef
        self.intercept_ = (
            float(regression.intercept_[0]) if regression is not None else float(np.log(y.mean() / (1 - y.mean())))
        )

    def _log_odds(self, X: pd.DataFrame) -> np.ndarray:
        return self.intercept_ + self._woe_matrix(X, self.selected_) @ self.coef_

    def _contributions(self, X: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(X), len(self.feature_names_in_)))
        positions = [list(self.feature_names_in_).index(c) for c in self.selected_]
        out[:, positions] = self._woe_matrix(X, self.selected_) * self.coef_
        return out

    @property
    def factor(self) -> float:
        return self.pdo / np.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * np.log(self.base_odds)

    def points(self, X: pd.DataFrame) -> np.ndarray:
        """Points: base points plus the points of each bin the customer is in."""
        return self.offset + self.factor * self._log_odds(self._prepare(X))

    def points_table(self) -> pd.DataFrame:
        """feature, bin, count, event rate, WOE, points — one row per bin of every selected feature."""
        rows = [
            {
                "feature": "(base)",
                "bin": "",
                "count": None,
                "event_rate": None,
                "woe": None,
                "points": round(self.offset + self.factor * self.intercept_, 1),
            }
        ]
        for name, coef in zip(self.selected_, self.coef_, strict=True):
            bins = self.bins_[name]
            for label, count, events, woe in zip(bins.labels(), bins.counts, bins.events, bins.woe, strict=True):
                rows.append(
                    {
                        "feature": name,
                        "bin": label,
                        "count": count,
                        "event_rate": round(events / count, 4) if count else None,
                        "woe": round(woe, 4),
                        "points": round(self.factor * coef * woe, 1),
                    }
                )
        return pd.DataFrame(rows)

    def importance(self) -> pd.Series:
        iv = pd.Series({c: self.bins_[c].iv if c in self.selected_ else 0.0 for c in self.feature_names_in_})
        return iv.sort_values(ascending=False, kind="stable")

    def _state(self, directory: Path) -> dict[str, Any]:
        write_csv(self.points_table(), directory / "points_table.csv")
        return {
            "bins": {c: asdict(b) for c, b in self.bins_.items()},
            "selected": self.selected_,
            "coef": list(map(float, self.coef_)),
            "intercept": self.intercept_,
        }

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        self.bins_ = {c: Bins(**b) for c, b in state["bins"].items()}
        self.selected_ = state["selected"]
        self.coef_ = np.asarray(state["coef"], dtype=float)
        self.intercept_ = float(state["intercept"])
