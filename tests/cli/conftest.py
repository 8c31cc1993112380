"""The environment of an operator running callwise against its own operational database (a SQLite file)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from callwise.cli import app
from callwise.ops.customers import Pii
from callwise.ops.db import make_engine, session_factory
from callwise.security.crypto import LookupHasher, PiiCipher, new_key


@dataclass
class Operator:
    """The CALLWISE_* settings a test runs the CLI with, and a way to reach the same database directly."""

    data_dir: Path
    db_path: Path
    pii_keys: str
    lookup_key: str
    runner: CliRunner

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def run(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, list(args), input=input)

    def json(self, *args: str, input: str | None = None) -> dict:
        result = self.run(*args, "--json", input=input)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def pii(self) -> Pii:
        hasher = LookupHasher(base64.b64decode(self.lookup_key))
        return Pii(PiiCipher.from_spec(self.pii_keys), hasher)


@pytest.fixture
def operator(monkeypatch, tmp_path) -> Operator:
    """Keys set, English output, a database URL whose file does not exist yet."""
    op = Operator(tmp_path / "data", tmp_path / "ops.db", f"k1:{new_key()}", new_key(), CliRunner())
    monkeypatch.setenv("CALLWISE_DATA_DIR", str(op.data_dir))
    monkeypatch.setenv("CALLWISE_DB_URL", op.db_url)
    monkeypatch.setenv("CALLWISE_PII_KEYS", op.pii_keys)
    monkeypatch.setenv("CALLWISE_LOOKUP_KEY", op.lookup_key)
    monkeypatch.setenv("CALLWISE_LANG", "en")
    return op


@pytest.fixture
def migrated(operator) -> Operator:
    """The operator after `callwise db upgrade`."""
    result = operator.run("db", "upgrade")
    assert result.exit_code == 0, result.output
    return operator


@pytest.fixture
def db(migrated) -> Iterator[sessionmaker[Session]]:
    """Sessions on the operator's migrated database, for setting up and checking what the commands did."""
    engine = make_engine(migrated.db_url)
    yield session_factory(engine)
    engine.dispose()
