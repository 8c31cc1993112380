"""Response models behind one scikit-learn-style interface, and the words for their reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callwise.model_kinds import KINDS, MODEL_NAMES
from callwise.models.base import CARD, STATE, ResponseModel, _read_json
from callwise.models.errors import ModelFileError, ModelInputError
from callwise.models.lgbm import LightGBMResponse
from callwise.models.logistic import LogisticModel
from callwise.models.reasons import reason_text
from callwise.models.scorecard import ScorecardModel

# Name → class, in the order of the registry (callwise.model_kinds.KINDS): the one list of model kinds.
MODELS: dict[str, type[ResponseModel]] = {kind.name: kind.load_class() for kind in KINDS}


def make_model(name: str, random_state: int = 0, **params: Any) -> ResponseModel:
    """A new, unfitted model by name, one of :data:`~callwise.model_kinds.MODEL_NAMES`."""
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


def has_points_table(name: str) -> bool:
    """Whether the kind explains itself by a points table (reports show it, so they fit one for it)."""
    return hasattr(MODELS[name], "points_table")


__all__ = [
    "CARD",
    "MODELS",
    "MODEL_NAMES",
    "LightGBMResponse",
    "LogisticModel",
    "ModelFileError",
    "ModelInputError",
    "ResponseModel",
    "ScorecardModel",
    "has_points_table",
    "load_model",
    "make_model",
    "reason_text",
]
