"""Headless Chromium for the tests that must see a page as a browser renders it, with the internet cut off.

The system's ``chromium`` (Debian's package; ``.ci/run`` installs it) is driven from its command line: ``--dump-dom``
gives the DOM after the page's scripts ran, ``--screenshot`` a PNG. ``offline`` flags send every request that is
not to loopback to a proxy nobody listens on and resolve no name but loopback's, as on a bank intranet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DEAD_PROXY = "127.0.0.1:9"  # the discard port: nothing listens, so every proxied request is refused
WINDOW = "1280,1400"


def chromium() -> str:
    """The browser's path: ``CALLWISE_CHROMIUM`` or ``chromium`` on the PATH; a missing one fails the test."""
    path = os.environ.get("CALLWISE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no chromium on the PATH (apt-get install chromium; .ci/run does it) or CALLWISE_CHROMIUM")
    return path


def offline(resolve: str = "") -> list[str]:
    """Flags that let only loopback through; ``resolve`` adds host-resolver rules before the blocking ones.

    Chromium never sends loopback through a proxy, so the service under test stays reachable.
    """
    rules = ", ".join(r for r in (resolve, "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1") if r)
    return [f"--proxy-server={DEAD_PROXY}", f"--host-resolver-rules={rules}"]


def run(url: str, profile: Path, flags: list[str], *, screenshot: Path | None = None) -> str:
    """Load ``url`` until its scripts settle (virtual time) and return the DOM; with ``screenshot``, a PNG too."""
    command = [chromium(), "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
    command += [f"--user-data-dir={profile}", f"--window-size={WINDOW}", "--virtual-time-budget=20000", *flags]
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox (CI containers run as root)
        command.append("--no-sandbox")
    command += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    done = subprocess.run([*command, url], capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited with {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout.decode("utf-8", errors="replace")
