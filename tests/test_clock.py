"""One clock: every "now" in the package comes from callwise.clock, so no module keeps a second one."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import callwise
from callwise.clock import utcnow

SRC = Path(callwise.__file__).parent
READS_THE_TIME = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|def utcnow\(")


def test_now_is_read_in_one_module_only():
    readers = sorted(
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if READS_THE_TIME.search(path.read_text(encoding="utf-8"))
    )
    assert readers == ["clock.py"]


def test_the_clock_is_aware_utc():
    assert utcnow().tzinfo is UTC
