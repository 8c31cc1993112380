"""LightGBM response model with calibrated probabilities and per-customer reasons (``pred_contrib``).

Calibration: Platt scaling of the booster's margin, fitted on out-of-fold margins so the calibrator never
sees scores of rows the booster trained on. Reasons: the features with the largest SHAP contributions.
Scoring: a batch of ``compile_min_rows`` rows or more takes the booster's margin from compiled trees
(:mod:`callwise.models.compiled`), compiled on first use and cached in the saved model's directory; smaller
batches, and machines without the compiler, use LightGBM's own predict. Both agree to ~1e-14.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from callwise.models.base import ResponseModel
from callwise.models.compiled import CompiledTrees, compile_trees
from callwise.models.frame import prepare_matrix

BOOSTER_FILE = "booster.txt"
# Below this many rows compiling (seconds, once per saved model and machine) would cost more than it saves on
# a model fitted in memory; the path depends on the batch alone, so a given batch always gets the same bits.
COMPILE_MIN_ROWS = 100_000
_COMPILING = threading.Lock()  # one compile per model even when service threads score at once


class LightGBMResponse(ResponseModel):
    name = "lightgbm"
    _compiled: CompiledTrees | None  # set by compiled_trees(); absent until the first large batch
    _model_dir: Path | None = None  # where the compiled trees are cached: the directory saved to or read from

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
        calibration_folds: int = 2,  # only Platt scaling depends on it; see docs/decisions/0023
        random_state: int = 0,
        n_jobs: int = 2,
        compile_min_rows: int | None = COMPILE_MIN_ROWS,
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
        self.compile_min_rows = compile_min_rows  # None: never compile

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

    def _train(self, X: np.ndarray, y: np.ndarray, threads: int) -> lgb.Booster:
        names = list(self.feature_names_in_)
        categorical = [j for j, c in enumerate(names) if c in self.categories_]
        data = lgb.Dataset(X, y, feature_name=names, categorical_feature=categorical, free_raw_data=True)
        return lgb.train({**self._params(), "num_threads": threads}, data, num_boost_round=self.n_estimators)

    def _held_out_margin(
        self, X: np.ndarray, y: np.ndarray, train: np.ndarray, held_out: np.ndarray, threads: int
    ) -> np.ndarray:
        """One calibration fold: a booster on ``train``, its margins on ``held_out``."""
        booster = self._train(X[train], y[train], threads)
        return np.asarray(booster.predict(X[held_out], raw_score=True, num_threads=threads))

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        """The model and its calibration folds are independent boosters: they are trained side by side.

        Each booster gets ``n_jobs // boosters at once`` threads (at least one). LightGBM's trees here do not
        depend on its thread count (row-wise histograms, ``deterministic``), so the model is the one a booster
        after booster fit gives; on a busy machine one thread per booster also avoids OpenMP threads waiting
        for each other at every step of every tree.
        """
        splits = self._calibration_splits(X, y)
        jobs = self.n_jobs if self.n_jobs > 0 else os.cpu_count() or 1  # LightGBM's "0 or less: every core"
        workers = min(jobs, 1 + len(splits))
        threads = max(1, jobs // workers)
        with ThreadPoolExecutor(workers) as pool:
            model = pool.submit(self._train, X, y, threads)
            folds = [pool.submit(self._held_out_margin, X, y, tr, ho, threads) for tr, ho in splits]
            self.booster_ = model.result()
            margins = [f.result() for f in folds]
        self._forget_compiled(None)
        self.platt_ = (1.0, 0.0)
        if splits:
            margin = np.zeros(len(y))
            for (_, held_out), values in zip(splits, margins, strict=True):
                margin[held_out] = values
            platt = LogisticRegression(C=1e4).fit(margin.reshape(-1, 1), y)
            self.platt_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))

    def _calibration_splits(self, X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (train, held-out) rows of each calibration fold; none without calibration or with too few buyers."""
        if not self.calibration or np.bincount(y).min() < self.calibration_folds:
            return []
        folds = StratifiedKFold(self.calibration_folds, shuffle=True, random_state=self.random_state)
        return list(folds.split(X, y))

    def _log_odds(self, X: np.ndarray) -> np.ndarray:
        a, b = self.platt_
        return a * self.margin(X) + b

    def margin(self, X: np.ndarray) -> np.ndarray:
        """The booster's raw margin for a prepared matrix: compiled trees for a large batch, else LightGBM."""
        trees = self.compiled_trees() if self._compiles(len(X)) else None
        if trees is not None:
            return trees.margin(X, self.n_jobs)
        return np.asarray(self.booster_.predict(X, raw_score=True, num_threads=self.n_jobs))

    def compiled_trees(self) -> CompiledTrees | None:
        """The booster compiled (on first call; from the model directory's cache when saved), or None where
        the compiler is missing or fails (with a warning, once per model)."""
        if "_compiled" in self.__dict__:  # compiled (or known unavailable) already: no lock to wait for
            return self._compiled
        with _COMPILING:
            if "_compiled" not in self.__dict__:
                self._compiled = compile_trees(self.booster_.model_to_string(), self._model_dir)
            return self._compiled

    def _compiles(self, rows: int) -> bool:
        return self.compile_min_rows is not None and rows >= self.compile_min_rows

    def _forget_compiled(self, directory: Path | None) -> None:
        """A new booster (fitted, or read from ``directory``): compile it anew, cached there when given."""
        self.__dict__.pop("_compiled", None)
        self._model_dir = directory

    def __getstate__(self) -> dict[str, Any]:
        # Compiled code lives in this process only: a pickled or copied model compiles (or finds its cache) again.
        state = dict(super().__getstate__())
        state.pop("_compiled", None)
        return state

    def _contributions(self, X: np.ndarray) -> np.ndarray:
        # SHAP values on the margin, scaled by the calibration slope so they add up to the log-odds.
        return np.asarray(self.booster_.predict(X, pred_contrib=True))[:, :-1] * self.platt_[0]

    def importance(self) -> pd.Series:
        gain = self.booster_.feature_importance(importance_type="gain")
        share = gain / gain.sum() if gain.sum() else gain
        return pd.Series(share, index=self.feature_names_in_).sort_values(ascending=False, kind="stable")

    def _state(self, directory: Path) -> dict[str, Any]:
        self.booster_.save_model(directory / BOOSTER_FILE)
        if "_compiled" not in self.__dict__:
            self._model_dir = directory  # compiled on first large batch, and kept beside the model
        return {"booster": BOOSTER_FILE, "platt": list(self.platt_)}

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        self.booster_ = lgb.Booster(model_file=str(directory / state["booster"]))
        self._forget_compiled(directory)
        self.platt_ = tuple(state["platt"])
