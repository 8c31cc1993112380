"""CLI: `callwise audit verify` — re-hash the whole audit chain; exit 1 at the first entry not as written."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.cli._output import emit
from callwise.i18n import t


def register(app: typer.Typer) -> None:
    audit = typer.Typer(no_args_is_help=True, help="help.audit")
    app.add_typer(audit, name="audit")

    @audit.command("verify", help="help.audit.verify")
    def verify(
        as_json: Annotated[bool, typer.Option("--json", help="help.audit.verify.as_json")] = False,
    ) -> None:
        """Verify every entry and the head; print the head hash, to be copied where the DB admins cannot write."""
        from callwise.cli._ops import lang, operational_db
        from callwise.ops import audit as audit_log

        with operational_db() as factory, factory() as session:
            report = audit_log.verify(session)
        language = lang()
        if report.ok or report.first_bad_id is None:  # intact, or a finding about the log as a whole
            verdict = report.message(language)
        else:
            bad = report.first_bad_id
            verdict = t("cli.audit.broken", language, id=bad, checked=report.checked, reason=report.message(language))
        result = {
            "ok": report.ok,
            "checked": report.checked,
            "first_bad_id": report.first_bad_id,
            "code": report.code,
            "reason": report.reason,
            "head_hash": report.head_hash,
        }
        emit(result, as_json, human=f"{verdict}\n{t('cli.audit.head', language, hash=report.head_hash)}")
        if not report.ok:
            raise typer.Exit(1)
