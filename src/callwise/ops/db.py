"""Engines and sessions for the operational database: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the service answers 503 and recovers when it returns."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrent writers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)  # a connection that died with the server is replaced, not reused
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, **kwargs)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # the driver's own BEGIN is replaced by _begin_immediate
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; WAL keeps it consistent
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    A transaction that read first and writes later cannot be upgraded once another writer committed (WAL
    answers "database is locked" at once, without waiting); starting with the lock makes writers queue.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back when it raises."""
    with factory() as session, session.begin():
        yield session
