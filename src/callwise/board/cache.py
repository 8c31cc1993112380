"""A small cache for board numbers that read the lake and take seconds: keyed by the lake's data version.

The version is the identity (name, inode, modification time, size) of every file of the tables read: a
lake write renames a new file over the old and an append adds a file, so either changes the key and the
next view recomputes. Nothing is ever served for data that has changed since.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from callwise.lake import Lake

T = TypeVar("T")


def lake_version(lake: Lake, names: Iterable[str] | None = None) -> tuple[Hashable, ...]:
    """The identity of the files of ``names`` (every table when None)."""
    version: list[Hashable] = [str(lake.root)]
    for name in lake.names() if names is None else names:
        for path in lake.files(name) if lake.has(name) else []:
            stat = path.stat()
            version.append((name, path.name, stat.st_ino, stat.st_mtime_ns, stat.st_size))
    return tuple(version)


class VersionedCache(Generic[T]):
    """The last ``size`` results by key, least recently used dropped first; thread-safe."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: a slow computation must not hold up other keys
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> T | None:
        """The value of ``key`` if it is computed already, else None (nothing is computed)."""
        with self._lock:
            return self._items.get(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
