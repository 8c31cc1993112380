"""SQLite transactions take turns on a lock in the process: handed over when one ends, however it ends."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from callwise.ops import db
from callwise.ops.db import make_engine, session_factory, transaction


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "BUSY_SECONDS", 1)  # a leaked turn shows up in a second, not in thirty
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def _write(engine, n: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


def test_a_waiting_writer_gets_the_database_as_soon_as_the_holder_commits(engine):
    started, order = threading.Event(), []

    def holder() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            started.set()
            time.sleep(0.3)
            order.append(("commit", time.perf_counter()))

    thread = threading.Thread(target=holder)
    thread.start()
    started.wait(5)
    _write(engine, 2)
    order.append(("second", time.perf_counter()))
    thread.join()
    assert [name for name, _ in order] == ["commit", "second"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "close", "session"])
def test_every_way_a_transaction_ends_hands_the_turn_on(engine, ending):
    if ending == "commit":
        _write(engine, 1)
    elif ending == "rollback":
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            connection.rollback()
    elif ending == "error":
        with pytest.raises(OperationalError), engine.begin() as connection:
            connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
    elif ending == "close":
        connection = engine.connect()
        connection.execute(text("SELECT 1"))  # a transaction began and is never ended by hand
        connection.close()
    else:
        with session_factory(engine)() as session:
            session.execute(text("SELECT count(*) FROM t"))  # a read: still a turn, given back on close
    other = threading.Thread(target=_write, args=(engine, 9))
    other.start()
    other.join(3)
    assert not other.is_alive()
    with engine.connect() as connection:
        assert 9 in connection.execute(text("SELECT n FROM t")).scalars().all()


def test_a_writer_that_waits_too_long_gets_the_error_sqlite_gives(engine):
    release = threading.Event()
    holding = threading.Event()

    def holder() -> None:
        with transaction(session_factory(engine)) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            _write(engine, 2)
    finally:
        release.set()
        thread.join()
    _write(engine, 3)  # the failed wait did not keep a turn
