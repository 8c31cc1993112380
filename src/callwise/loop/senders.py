"""Delivery of outbox messages: to JSON-lines files (the default) or to a signed webhook.

:class:`FileSender` is what a small bank starts with and what tests use: one JSON line per message in
``<dir>/<channel>-YYYYMMDD.jsonl`` (the bank's calendar day), written at most once per dedupe key. It reads
the keys back from the files themselves (only the bytes added since it last looked), under a file lock, so
several processes may share a directory and a crash between two steps cannot leave an index that disagrees
with the files. The webhook sender, the signature check for receivers and the retry schedule live in their
own modules and are exported here, so one import gives every delivery piece.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from callwise.clock import utcnow
from callwise.loop.outbox import DeliveryResult, DeliveryStatus, OutboxMessage, Sender
from callwise.loop.retry import MAX_ATTEMPTS, backoff, next_attempt_at
from callwise.loop.webhook import WebhookSender, sign, verify_signature
from callwise.policy.calltime import zone
from callwise.schema.contract import DEFAULT_TIMEZONE

try:
    import fcntl
except ImportError:  # Windows: the lock then only holds within one process
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryResult",
    "DeliveryStatus",
    "FileSender",
    "OutboxMessage",
    "Sender",
    "WebhookSender",
    "backoff",
    "next_attempt_at",
    "sign",
    "verify_signature",
]


class FileSender:
    """Appends each message as one JSON line to ``<directory>/<channel>-YYYYMMDD.jsonl``, once per dedupe key."""

    def __init__(
        self,
        directory: str | Path,
        bank_timezone: str = DEFAULT_TIMEZONE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        bank_zone = zone(bank_timezone)
        if bank_zone is None:
            raise ValueError(f"unknown bank time zone {bank_timezone!r}")
        self.directory = Path(directory)
        self._zone = bank_zone
        self._clock = clock or utcnow
        self._keys: set[str] = set()
        self._offsets: dict[str, int] = {}
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage) -> DeliveryResult:
        now = self._clock().astimezone(UTC)
        record = {**message.to_dict(), "written_at": now.isoformat()}
        try:
            line = json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False).encode("utf-8") + b"\n"
        except (TypeError, ValueError) as exc:
            return DeliveryResult.permanent(f"the payload cannot be written as JSON: {exc}")
        path = self.directory / f"{message.channel}-{now.astimezone(self._zone):%Y%m%d}.jsonl"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._lock, self._file_lock():
                self._catch_up()
                if message.dedupe_key in self._keys:
                    return DeliveryResult.success("already written")
                _append(path, line)
                self._keys.add(message.dedupe_key)
        except OSError as exc:
            return DeliveryResult.retryable(f"cannot write to {self.directory}: {exc.strerror or exc}")
        return DeliveryResult.success(f"written to {path.name}")

    def written_keys(self) -> set[str]:
        """Every dedupe key found in the directory's files."""
        with self._lock, self._file_lock():
            self._catch_up()
            return set(self._keys)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        with (self.directory / ".lock").open("a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        """Read the dedupe keys of the complete lines added to any file since the last look."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.jsonl")):
            offset = self._offsets.get(path.name, 0)
            if path.stat().st_size < offset:  # replaced by hand: read it again (keys already seen stay)
                offset = 0
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
            end = data.rfind(b"\n") + 1  # a line still being written (no newline yet) waits for next time
            self._keys.update(_keys_in(data[:end]))
            self._offsets[path.name] = offset + end


def _append(path: Path, line: bytes) -> None:
    """Append one line durably; a torn last line (a crash mid-write) is closed first so it stays apart."""
    torn = False
    if path.exists() and path.stat().st_size:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            torn = handle.read(1) != b"\n"
    with path.open("ab") as handle:
        handle.write((b"\n" if torn else b"") + line)
        handle.flush()
        os.fsync(handle.fileno())


def _keys_in(data: bytes) -> list[str]:
    keys = []
    for raw in data.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:  # a torn or foreign line: it holds no key that was acknowledged
            continue
        if isinstance(record, dict) and isinstance(record.get("dedupe_key"), str):
            keys.append(record["dedupe_key"])
    return keys
