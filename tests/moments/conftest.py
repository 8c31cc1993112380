"""The hand-made bank of handbank.py, written into a lake once per module."""

from __future__ import annotations

import pytest

from callwise.lake import Lake

from .handbank import write_bank


@pytest.fixture(scope="module")
def hand_lake(tmp_path_factory) -> Lake:
    return write_bank(tmp_path_factory.mktemp("moments") / "lake")
