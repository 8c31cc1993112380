"""Saving and loading uplift models without pickle: ``state.json``, LightGBM model text, ``model_card.json``.

``state.json`` says ``"kind": "uplift"`` and the learner, so a directory tells what it holds (``is_uplift_model``)
and a response model's loader never mistakes one for its own. Each booster is its own text file:
``<role>.txt`` for the model fitted on every row, ``member<k>_<role>.txt`` for the interval's members.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

import callwise
from callwise.jsonfile import read_json, write_json
from callwise.uplift.base import Core, UpliftModel
from callwise.uplift.errors import UpliftFileError
from callwise.uplift.learners import LEARNER_CLASSES

CARD = "model_card.json"
STATE = "state.json"
KIND = "uplift"
PROPENSITY_FILE = "propensity.txt"


def _write_core(directory: Path, core: Core, prefix: str) -> dict[str, str]:
    files = {}
    for role, booster in core.items():
        files[role] = f"{prefix}{role}.txt"
        booster.save_model(directory / files[role])
    return files


def save(model: UpliftModel, directory: str | Path, card: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``directory`` (created if needed); ``card`` adds facts to the model card."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    propensity_file = None
    if model.propensity_booster_ is not None:
        propensity_file = PROPENSITY_FILE
        model.propensity_booster_.save_model(directory / PROPENSITY_FILE)
    state = {
        "kind": KIND,
        "learner": model.name,
        "params": model.get_params(),
        "features": list(model.feature_names_in_),
        "categories": model.categories_,
        "propensity": model.propensity_info_,
        "propensity_booster": propensity_file,
        "boosters": _write_core(directory, model.core_, ""),
        "members": [_write_core(directory, core, f"member{k + 1}_") for k, core in enumerate(model.members_)],
    }
    write_json(directory / STATE, state)
    if "_compiled" not in model.__dict__:
        model.__dict__["_model_dir"] = directory  # compiled on the first large batch, and cached beside the model
    write_json(
        directory / CARD,
        {
            "kind": KIND,
            "learner": model.name,
            "callwise_version": callwise.__version__,
            "params": model.get_params(),
            "features": list(model.feature_names_in_),
            "n_features": int(model.n_features_in_),
            "propensity": model.propensity_info_,
            "interval_members": len(model.members_),
            "top_features": model.importance().head(15).round(6).to_dict(),
            **(card or {}),
        },
    )
    return directory


def _state(directory: Path) -> dict[str, Any]:
    path = directory / STATE
    if not path.exists():
        raise UpliftFileError("uplift.file.not_saved", path=directory, file=STATE)
    return read_json(path, UpliftFileError, "model")


def is_uplift_model(directory: str | Path) -> bool:
    """Whether ``directory`` holds a saved uplift model (its state.json says so); False for anything else."""
    try:
        return _state(Path(directory)).get("kind") == KIND
    except (UpliftFileError, OSError):
        return False


def _read_core(directory: Path, files: dict[str, str], roles: tuple[str, ...]) -> Core:
    return {role: _booster(directory, files[role]) for role in roles}


def _booster(directory: Path, name: str) -> lgb.Booster:
    path = directory / Path(name).name  # a file name only: a state file cannot point outside its directory
    if not path.is_file():
        raise UpliftFileError("uplift.file.missing", path=directory, file=path.name)
    return lgb.Booster(model_file=str(path))


def load_uplift(directory: str | Path) -> UpliftModel:
    """A saved uplift model (any learner) from its directory."""
    directory = Path(directory)
    state = _state(directory)
    if state.get("kind") != KIND:
        raise UpliftFileError("uplift.file.not_uplift", path=directory)
    learner = state.get("learner")
    if not isinstance(learner, str) or learner not in LEARNER_CLASSES:
        raise UpliftFileError("uplift.file.unknown_learner", path=directory, learner=repr(learner))
    try:
        model = LEARNER_CLASSES[learner](**state["params"])
        model.feature_names_in_ = np.array(state["features"], dtype=object)
        model.n_features_in_ = len(model.feature_names_in_)
        model.categories_ = {str(k): list(v) for k, v in state["categories"].items()}
        model.propensity_info_ = dict(state["propensity"])
        model.propensity_value_ = float(model.propensity_info_["value"])
        extra = state["propensity_booster"]
        model.propensity_booster_ = None if extra is None else _booster(directory, extra)
        model.core_ = _read_core(directory, state["boosters"], model.roles)
        model.members_ = [_read_core(directory, files, model.roles) for files in state["members"]]
    except (KeyError, TypeError, ValueError, AttributeError, lgb.basic.LightGBMError) as exc:
        if isinstance(exc, UpliftFileError):
            raise
        raise UpliftFileError("uplift.file.damaged", path=directory, problem=f"{type(exc).__name__}: {exc}") from None
    model.__dict__["_model_dir"] = directory  # compiled trees are cached beside the model
    return model
