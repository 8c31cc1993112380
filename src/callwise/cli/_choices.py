"""Options whose choices come from a registry, so a new entry there is offered (and helped) here at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from callwise.cli._output import fail
from callwise.i18n import t
from callwise.model_kinds import MODEL_NAMES
from callwise.settings import get_settings

if TYPE_CHECKING:
    from callwise.lake import Lake


def known_model(value: str) -> str:
    """Refuse a model kind the registry does not hold, naming the ones it does (before any file is read)."""
    if value not in MODEL_NAMES:
        # Said from the models' own sentence, without importing callwise.models (and LightGBM) to say it.
        fail(t("models.unknown_model", get_settings().lang, name=repr(value), choices=", ".join(MODEL_NAMES)))
    return value


def _complete_model(incomplete: str) -> list[str]:
    return [name for name in MODEL_NAMES if name.startswith(incomplete)]


def known_engine(value: str | None) -> str | None:
    """Refuse an engine that is not one of the lake's, naming those it has (before any Spark starts)."""
    from callwise.lake.store import ENGINES

    if value is not None and value not in ENGINES:
        fail(t("lake.unknown_engine", get_settings().lang, engine=repr(value), choices=", ".join(ENGINES)))
    return value


def lake_on(root: Path | None, engine: str | None) -> Lake:
    """The lake with its engine started, or one sentence saying why it cannot start (no PySpark, no Java)."""
    from callwise.lake import open_lake
    from callwise.lake.spark import SparkUnavailable

    store = open_lake(root, engine)
    try:
        store.con  # noqa: B018 (started here, so a missing Java is said before any work)
    except SparkUnavailable as error:
        fail(error)
    return store


# --engine duckdb|pyspark on every command that reads the lake; unset, CALLWISE_ENGINE decides.
EngineName = Annotated[str | None, typer.Option("--engine", help="help.opt.engine", callback=known_engine)]

ModelName = Annotated[
    str, typer.Option("--model", help="help.opt.model_kind", callback=known_model, autocompletion=_complete_model)
]
