"""The demo's own pieces: a throw-away key ring, so ``make demo`` stays one command and stores no PII in clear.

Without PII keys in the settings the demo makes a key ring under its output folder (``OUT/keys/demo-keys.env``)
that `callwise demo` and `callwise serve --demo` both use.
"""

from __future__ import annotations

from pathlib import Path

from callwise.security.crypto import demo_key_ring
from callwise.security.files import private_dir, private_file
from callwise.security.pii import Pii
from callwise.settings import Settings, get_settings

DEMO_KEYS = Path("keys") / "demo-keys.env"


def demo_keys(out: Path, settings: Settings | None = None) -> tuple[Pii, Path | None]:
    """The settings' keys; when none are set, a throw-away ring in ``out/keys/demo-keys.env`` (0600) and its path.

    An existing demo ring there is used again, so a second demo run into the same folder can read the first.
    """
    settings = settings or get_settings()
    if settings.pii_keys is not None or settings.lookup_key is not None:
        return Pii.from_settings(settings), None  # keys set (or half set: refused there, naming the missing one)
    path = out / DEMO_KEYS
    if not path.exists():
        private_dir(path.parent)
        private_file(path)
        path.write_text("".join(f"{k}={v}\n" for k, v in demo_key_ring().items()), encoding="utf-8")
    ring = dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return Pii.from_settings(Settings(pii_keys=ring["CALLWISE_PII_KEYS"], lookup_key=ring["CALLWISE_LOOKUP_KEY"])), path
