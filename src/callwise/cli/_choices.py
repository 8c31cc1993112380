"""Options whose choices come from a registry, so a new entry there is offered (and helped) here at once."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.i18n import t
from callwise.model_kinds import MODEL_NAMES, model_help
from callwise.settings import get_settings


def known_model(value: str) -> str:
    """Refuse a model kind the registry does not hold, naming the ones it does (before any file is read)."""
    if value not in MODEL_NAMES:
        raise typer.BadParameter(t("cli.model.unknown", get_settings().lang, value=value, known=", ".join(MODEL_NAMES)))
    return value


def _complete_model(incomplete: str) -> list[str]:
    return [name for name in MODEL_NAMES if name.startswith(incomplete)]


ModelName = Annotated[
    str, typer.Option("--model", help=model_help(), callback=known_model, autocompletion=_complete_model)
]
