"""Opening the operational database by URL for a command: its schema revision, and a refusal when it is behind.

A command that writes into a database whose schema is older than the code would fail halfway or, worse,
write rows the next migration does not expect; so commands open it only at the head revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import current, head, upgrade


class SchemaNotCurrent(RuntimeError):
    """The database is not at the head revision; the message says to run ``callwise db upgrade``."""


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema is against the code's newest migration (``url`` without its password)."""

    url: str
    revision: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "revision": self.revision, "head": self.head, "up_to_date": self.up_to_date}


def shown_url(url: str) -> str:
    """The URL as it may be printed: the password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)


def _missing_sqlite_file(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (connecting would create an empty one)."""
    parsed = make_url(url)
    path = parsed.database
    return parsed.get_backend_name() == "sqlite" and path not in (None, "", ":memory:") and not Path(path).exists()


def schema_status(url: str) -> SchemaStatus:
    """The revision of the database at ``url``; a SQLite file that does not exist is reported, not created."""
    if _missing_sqlite_file(url):
        return SchemaStatus(shown_url(url), None, head())
    engine = make_engine(url)
    try:
        return SchemaStatus(shown_url(url), current(engine), head())
    finally:
        engine.dispose()


def upgrade_database(url: str) -> tuple[SchemaStatus, SchemaStatus]:
    """Migrate the database at ``url`` to the head revision; returns its status before and after."""
    before = schema_status(url)
    engine = make_engine(url)
    try:
        revision = upgrade(engine)
    finally:
        engine.dispose()
    return before, SchemaStatus(before.url, revision, head())


def require_current(url: str) -> SchemaStatus:
    """The status of the database at ``url``; ``SchemaNotCurrent`` unless it is at the head revision."""
    status = schema_status(url)
    if not status.up_to_date:
        raise SchemaNotCurrent(
            f"the operational database at {status.url} is at revision {status.revision or 'none'}, "
            f"not {status.head}: run `callwise db upgrade` first"
        )
    return status


def open_database(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """An engine and session factory for the database at ``url``, refused unless it is at the head revision."""
    require_current(url)
    engine = make_engine(url)
    return engine, session_factory(engine)
