"""Fixtures for the outcome-loop tests: a real webhook receiver on a local port."""

from __future__ import annotations

import pytest

from tests.loop.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver(secret="s3cret-for-tests")
    server.start()
    yield server
    server.stop()
