"""A synthetic bank with the multi-channel world: 1,000,000 customers, seconds and peak memory.

1. ``synthesize(..., channels=True)`` at the given size (seed 7): seconds, rows per table, the peak memory of
   the process, the share of customers with a live moment at the list date and the past multi-channel
   campaigns' true shares per channel.
2. With ``plain`` = 1, the same bank without channels too (seconds and peak memory), so the channel world's
   cost is measured on the same machine in the same hour.

Writes benchmarks/results/synth_channels.json (other sizes: synth_channels_<customers>.json).
Usage: python benchmarks/synth_channels.py [customers] [plain]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench import PeakMemory, write_result
from callwise import __version__
from callwise.synth import synthesize

GOALS = {"seconds_max_1m": 300}


def _run(root: Path, customers: int, seed: int, channels: bool) -> dict[str, Any]:
    """Wall and CPU seconds (the machine is shared: CPU time says what the work costs), peak memory, rows."""
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        manifest = synthesize(root, customers=customers, seed=seed, channels=channels)
        seconds, cpu_seconds = round(time.perf_counter() - started, 1), round(time.process_time() - cpu, 1)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "peak_memory_mb": round(memory.peak / 2**20),
        "rows": manifest["rows"],
    }


def main(customers: int = 1_000_000, plain: int = 0, seed: int = 7) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "synth_channels", "customers": customers, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="callwise-synth-channels-") as tmp:
        result["channels"] = _run(Path(tmp) / "bank", customers, seed, True)
        truth = Path(tmp) / "bank" / "_truth"
        meta = json.loads((truth / "channels_meta.json").read_text(encoding="utf-8"))
        attribution = json.loads((truth / "attribution.json").read_text(encoding="utf-8"))
        result["live_moment_share"] = meta["live_share_at_list_date"]
        result["true_share"] = attribution["overall"]["true_share"]
        print("channels", result["channels"], flush=True)
    if plain:
        with tempfile.TemporaryDirectory(prefix="callwise-synth-plain-") as tmp:
            result["plain"] = _run(Path(tmp) / "bank", customers, seed, False)
            print("plain", result["plain"], flush=True)
    result["goals"] = GOALS
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("synth_channels" if customers == 1_000_000 else f"synth_channels_{customers}", result)
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
