"""CLI: `callwise customers sync / show / export / erase` — the lake's customers in; one customer's 360 profile;
PIPL access and deletion requests."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from callwise.cli._choices import EngineName, lake_on
from callwise.cli._output import emit, fail
from callwise.i18n import t
from callwise.settings import get_settings

CustomerArg = Annotated[str, typer.Argument(help="help.opt.customer_id")]
OPERATOR = frozenset({"customers:read", "tags:read", "tags:sensitive"})


def register(app: typer.Typer) -> None:
    customers = typer.Typer(no_args_is_help=True, help="help.customers")
    app.add_typer(customers, name="customers")

    @customers.command("sync", help="help.customers.sync")
    def sync(
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.customers.sync.as_json")] = False,
    ) -> None:
        """Copy the lake's customers in, contact details as the lake's tokens; DNC and consent set here are kept."""
        from callwise.cli._ops import lang, operational_db
        from callwise.ops.customers import sync_customers
        from callwise.security.pii import ClearPiiError

        store = lake_on(lake, engine)
        with operational_db() as factory:
            try:
                report = sync_customers(factory, store)
            except ClearPiiError as error:
                fail(error.message(lang()))
            except FileNotFoundError as error:
                fail(error)
        counts = {
            "read": report.read,
            "inserted": report.inserted,
            "updated": report.updated,
            "skipped": report.skipped,
        }
        human = t("cli.customers.synced", lang(), **{k: f"{v:,}" for k, v in counts.items()})
        emit(counts, as_json, human=human)

    @customers.command("show", help="help.customers.show")
    def show(
        customer_id: CustomerArg,
        lake: Annotated[Path | None, typer.Option(help="help.opt.lake")] = None,
        engine: EngineName = None,
        catalogue: Annotated[Path | None, typer.Option("--catalogue", help="help.tags.catalogue")] = None,
        on: Annotated[str | None, typer.Option("--on", help="help.customers.show.on")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="help.customers.show.as_json")] = False,
    ) -> None:
        """One customer's 360 profile, masked, section by section (or as the API's JSON); audited as a read."""
        from callwise.cli._ops import ACTOR, lang, operational_db, pii_keys
        from callwise.clock import today_in
        from callwise.customers import CustomerNotFound, customer_profile
        from callwise.customers.text import profile_text
        from callwise.ops.db import transaction
        from callwise.ops.users import Principal
        from callwise.tags import CatalogueError, default_catalogue, load_catalogue
        from callwise.wiring import policy_from_settings

        language = lang()
        settings = get_settings()
        day = today_in(settings.timezone) if on is None else _day(on, language)
        try:
            tags = default_catalogue() if catalogue is None else load_catalogue(catalogue)
        except CatalogueError as error:
            fail(error)
        store = lake_on(lake, engine)
        pii = pii_keys()
        # The operator on the command line reads as the analyst does, tags:sensitive included; never PII in clear
        # (that is `customers export`, audited as an export).
        operator = Principal(name=ACTOR, permissions=OPERATOR, user_id=None, kind="cli")
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    found = customer_profile(
                        session,
                        store,
                        pii,
                        customer_id,
                        operator,
                        None,
                        on=day,
                        policy=policy_from_settings(settings),
                        catalogue=tags,
                        source="cli",
                    )
            except CustomerNotFound:
                fail(t("cli.customers.not_found", language, customer_id=customer_id[:64]), code=1)
        if as_json:
            typer.echo(json.dumps(found, ensure_ascii=False, sort_keys=True, default=_json_default))
        else:
            typer.echo(profile_text(found, language))

    @customers.command("export", help="help.customers.export")
    def export(
        customer_id: CustomerArg,
        out: Annotated[Path | None, typer.Option(help="help.customers.export.out")] = None,
    ) -> None:
        """Everything held on one customer, in clear, as JSON (PIPL access request); audited as an export."""
        from callwise.cli._ops import ACTOR, lang, operational_db, pii_keys
        from callwise.ops.customers import CustomerNotFound, export_customer
        from callwise.ops.db import transaction

        language = lang()
        pii = pii_keys()
        with operational_db() as factory:
            try:
                # The file is written inside the transaction: if writing fails, the audit entry is rolled back too.
                with transaction(factory) as session:
                    data = export_customer(session, pii, customer_id, ACTOR, None)
                    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
                    if out is not None:
                        _write_private(out, text + "\n", language)
            except CustomerNotFound:
                fail(t("cli.customers.not_found", language, customer_id=customer_id))
        if out is None:
            typer.echo(text)
        else:
            typer.echo(t("cli.customers.exported", language, customer_id=customer_id, path=out), err=True)

    @customers.command("erase", help="help.customers.erase")
    def erase(
        customer_id: CustomerArg,
        yes: Annotated[bool, typer.Option("--yes", help="help.customers.erase.yes")] = False,
    ) -> None:
        """Erase a customer's contact details everywhere and never call them again (PIPL deletion; audited)."""
        from callwise.cli._ops import ACTOR, lang, operational_db
        from callwise.ops.customers import CustomerNotFound, erase_customer
        from callwise.ops.db import transaction

        language = lang()
        if not yes:
            fail(t("cli.customers.confirm_erase", language, customer_id=customer_id))
        with operational_db() as factory:
            try:
                with transaction(factory) as session:
                    erase_customer(session, customer_id, ACTOR, None)
            except CustomerNotFound:
                fail(t("cli.customers.not_found", language, customer_id=customer_id))
        typer.echo(t("cli.customers.erased", language, customer_id=customer_id))


def _day(text: str, language: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(t("cli.customers.bad_day", language, value=text[:40]))


def _json_default(value: Any) -> str:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def _write_private(path: Path, text: str, language: str) -> None:
    """A new file only its owner can read: personal data never lands in an existing (perhaps shared) file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(t("cli.customers.out_exists", language, path=path))
    except OSError as error:
        fail(t("cli.customers.cannot_write", get_settings().lang, path=path, problem=error.strerror))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written export is left behind
        raise
