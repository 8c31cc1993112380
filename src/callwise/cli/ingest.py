"""CLI: `callwise ingest` — files of the data contract into the lake, with a quarantine for bad rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings


def register(app: typer.Typer) -> None:
    @app.command("ingest", help="help.ingest")
    def ingest(
        source: Annotated[Path, typer.Argument(help="help.ingest.source")],
        table: Annotated[str | None, typer.Option(help="help.ingest.table")] = None,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        quarantine: Annotated[Path | None, typer.Option(help="help.ingest.quarantine")] = None,
        append: Annotated[bool, typer.Option("--append", help="help.ingest.append")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="help.ingest.as_json")] = False,
    ) -> None:
        """Validate, normalise and de-duplicate; read = accepted + quarantined for every table."""
        from callwise.ingest import IngestError, ingest_directory, ingest_files
        from callwise.lake import open_lake

        store = open_lake(lake)
        lake_dir = store.root
        quarantine_dir = quarantine or lake_dir.parent / "quarantine"
        try:
            if source.is_dir():
                summary = ingest_directory(source, store, quarantine_dir, append=append)
            else:
                name = table or source.name.split(".")[0].lower()
                summary = ingest_files({name: source}, store, quarantine_dir, append=append)
        except IngestError as exc:
            fail(exc)
        result = summary.to_dict()
        lang = get_settings().lang
        lines = [
            t(
                "cli.ingest.table",
                lang,
                table=f"{r['table']:<18}",
                read=f"{r['read']:>10,}",
                accepted=f"{r['accepted']:>10,}",
                quarantined=f"{r['quarantined']:>8,}",
            )
            for r in result["tables"]
        ]
        lines += [
            t(f"cli.ingest.{r['mode']}", lang, table=r["table"], updated=f"{r['updated']:,}")
            for r in result["tables"]
            if r["mode"] != "written"
        ]
        lines += [
            t("cli.ingest.quarantine", lang, table=r["table"], path=r["quarantine_file"])
            for r in result["tables"]
            if r.get("quarantine_file")
        ]
        lines.append(t("cli.ingest.lake", lang, path=lake_dir))
        emit(result, as_json, human="\n".join(lines))
