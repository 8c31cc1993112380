"""Shared fixtures: paths to the real UCI data and small helpers."""

from __future__ import annotations

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
