"""CLI: `callwise quarantine reveal` — one quarantined line as it was read, for an authorised operator, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    quarantine = typer.Typer(no_args_is_help=True, help="help.quarantine")
    app.add_typer(quarantine, name="quarantine")

    @quarantine.command("reveal", help="help.quarantine.reveal")
    def reveal(
        file: Annotated[Path, typer.Argument(help="help.quarantine.reveal.file")],
        line: Annotated[int, typer.Option(min=1, help="help.quarantine.reveal.line")],
    ) -> None:
        """Print one quarantined line in clear (it may hold a phone, name or ID number); the reveal is audited."""
        from callwise.cli._ops import ACTOR, lang, operational_db, pii_keys
        from callwise.ingest.quarantine import QuarantineFileUnreadable, QuarantineLineNotFound, reveal_line
        from callwise.ops import audit
        from callwise.ops.db import transaction
        from callwise.security.errors import DecryptError

        language = lang()
        pii = pii_keys()
        with operational_db() as factory:
            try:
                # Printed only after the audit entry is written in the same transaction: no reveal goes unrecorded.
                with transaction(factory) as session:
                    text = reveal_line(file, line, pii.cipher)
                    audit.append(session, ACTOR, "quarantine.reveal", f"quarantine:{file.name}:{line}", {}, None)
            except (FileNotFoundError, IsADirectoryError):
                fail(t("cli.quarantine.no_file", language, path=file))
            except QuarantineFileUnreadable:
                fail(t("cli.quarantine.unreadable", language, path=file))
            except QuarantineLineNotFound:
                fail(t("cli.quarantine.no_line", language, path=file, line=line))
            except DecryptError:
                fail(t("cli.quarantine.sealed_elsewhere", language, path=file, line=line))
        typer.echo(text)
