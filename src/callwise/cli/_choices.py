"""Options whose choices come from a registry, so a new entry there is offered (and helped) here at once."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.cli._output import fail
from callwise.i18n import t
from callwise.model_kinds import MODEL_NAMES
from callwise.settings import get_settings


def known_model(value: str) -> str:
    """Refuse a model kind the registry does not hold, naming the ones it does (before any file is read)."""
    if value not in MODEL_NAMES:
        # Said from the models' own sentence, without importing callwise.models (and LightGBM) to say it.
        fail(t("models.unknown_model", get_settings().lang, name=repr(value), choices=", ".join(MODEL_NAMES)))
    return value


def _complete_model(incomplete: str) -> list[str]:
    return [name for name in MODEL_NAMES if name.startswith(incomplete)]


ModelName = Annotated[
    str, typer.Option("--model", help="help.opt.model_kind", callback=known_model, autocompletion=_complete_model)
]
