"""Response models behind one scikit-learn-style interface, and the words for their reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callwise.models.base import CARD, STATE, ModelFileError, ResponseModel, _read_json
from callwise.models.lgbm import LightGBMResponse
from callwise.models.logistic import LogisticModel
from callwise.models.reasons import reason_text
from callwise.models.scorecard import ScorecardModel

MODELS: dict[str, type[ResponseModel]] = {m.name: m for m in (LightGBMResponse, ScorecardModel, LogisticModel)}


def make_model(name: str, random_state: int = 0, **params: Any) -> ResponseModel:
    """A new, unfitted model by name: ``lightgbm``, ``scorecard`` or ``logistic``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](random_state=random_state, **params)


def load_model(directory: str | Path) -> ResponseModel:
    """A saved model (any kind) from its directory."""
    state = _read_json(Path(directory) / STATE)
    name = state.get("model")
    if not isinstance(name, str) or name not in MODELS:
        raise ModelFileError(f"{directory}: unknown model kind {name!r}")
    try:
        return MODELS[name].load(directory)
    except (KeyError, TypeError, IndexError) as exc:  # a model file with a key missing or of the wrong kind
        raise ModelFileError(f"{directory}: damaged model file ({type(exc).__name__}: {exc})") from None


__all__ = ["CARD", "MODELS", "ModelFileError", "ResponseModel", "load_model", "make_model", "reason_text"]
