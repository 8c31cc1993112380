"""Paths a client names, confined to one directory: every path resolved through its symlinks, files too.

Checking only the directory a client names is not enough: a file inside it may be a symlink to anywhere
(``model_card.json`` → ``/etc/…``), and reading it would hand that file to the client.
"""

from __future__ import annotations

from pathlib import Path

from callwise.i18n.errors import Translated


class OutsideRoot(Translated, ValueError):
    """A path that is, or resolves to, something outside the directory it must stay in."""


def confined(root: Path, path: str | Path) -> Path:
    """``path`` (relative to ``root``, or absolute) with every symlink followed; ``OutsideRoot`` unless the
    result is ``root`` or lies under it. ``ValueError`` for a name the file system cannot take (a NUL byte)."""
    base = root.resolve()
    resolved = (base / path).resolve()
    if resolved != base and base not in resolved.parents:
        raise OutsideRoot("models.outside_root", path=path)
    return resolved


def confined_tree(root: Path, path: str | Path) -> Path:
    """The directory ``path`` under ``root``, after checking that it and every file and directory below it
    resolve inside ``root``: nothing read from it later can lead out."""
    directory = confined(root, path)
    if directory.is_dir():
        base = root.resolve()
        for item in directory.rglob("*"):
            confined(root, item.relative_to(base))  # named relative to root: no server path in the message
    return directory
