"""What the commands over the operational database share: opening it checked, the PII keys, the language.

Every refusal here is one sentence on standard error and exit code 2: a missing key or an unmigrated database
stops a command before it reads or writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from callwise.cli._output import fail
from callwise.i18n import t
from callwise.ops.connect import SchemaNotCurrent, open_database, shown_url
from callwise.security.errors import KeyConfigError
from callwise.security.pii import Pii
from callwise.settings import get_settings

ACTOR = "cli"  # who the audit log names for what an operator does on the command line


def lang() -> str:
    return get_settings().lang


def database_url(url: str | None = None) -> str:
    return url or get_settings().database_url()


def first_line(error: BaseException) -> str:
    """A driver's error without the SQL and background links SQLAlchemy appends to it."""
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0]


@contextmanager
def operational_db(url: str | None = None) -> Iterator[sessionmaker[Session]]:
    """Sessions on the migrated operational database; refused when it is behind or cannot be reached."""
    target = database_url(url)
    try:
        engine, factory = open_database(target)
    except SchemaNotCurrent as error:
        fail(error)
    except SQLAlchemyError as error:
        fail(t("cli.ops.open_failed", lang(), url=shown_url(target), problem=first_line(error)))
    try:
        yield factory
    except SQLAlchemyError as error:
        fail(t("cli.ops.failed", lang(), url=shown_url(target), problem=first_line(error)))
    finally:
        engine.dispose()


def pii_keys() -> Pii:
    """The PII cipher and look-up hasher from the settings; refused, naming the setting, when they are missing."""
    from callwise.wiring import pii_from_settings

    try:
        keys = pii_from_settings(get_settings())
    except KeyConfigError as error:
        fail(error)
    return keys
