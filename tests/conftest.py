"""Shared fixtures: paths to the real UCI data and small helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UCI_ADDITIONAL = SHARED_DATA / "bank-additional-full.csv"
UCI_FULL = SHARED_DATA / "bank-full.csv"


@pytest.fixture(scope="session")
def uci_additional() -> Path:
    assert UCI_ADDITIONAL.exists(), f"real UCI data missing at {UCI_ADDITIONAL}"
    return UCI_ADDITIONAL


@pytest.fixture(scope="session")
def uci_full() -> Path:
    assert UCI_FULL.exists(), f"real UCI data missing at {UCI_FULL}"
    return UCI_FULL


@pytest.fixture(scope="session", autouse=True)
def pii_key_settings() -> Iterator[dict[str, str]]:
    """Throw-away PII keys for the whole run: ingest refuses to work without them (there is no default key)."""
    from callwise.security.crypto import demo_key_ring

    ring = demo_key_ring()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ring.items():
            patch.setenv(name, value)
        yield ring


@pytest.fixture
def session_pii():
    """The PII keys of the run (the ones ingest sealed the lakes with), as ``Pii``."""
    from callwise.security.pii import Pii
    from callwise.settings import Settings

    return Pii.from_settings(Settings())


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory) -> dict:
    """A 4,000-customer synthetic bank, ingested into a lake (shared by the tests that only read it)."""
    from callwise.ingest import ingest_directory
    from callwise.lake import Lake
    from callwise.synth import synthesize

    root = tmp_path_factory.mktemp("bank")
    manifest = synthesize(root / "bank", customers=4_000, seed=11)
    lake = Lake(root / "lake", threads=2)
    summary = ingest_directory(root / "bank", lake, root / "quarantine").to_dict()
    people = clear_people(root / "bank")
    return {
        "root": root,
        "bank": root / "bank",
        "lake": lake,
        "manifest": manifest,
        "ingest": summary,
        "people": people,
    }


def clear_people(bank: Path):
    """The synthetic source's phone, name and ID number by customer: the lake holds them only as tokens."""
    import pandas as pd

    columns = ["customer_id", "phone", "name", "id_number"]
    return pd.read_parquet(bank / "customers.parquet", columns=columns).set_index("customer_id")


def _postgres_url() -> str | None:
    import os

    return os.environ.get("CALLWISE_TEST_PG_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request, tmp_path):
    """A migrated, empty operational database: a SQLite file, and a fresh schema on the real PostgreSQL.

    CI sets CALLWISE_TEST_PG_URL; when it is set and the server cannot be reached the test fails (it never
    skips). Without it (a laptop with no PostgreSQL) only the SQLite half runs.
    """
    from callwise.ops.db import make_engine, scratch_schema
    from callwise.ops.migrate import upgrade

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    url = _postgres_url()
    if not url:
        pytest.skip("CALLWISE_TEST_PG_URL is not set (CI sets it)")
    with scratch_schema(url, "cw_test") as scratch:
        engine = make_engine(scratch)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
