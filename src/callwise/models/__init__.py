"""Response models behind one scikit-learn-style interface, and the words for their reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callwise.models.base import CARD, STATE, ResponseModel, _read_json
from callwise.models.errors import ModelFileError, ModelInputError
from callwise.models.lgbm import LightGBMResponse
from callwise.models.logistic import LogisticModel
from callwise.models.reasons import reason_text
from callwise.models.scorecard import ScorecardModel

MODELS: dict[str, type[ResponseModel]] = {m.name: m for m in (LightGBMResponse, ScorecardModel, LogisticModel)}


def make_model(name: str, random_state: int = 0, **params: Any) -> ResponseModel:
    """A new, unfitted model by name: ``lightgbm``, ``scorecard`` or ``logistic``."""
    if name not in MODELS:
        raise ModelInputError("models.unknown_model", name=repr(name), choices=", ".join(MODELS))
    return MODELS[name](random_state=random_state, **params)


def load_model(directory: str | Path) -> ResponseModel:
    """A saved model (any kind) from its directory."""
    state = _read_json(Path(directory) / STATE)
    name = state.get("model")
    if not isinstance(name, str) or name not in MODELS:
        raise ModelFileError("models.file.unknown_kind", path=directory, kind=repr(name))
    try:
        return MODELS[name].load(directory)
    except (KeyError, TypeError, IndexError) as exc:  # a model file with a key missing or of the wrong kind
        raise ModelFileError("models.file.damaged", path=directory, problem=f"{type(exc).__name__}: {exc}") from None


__all__ = [
    "CARD",
    "MODELS",
    "ModelFileError",
    "ModelInputError",
    "ResponseModel",
    "load_model",
    "make_model",
    "reason_text",
]
