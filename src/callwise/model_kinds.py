"""The model kinds callwise knows (the classes live in ``callwise.models``), in one place.

``make_model``/``load_model``, the CLI's ``--model`` choices and help, and the conformance tests are all read
from ``KINDS``, so a new kind is one class (a :class:`~callwise.models.base.ResponseModel`) and one line here.
It sits outside ``callwise.models`` and imports no model library, so the CLI offers the choices without loading
LightGBM or scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callwise.models.base import ResponseModel


@dataclass(frozen=True)
class ModelKind:
    """One kind of response model: its name and where its class lives (its few words: ``help.model_kind.NAME``)."""

    name: str
    path: str  # "module:Class"
    small_data: Mapping[str, Any] = field(default_factory=dict)  # settings that fit on a few dozen rows (tests)

    def load_class(self) -> type[ResponseModel]:
        module, _, attr = self.path.partition(":")
        cls: type[ResponseModel] = getattr(import_module(module), attr)
        return cls


KINDS: tuple[ModelKind, ...] = (
    ModelKind(
        "lightgbm",
        "callwise.models.lgbm:LightGBMResponse",
        {"n_estimators": 20, "min_child_samples": 5, "calibration_folds": 2},
    ),
    ModelKind("scorecard", "callwise.models.scorecard:ScorecardModel"),
    ModelKind("logistic", "callwise.models.logistic:LogisticModel"),
)
MODEL_NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS)
DEFAULT_MODEL = "lightgbm"


def model_help(lang: str) -> str:
    """The kinds as every ``--model`` option's help lists them, each with its few words (``help.model_kind.NAME``)."""
    from callwise.i18n import t

    return t("help.list_sep", lang).join(f"{kind.name} ({t(f'help.model_kind.{kind.name}', lang)})" for kind in KINDS)
