"""CLI: `callwise lake compact` — each table's appended daily parts merged back into one file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit
from callwise.i18n import t
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="help.lake")
    app.add_typer(group, name="lake")

    @group.command("compact", help="help.lake.compact")
    def compact(
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.lake.as_json")] = False,
    ) -> None:
        """Rewrite every table that has parts as one file: the same rows, and the parts' ids kept."""
        from callwise.lake import open_lake

        store = open_lake(lake)
        done = []
        for name in store.names():
            files = len(store.files(name))
            if files > 1:
                store.compact(name)
                done.append({"table": name, "files": files})
        lang = get_settings().lang
        lines = [t("cli.lake.compacted", lang, table=d["table"], files=d["files"]) for d in done]
        emit({"compacted": done}, as_json, human="\n".join(lines) or t("cli.lake.nothing", lang))
