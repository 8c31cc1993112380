"""Engines and sessions for the operational database: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import CursorResult, Engine, Result, Table, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

BUSY_SECONDS = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrent writers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS}, **kwargs)
        writers = _WriterQueue()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "commit", writers.end)
        event.listen(engine, "rollback", writers.end)
        event.listen(engine.pool, "checkin", writers.checkin)
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
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write.

    A transaction that read first and writes later cannot be upgraded once another writer committed (WAL
    answers "database is locked" at once, without waiting); starting with the lock makes writers queue.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class _WriterQueue:
    """The engine's transactions take turns in this process, waiting on a lock rather than in SQLite's busy loop.

    Every transaction begins IMMEDIATE, so they run one at a time anyway. SQLite's busy handler makes the others
    poll with sleeps of up to 100 ms: they wake late, and under four concurrent requests the slowest waited
    seconds (benchmarks/service_load.py). A lock hands over the moment a transaction ends. It only replaces the
    polling: SQLite's own lock still guards the data, and other processes still meet it and its busy timeout.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, connection: Any) -> None:
        if not self._lock.acquire(timeout=BUSY_SECONDS):
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked)  # what SQLite's own busy timeout raises
        connection.info["callwise_writer"] = True
        try:
            _begin_immediate(connection)
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Any) -> None:
        self._release(connection.info)

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """A connection back in the pool holds no transaction, whatever ended it."""
        self._release(record.info)

    def _release(self, info: dict[str, Any]) -> None:
        if info.pop("callwise_writer", False):
            self._lock.release()


def table_of(model: type[DeclarativeBase]) -> Table:
    """The model's table, typed as the Table it is (SQLAlchemy declares it as any FROM clause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def insert_columns(session: Session, table: Table, columns: dict[str, list[Any]]) -> None:
    """Insert rows given as columns (name → values, all of one length) in one executemany of the driver.

    ``session.execute(insert(table), rows)`` builds and type-processes a parameter dict per row in Python, which
    cost more than the database's own work for a list of 60,000 calls. Here each column goes through its type's
    bind processor once, as a column (the same values SQLAlchemy would send), and the driver gets the statement
    SQLAlchemy compiles for this dialect with plain tuples or dicts. Columns left out take their server side
    defaults only: a column with a Python-side default must be given (the compiled statement would ask for it).
    """
    if not columns or not len(next(iter(columns.values()))):
        return
    connection = session.connection()
    dialect = connection.dialect
    # inline: no RETURNING of the new keys (PostgreSQL would render one for a single-row insert)
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(columns))
    values = {}
    for name, column in columns.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = column if process is None else _processed(column, process)
    order = compiled.positiontup  # qmark / format (SQLite): positional; pyformat / named (psycopg): by name
    positional = order is not None
    names = list(order) if order is not None else list(compiled.params)
    missing = sorted(set(names) - set(values))
    if missing:
        raise ValueError(f"the insert into {table.name} also needs {missing}")
    rows = zip(*(values[name] for name in names), strict=True)
    params: list[Any] = list(rows) if positional else [dict(zip(names, row, strict=True)) for row in rows]
    connection.exec_driver_sql(str(compiled), params)


def _processed(column: list[Any], process: Any) -> list[Any]:
    """``[process(v) for v in column]``, computed once per distinct value (a list's slots repeat a lot).

    A missing value (``None``, NaN, NaT) is processed as ``None``. Values that cannot be hashed (JSON objects)
    are processed one by one.
    """
    cells = np.empty(len(column), dtype=object)
    cells[:] = column
    try:
        codes, distinct = pd.factorize(cells)
    except TypeError:
        return [process(v) for v in column]
    done = np.empty(len(distinct) + 1, dtype=object)
    done[:-1] = [process(v) for v in distinct]
    done[-1] = process(None)  # code -1: a missing value
    return list(done[codes])


def rows_affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (the DB-API cursor's rowcount; 0 when the driver cannot say)."""
    if not isinstance(result, CursorResult):
        raise TypeError("only a statement's cursor result counts rows")
    return int(result.rowcount or 0)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back when it raises."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def scratch_schema(url: str, prefix: str = "cw_scratch") -> Iterator[str]:
    """A fresh, empty schema on the PostgreSQL server at ``url``, dropped afterwards; yields a URL that uses it.

    The schema travels in the URL (``options=-csearch_path=…``), so a subprocess server configured with it, or
    ``make_engine`` here, sees only this schema: tests and benchmarks share one server without meeting.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
