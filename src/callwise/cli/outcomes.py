"""CLI: `callwise outcomes import` — a dialer's CSV export into the operational DB; re-importing stores nothing new."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    outcomes = typer.Typer(no_args_is_help=True, help="help.outcomes")
    app.add_typer(outcomes, name="outcomes")

    @outcomes.command("import", help="help.outcomes.import")
    def import_(
        file: Annotated[Path, typer.Argument(help="help.outcomes.import.file")],
        mapping: Annotated[Path, typer.Option(help="help.outcomes.import.mapping")],
        rejects: Annotated[
            Path | None,
            typer.Option(help="help.outcomes.import.rejects"),
        ] = None,
        batch: Annotated[int, typer.Option(min=1, max=10_000, help="help.outcomes.import.batch")] = 500,
        as_json: Annotated[bool, typer.Option("--json", help="help.outcomes.import.as_json")] = False,
    ) -> None:
        """Store the export's outcomes once each; every row is stored, a duplicate, or rejected with its line."""
        from callwise.cli._ops import lang, operational_db, pii_keys
        from callwise.loop import DialerImportError, DialerMappingError
        from callwise.ops.outcome_import import default_rejects_path, import_dialer_outcomes, reason_text, write_rejects
        from callwise.settings import get_settings
        from callwise.web.server import lake_from_settings, planner_from_settings, policy_from_settings

        language = lang()
        pii = pii_keys()  # the rejected lines are kept sealed: no keys, no import
        settings = get_settings()
        planner = planner_from_settings(settings, lake_from_settings(settings), policy_from_settings(settings))
        with operational_db() as factory:
            try:
                result = import_dialer_outcomes(factory, file, mapping, batch=batch, plan_followups=planner)
            except (DialerImportError, DialerMappingError) as error:
                fail(str(error))
        target = rejects or default_rejects_path(file)
        try:
            written = write_rejects(result, target, pii.cipher, language)
        except OSError as error:
            fail(f"the outcomes were stored, but the rejected rows cannot be written to {target}: {error.strerror}")
        summary = {**result.summary(), "rejects_file": str(written)}
        counts = {k: f"{summary[k]:,}" for k in ("read", "stored", "duplicates", "rejected")}
        lines = [t("cli.outcomes.imported", language, **counts)]
        lines += [
            t("cli.outcomes.reason", language, count=f"{n:,}", reason=reason_text(code, language), code=code)
            for code, n in summary["reasons"].items()
        ]
        lines.append(t("cli.outcomes.rejects", language, path=written))
        emit(summary, as_json, human="\n".join(lines))
