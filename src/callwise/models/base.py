"""The one small interface every response model has (scikit-learn style), and saving without pickle.

``fit(X, y)`` → self; ``predict_proba(X)``; ``explain(X, top)`` → each row's top reasons (the features that
raise its score most); ``importance()``; ``save(dir, card)`` writes JSON (and LightGBM's own model text),
never pickle, plus ``model_card.json``. ``load_model(dir)`` reads any of them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags, assert_all_finite
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

import callwise
from callwise.jsonfile import read_json, write_json
from callwise.models.errors import ModelFileError, ModelInputError
from callwise.models.frame import learn_categories, prepare

CARD = "model_card.json"
STATE = "state.json"


class ResponseModel(ClassifierMixin, BaseEstimator):
    """Base class: preparation of inputs, explanations, persistence. Subclasses fit and predict log-odds."""

    name: ClassVar[str] = "base"

    # --- what a subclass provides -------------------------------------------------------------
    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> None:
        raise NotImplementedError

    def _log_odds(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Per row and feature, how much the feature moves the log-odds (rows × features)."""
        raise NotImplementedError

    def _state(self, directory: Path) -> dict[str, Any]:
        raise NotImplementedError

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        raise NotImplementedError

    # --- the interface ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any) -> ResponseModel:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X = _as_frame(X)
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) == 1:
            raise ModelInputError("models.target.one_class")
        if len(classes) > 2:
            raise ValueError(f"Only binary classification is supported. The target has {len(classes)} classes.")
        if len(X) != len(y):
            raise ModelInputError("models.fit.rows", x_rows=len(X), y_rows=len(y))
        self.feature_names_in_ = np.array([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = learn_categories(X)
        self.classes_ = classes  # the larger label is "bought" (1, yes, True …)
        self._fit(self._prepare(X), (y == classes[1]).astype(np.int64))
        self.name_ = self.name
        return self

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True  # text columns are categories
        tags.input_tags.categorical = True
        return tags

    def _frame(self, X: Any) -> pd.DataFrame:
        """``X`` as a DataFrame with the fitted columns; a bare array must have as many columns as in fit."""
        frame = _as_frame(X)
        if isinstance(X, pd.DataFrame):
            return frame
        if frame.shape[1] != self.n_features_in_:
            name, expected = type(self).__name__, self.n_features_in_
            raise ValueError(f"X has {frame.shape[1]} features, but {name} is expecting {expected} features as input.")
        return frame

    def _prepare(self, X: Any) -> pd.DataFrame:
        return prepare(self._frame(X), list(self.feature_names_in_), self.categories_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        p = 1 / (1 + np.exp(-self._log_odds(self._prepare(X))))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        bought = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[bought.astype(int)]

    def explain(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """``reason_i`` (feature name, or None) and ``contribution_i`` for the ``top`` strongest push-ups."""
        check_is_fitted(self, "feature_names_in_")
        frame = self._frame(X)
        contributions = self._contributions(self._prepare(frame))
        order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
        values = np.take_along_axis(contributions, order, axis=1)
        names = np.asarray(self.feature_names_in_, dtype=object)[order]
        out = {}
        for i in range(order.shape[1]):
            out[f"reason_{i + 1}"] = np.where(values[:, i] > 0, names[:, i], None)
            out[f"contribution_{i + 1}"] = np.round(values[:, i], 6)
        return pd.DataFrame(out, index=frame.index)

    def importance(self) -> pd.Series:
        """How much each feature matters overall (model-specific scale), largest first."""
        raise NotImplementedError

    def save(self, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
        check_is_fitted(self, "feature_names_in_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self.name,
            "params": self.get_params(),
            "features": list(self.feature_names_in_),
            "classes": self.classes_.tolist(),
            "categories": self.categories_,
            "state": self._state(directory),
        }
        write_json(directory / STATE, state)
        model_card = {
            "model": self.name,
            "callwise_version": callwise.__version__,
            "params": self.get_params(),
            "features": list(self.feature_names_in_),
            "n_features": int(self.n_features_in_),
            "top_features": self.importance().head(15).round(6).to_dict(),
            **(card or {}),
        }
        write_json(directory / CARD, model_card)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> ResponseModel:
        directory = Path(directory)
        state = _read_json(directory / STATE)
        model = cls(**state["params"])
        model.feature_names_in_ = np.array(state["features"], dtype=object)
        model.n_features_in_ = len(state["features"])
        model.categories_ = state["categories"]
        model.classes_ = np.array(state["classes"])
        model.name_ = cls.name
        model._restore(state["state"], directory)
        return model


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):  # column names are text, so a model saved as JSON finds them again
        return X if all(isinstance(c, str) for c in X.columns) else X.set_axis([str(c) for c in X.columns], axis=1)
    # Arrays get scikit-learn's checks: 2-D, not sparse, not complex, no infinity (NaN is allowed).
    array = check_array(X, dtype=None, ensure_all_finite="allow-nan")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ModelFileError("models.file.not_saved", path=path.parent, file=path.name)
    return read_json(path, ModelFileError, "model")
