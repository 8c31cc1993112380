"""CLI: `callwise db upgrade / current` — migrate the operational database and show its schema revision."""

from __future__ import annotations

from typing import Annotated

import typer

from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="help.opt.db_url"),
]


def register(app: typer.Typer) -> None:
    db = typer.Typer(no_args_is_help=True, help="help.db")
    app.add_typer(db, name="db")

    @db.command("upgrade", help="help.db.upgrade")
    def upgrade(
        url: UrlOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.db.upgrade.as_json")] = False,
    ) -> None:
        """Bring the schema to the newest revision (creates the SQLite file when there is none); safe to repeat."""
        from sqlalchemy.exc import SQLAlchemyError

        from callwise.cli._ops import database_url, first_line, lang
        from callwise.ops.connect import shown_url, upgrade_database

        target = database_url(url)
        try:
            before, after = upgrade_database(target)
        except SQLAlchemyError as error:
            fail(t("cli.db.migrate_failed", get_settings().lang, url=shown_url(target), problem=first_line(error)))
        language = lang()
        none = t("cli.db.none", language)
        human = t("cli.db.upgraded", language, url=after.url, revision=after.revision, before=before.revision or none)
        emit({"before": before.revision, **after.to_dict()}, as_json, human=human)

    @db.command("current", help="help.db.current")
    def show_current(
        url: UrlOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.db.current.as_json")] = False,
    ) -> None:
        """Show the database's schema revision against the newest one this version of callwise knows."""
        from sqlalchemy.exc import SQLAlchemyError

        from callwise.cli._ops import database_url, first_line, lang
        from callwise.ops.connect import schema_status, shown_url

        target = database_url(url)
        try:
            status = schema_status(target)
        except SQLAlchemyError as error:
            fail(t("cli.db.read_failed", get_settings().lang, url=shown_url(target), problem=first_line(error)))
        language = lang()
        revision = status.revision or t("cli.db.none", language)
        key = "cli.db.current" if status.up_to_date else "cli.db.behind"
        emit(status.to_dict(), as_json, human=t(key, language, url=status.url, revision=revision, head=status.head))
