"""LightGBM response model with calibrated probabilities and per-customer reasons (``pred_contrib``).

Calibration: Platt scaling of the booster's margin, fitted on out-of-fold margins so the calibrator never
sees scores of rows the booster trained on. Reasons: the features with the largest SHAP contributions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from callwise.models.base import ResponseModel
from callwise.models.frame import prepare_matrix

BOOSTER_FILE = "booster.txt"


class LightGBMResponse(ResponseModel):
    name = "lightgbm"

    def __init__(
        self,
        n_estimators: int = 150,
        learning_rate: float = 0.06,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        colsample_bytree: float = 0.7,
        reg_lambda: float = 5.0,
        max_bin: int = 255,
        calibration: bool = True,
        calibration_folds: int = 3,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1,
            "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda,
            "max_bin": self.max_bin,
            "seed": self.random_state,
            "num_threads": self.n_jobs,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }

    def _prepare(self, X: pd.DataFrame) -> np.ndarray:
        return prepare_matrix(self._frame(X), list(self.feature_names_in_), self.categories_)

    def _train(self, X: np.ndarray, y: np.ndarray) -> lgb.Booster:
        names = list(self.feature_names_in_)
        categorical = [j for j, c in enumerate(names) if c in self.categories_]
        data = lgb.Dataset(X, y, feature_name=names, categorical_feature=categorical, free_raw_data=True)
        return lgb.train(self._params(), data, num_boost_round=self.n_estimators)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.booster_ = self._train(X, y)
        self.platt_ = (1.0, 0.0)
        if self.calibration and np.bincount(y).min() >= self.calibration_folds:
            margin = np.zeros(len(y))
            folds = StratifiedKFold(self.calibration_folds, shuffle=True, random_state=self.random_state)
            for train, held_out in folds.split(X, y):
                booster = self._train(X[train], y[train])
                margin[held_out] = booster.predict(X[held_out], raw_score=True)
            platt = LogisticRegression(C=1e4).fit(margin.reshape(-1, 1), y)
            self.platt_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))

    def _log_odds(self, X: np.ndarray) -> np.ndarray:
        a, b = self.platt_
        return a * np.asarray(self.booster_.predict(X, raw_score=True)) + b

    def _contributions(self, X: np.ndarray) -> np.ndarray:
        # SHAP values on the margin, scaled by the calibration slope so they add up to the log-odds.
        return np.asarray(self.booster_.predict(X, pred_contrib=True))[:, :-1] * self.platt_[0]

    def importance(self) -> pd.Series:
        gain = self.booster_.feature_importance(importance_type="gain")
        share = gain / gain.sum() if gain.sum() else gain
        return pd.Series(share, index=self.feature_names_in_).sort_values(ascending=False, kind="stable")

    def _state(self, directory: Path) -> dict[str, Any]:
        self.booster_.save_model(directory / BOOSTER_FILE)
        return {"booster": BOOSTER_FILE, "platt": list(self.platt_)}

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        self.booster_ = lgb.Booster(model_file=str(directory / state["booster"]))
        self.platt_ = tuple(state["platt"])
