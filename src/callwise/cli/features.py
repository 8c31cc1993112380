"""CLI: `callwise features build` — customer features as of a cutoff, written to the lake."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    features = typer.Typer(no_args_is_help=True, help="help.features")
    app.add_typer(features, name="features")

    @features.command("build", help="help.features.build")
    def build(
        cutoff: Annotated[str, typer.Option(help="help.features.build.cutoff")],
        product: Annotated[str | None, typer.Option(help="help.features.build.product")] = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        name: Annotated[str, typer.Option(help="help.features.build.name")] = "features",
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.features.build.as_json")] = False,
    ) -> None:
        """Compute every feature as of the cutoff and store it as a lake table."""
        from callwise.features import customer_features, materialize

        try:
            moment = datetime.combine(date.fromisoformat(cutoff), time.min)
        except ValueError:
            fail(t("cli.features.bad_cutoff", get_settings().lang, value=repr(cutoff)))
        store = lake_on(lake, engine)
        try:
            table = materialize(customer_features(store, moment, product))
        except FileNotFoundError as exc:
            fail(exc)
        path = store.write(name, table)
        emit({"rows": table.num_rows, "features": table.num_columns - 1, "cutoff": cutoff, "table": str(path)}, as_json)
