"""The tiny hand-made bank (tests/customers/tiny.py) in a lake, synced into a migrated operational DB."""

from __future__ import annotations

import pytest

from callwise.lake import Lake
from callwise.ops.customers import sync_customers
from callwise.ops.db import session_factory
from callwise.tags import load_catalogue
from tests.customers.tiny import tiny_lake_at


@pytest.fixture(scope="session")
def tiny_lake(tmp_path_factory) -> Lake:
    return tiny_lake_at(tmp_path_factory.mktemp("tiny360"))


@pytest.fixture(scope="session")
def catalogue(tiny_lake):
    return load_catalogue(tiny_lake.root.parent / "tags.yaml")


@pytest.fixture
def factory(db_engine, tiny_lake):
    factory = session_factory(db_engine)
    sync_customers(factory, tiny_lake)
    return factory
