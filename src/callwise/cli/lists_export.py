"""CLI: `callwise lists export` — an issued list's pending calls with real numbers, for a dialer to load.

The caller says who they are with a bearer token (``CALLWISE_TOKEN``, as the API takes it): only a user or
machine client holding ``pii:read`` gets the numbers, and the audit log names them. The command line holds the
database itself, so without that check anyone at it could write numbers out unnamed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register_export(lists: typer.Typer) -> None:
    @lists.command("export", help="help.lists.export")
    def export(
        list_id: Annotated[int, typer.Option("--list", help="help.lists.export.list")],
        dialer: Annotated[str, typer.Option("--dialer", help="help.lists.export.dialer")],
        out: Annotated[Path, typer.Option(help="help.lists.export.out")],
        campaign: Annotated[str | None, typer.Option(help="help.lists.export.campaign")] = None,
        token: Annotated[
            str | None,
            typer.Option(
                envvar="CALLWISE_TOKEN",
                show_default=False,
                help="help.lists.export.token",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.lists.export.json")] = False,
    ) -> None:
        """Write the calls still pending on an issued list with real numbers (pii:read only; audited, 0600)."""
        from callwise.cli._ops import lang, operational_db, pii_keys
        from callwise.ops.db import transaction
        from callwise.ops.dialer_export import DIALER_FORMATS, ListNotFound, PiiReadRefused, export_for_dialer
        from callwise.ops.users import principal_for

        language = lang()
        if dialer not in DIALER_FORMATS:
            fail(t("dialer.export.format", language, format=dialer, formats=", ".join(DIALER_FORMATS)))
        secret = (token or "").strip()
        if not secret:
            fail(t("dialer.export.no_token", language))
        pii = pii_keys()
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    principal = principal_for(session, secret)
                    if principal is None:
                        fail(t("dialer.export.bad_token", language))
                        return
                    done = export_for_dialer(session, pii, principal, list_id, dialer, out, campaign_id=campaign)
            except (PiiReadRefused, ListNotFound) as error:
                fail(error.message(language))
            except OSError as error:
                fail(t("dialer.export.unwritable", language, path=out, reason=error.strerror or str(error)))
        result = {
            "path": str(done.path),
            "format": done.format,
            "list_id": done.list_id,
            "campaign_id": done.campaign_id,
            "rows": done.rows,
        }
        human = t("dialer.export.done", language, rows=done.rows, list_id=done.list_id, path=done.path)
        emit(result, as_json, human=human)
