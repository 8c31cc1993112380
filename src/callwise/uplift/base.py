"""The one interface every uplift learner has (scikit-learn style), over the response models' input preparation.

``fit(X, y, treatment, propensity)`` → self; ``predict_outcomes(X)`` → (p_treated, p_control);
``predict_uplift(X)``; ``uplift_interval(X, level)``; ``explain(X, top)`` → the features that raise each row's
predicted uplift most; ``importance()``. A learner is a *core*: a few LightGBM boosters fitted from the prepared
matrix, and how to read the uplift (and its reasons) from them. The model keeps one core fitted on every row and,
for the interval, ``interval_folds`` members each fitted on one disjoint fold of the rows.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import t as student_t
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from callwise.models.base import _as_frame
from callwise.models.compiled import CompiledTrees, compile_trees
from callwise.models.frame import learn_categories, prepare_matrix
from callwise.models.lgbm import COMPILE_MIN_ROWS
from callwise.uplift import boosters
from callwise.uplift import propensity as propensity_model
from callwise.uplift.defaults import INTERVAL_FOLDS, OUTCOME
from callwise.uplift.errors import UpliftInputError
from callwise.uplift.metrics import check_experiment

Core = dict[str, lgb.Booster]  # role ("treated", "control", "effect" …) → booster
FIT_THREADS = 1  # per booster while fitting; ``n_jobs`` boosters are fitted at once
_COMPILING = threading.Lock()  # one compile per booster even when threads score at once


class UpliftModel(BaseEstimator):
    """Base class: validation, preparation, propensity, interval members. Subclasses fit and read cores."""

    name: ClassVar[str] = "base"
    roles: ClassVar[tuple[str, ...]] = ()  # the boosters of one core
    feature_names_in_: np.ndarray
    n_features_in_: int
    categories_: dict[str, list[str]]
    core_: Core
    members_: list[Core]
    propensity_info_: dict[str, Any]
    propensity_booster_: lgb.Booster | None
    propensity_value_: float

    def __init__(
        self,
        outcome_params: dict[str, Any] | None = None,
        interval_folds: int = INTERVAL_FOLDS,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.outcome_params = outcome_params
        self.interval_folds = interval_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- what a subclass provides -------------------------------------------------------------
    def _fit_core(self, X: np.ndarray, y: np.ndarray, t: np.ndarray, e: np.ndarray, seed: int) -> Core:
        raise NotImplementedError

    def _outcomes(self, core: Core, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _uplift(self, core: Core, X: np.ndarray) -> np.ndarray:
        p_treated, p_control = self._outcomes(core, X)
        return p_treated - p_control

    def _contributions(self, core: Core, X: np.ndarray) -> np.ndarray:
        """Per row and feature, how much the feature moves the predicted uplift (rows × features)."""
        raise NotImplementedError

    def _gain(self, core: Core) -> np.ndarray:
        """Each feature's share of the gain of the boosters the uplift is read from."""
        return np.mean([boosters.gain_share(b)[: self.n_features_in_] for b in core.values()], axis=0)

    # --- helpers for subclasses ----------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return dict(OUTCOME[self.name] if self.outcome_params is None else self.outcome_params)

    def _train(
        self, X: np.ndarray, target: np.ndarray, settings: dict[str, Any], seed: int, regression: bool = False
    ) -> lgb.Booster:
        names = list(self.feature_names_in_)
        return boosters.train(
            X,
            target,
            settings,
            regression=regression,
            names=names,
            categorical=self._categorical(),
            seed=seed,
            threads=FIT_THREADS,
        )

    def _raw(self, booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
        """A booster's raw score (log-odds of a classifier, the value of a regressor) at scoring time.

        A batch of ``COMPILE_MIN_ROWS`` or more is scored by the booster's compiled trees (compiled on first
        use, cached in the saved model's directory), as the response model does; smaller ones by LightGBM.
        """
        if len(X) >= COMPILE_MIN_ROWS:
            trees = self._compiled_trees(booster)
            if trees is not None:
                return trees.margin(X, self.n_jobs)
        return np.asarray(booster.predict(X, raw_score=True, num_threads=self.n_jobs), dtype=np.float64)

    def _compiled_trees(self, booster: lgb.Booster) -> CompiledTrees | None:
        cache = self.__dict__.setdefault("_compiled", {})
        if id(booster) not in cache:
            with _COMPILING:
                if id(booster) not in cache:
                    cache[id(booster)] = compile_trees(booster.model_to_string(), self.__dict__.get("_model_dir"))
        found: CompiledTrees | None = cache[id(booster)]
        return found

    def _probability(self, booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-self._raw(booster, X))))

    def __getstate__(self) -> dict[str, Any]:
        # Compiled code lives in this process only: a copied model compiles (or finds its cache) again.
        state = dict(super().__getstate__())
        state.pop("_compiled", None)
        return state

    def _categorical(self) -> list[int]:
        return [j for j, c in enumerate(self.feature_names_in_) if c in self.categories_]

    def _propensity(self, X: np.ndarray) -> np.ndarray:
        if self.propensity_booster_ is None:
            return np.full(len(X), self.propensity_value_)
        low, high = self.propensity_info_["clip"]
        return np.clip(self._probability(self.propensity_booster_, X), low, high)

    # --- the interface ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any, treatment: Any, propensity: float | None = None) -> UpliftModel:
        frame = _as_frame(X)
        y_arr, t_arr = check_experiment(y, treatment)
        if len(frame) != len(y_arr):
            raise UpliftInputError("uplift.input.lengths", lengths=f"{len(frame)} / {len(y_arr)} / {len(t_arr)}")
        for group, value in (("treated", 1), ("control", 0)):
            if y_arr[t_arr == value].sum() == 0:
                raise UpliftInputError(f"uplift.input.no_buyers_{group}")
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = learn_categories(frame)
        matrix = self._prepare(frame)
        found = propensity_model.resolve(
            matrix,
            t_arr,
            propensity,
            names=list(self.feature_names_in_),
            categorical=self._categorical(),
            seed=self.random_state,
            threads=FIT_THREADS,
        )
        self.propensity_info_, self.propensity_booster_ = found.info, found.booster
        self.propensity_value_ = float(found.info["value"])
        # The model and its interval members are independent fits: side by side, one thread per booster (on a
        # busy machine LightGBM's threads wait for each other at every split; separate fits never do).
        parts = [np.arange(len(y_arr))]
        if self.interval_folds >= 2:
            folds = StratifiedKFold(self.interval_folds, shuffle=True, random_state=self.random_state)
            parts += [fold for _, fold in folds.split(matrix, 2 * t_arr + y_arr)]
        with ThreadPoolExecutor(max(1, min(self.n_jobs, len(parts)))) as pool:
            cores = list(
                pool.map(
                    lambda k: self._fit_core(
                        matrix[parts[k]], y_arr[parts[k]], t_arr[parts[k]], found.rows[parts[k]], self.random_state + k
                    ),
                    range(len(parts)),
                )
            )
        self.core_, self.members_ = cores[0], cores[1:]
        self.__dict__.pop("_compiled", None)
        return self

    def _prepare(self, X: Any) -> np.ndarray:
        frame = _as_frame(X)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise UpliftInputError("uplift.input.columns", found=frame.shape[1], expected=self.n_features_in_)
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise UpliftInputError("uplift.input.missing_columns", columns=", ".join(missing[:5]))
        return prepare_matrix(frame, list(self.feature_names_in_), self.categories_)

    def predict_outcomes(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(p_treated, p_control) per row: the chance to buy with and without the treatment."""
        check_is_fitted(self, "core_")
        return self._outcomes(self.core_, self._prepare(X))

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        """p_treated − p_control per row."""
        check_is_fitted(self, "core_")
        return self._uplift(self.core_, self._prepare(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns [1 − p_treated, p_treated]: the chance to buy when treated, as a response model gives it."""
        p_treated, _ = self.predict_outcomes(X)
        return np.column_stack([1 - p_treated, p_treated])

    def uplift_interval(self, X: pd.DataFrame, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) per row: the uplift ± Student's t × its standard error from the members' spread.

        The members were fitted on ``K = interval_folds`` disjoint folds, so their predictions for a row are K
        independent estimates, each from 1/K of the rows: the variance of one is about K times that of the
        model fitted on all of them, whose standard error is therefore their standard deviation / √K.
        """
        check_is_fitted(self, "core_")
        if len(self.members_) < 2:
            raise UpliftInputError("uplift.interval.none")
        if not 0 < level < 1:
            raise UpliftInputError("uplift.interval.level", level=level)
        matrix = self._prepare(X)
        point = self._uplift(self.core_, matrix)
        members = np.vstack([self._uplift(core, matrix) for core in self.members_])
        k = len(members)
        se = members.std(axis=0, ddof=1) / np.sqrt(k)
        half = float(student_t.ppf(0.5 + level / 2, k - 1)) * se
        return point - half, point + half

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """``reason_i`` (feature name, or None) and ``contribution_i``: the ``top`` features that raise the uplift.

        Contributions are on the scale of the uplift (probability points), the same columns as a response
        model's ``explain``.
        """
        check_is_fitted(self, "core_")
        frame = _as_frame(X)
        contributions = self._contributions(self.core_, self._prepare(frame))
        order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
        values = np.take_along_axis(contributions, order, axis=1)
        names = np.asarray(self.feature_names_in_, dtype=object)[order]
        out: dict[str, Any] = {}
        for i in range(order.shape[1]):
            out[f"reason_{i + 1}"] = np.where(values[:, i] > 0, names[:, i], np.array(None, dtype=object))
            out[f"contribution_{i + 1}"] = np.round(values[:, i], 6)
        return pd.DataFrame(out, index=frame.index)

    def importance(self) -> pd.Series:
        """Each feature's share of the gain of the boosters that make the uplift, largest first."""
        check_is_fitted(self, "core_")
        gain = self._gain(self.core_)  # the S-learner's treatment column is left out: shares of the rest
        share = pd.Series(gain / gain.sum() if gain.sum() else gain, index=self.feature_names_in_)
        return share.sort_values(ascending=False, kind="stable")

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        """state.json, one LightGBM model text per booster, and model_card.json (see :mod:`callwise.uplift.persist`)."""
        from callwise.uplift.persist import save

        return save(self, directory, card)
