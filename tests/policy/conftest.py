"""Fixtures for the policy tests."""

from __future__ import annotations

import pytest

from callwise.lake import Lake
from tests.policy.helpers import write_lake


@pytest.fixture
def make_lake(tmp_path):
    counter = iter(range(10_000))

    def make(customers, contacts=(), holdings=()) -> Lake:
        return write_lake(tmp_path / f"l{next(counter)}", customers, contacts, holdings)

    return make
