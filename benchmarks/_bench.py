"""What every benchmark shares: where it writes its figures, and throw-away keys for the lakes it builds.

Figures go to ``benchmarks/results/`` unless ``CALLWISE_BENCH_RESULTS`` names another folder: the test suite runs
every benchmark at a tiny size into a temporary folder, so a change that breaks ``make bench`` fails the day it is
made, and the committed figures are never overwritten by a tiny run.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

from callwise.security.crypto import LookupHasher, PiiCipher
from callwise.security.pii import Pii

RESULTS_SETTING = "CALLWISE_BENCH_RESULTS"


def results_dir() -> Path:
    return Path(os.environ.get(RESULTS_SETTING) or Path(__file__).parent / "results")


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``result`` as ``<results>/<name>.json`` (UTF-8, indented, keys in the order given)."""
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class PeakMemory:
    """The largest resident memory of this process and all its children while the block runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _rss(self) -> int:
        total = int(self.me.memory_info().rss)
        for child in self.me.children(recursive=True):
            with suppress(psutil.Error):
                total += int(child.memory_info().rss)
        return total

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def throwaway_pii() -> Pii:
    """Fresh keys for a benchmark's own synthetic lake: it never holds data anyone needs to read again."""
    return Pii(PiiCipher({"bench": os.urandom(32)}), LookupHasher(os.urandom(32)))


# A call centre's day: most calls are not answered; policy-changing outcomes are the rare ones.
DISPOSITION_SHARES = {
    "no_answer": 0.38,
    "busy": 0.10,
    "answered": 0.20,
    "refused": 0.08,
    "callback_requested": 0.06,
    "interested": 0.06,
    "converted": 0.04,
    "wrong_number": 0.04,
    "dnc_requested": 0.02,
    "complaint": 0.02,
}
