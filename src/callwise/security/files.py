"""Files that may hold personal data (the lake, quarantine files): folders 0700, files 0600, from creation on.

The mode is set when the file is created, not after it is written, so there is no moment when another user of
the machine could open it; ``chmod`` afterwards also narrows files and folders an older version left 0644/0755.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | Path) -> Path:
    """``path`` (and missing parents) as a folder only its owner can enter."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: str | Path) -> Path:
    """Create ``path`` empty and owner-only (or narrow an existing one) so a writer can then open it."""
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(descriptor)
    os.chmod(path, FILE_MODE)
    return path
