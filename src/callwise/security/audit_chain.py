"""The tamper-evident hash chain of the audit log, as pure functions over plain records.

Each entry's hash covers its own fields and the hash of the entry before it, so editing, deleting, inserting or
moving an entry breaks the chain from that point on. What this does not protect against (truncating the newest
entries, or rewriting the whole chain from some entry onwards) is in docs/security.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callwise.i18n import t

__all__ = ["GENESIS", "HASHED_FIELDS", "ChainReport", "canonical_bytes", "entry_hash", "verify_chain"]

GENESIS = "0" * 64
HASHED_FIELDS = ("id", "ts", "actor", "action", "target", "detail", "ip")  # and prev_hash; every column but hash
_STORED_ONLY = frozenset({"prev_hash", "hash"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _timestamp(value: object) -> str:
    """ISO-8601 in UTC with microseconds and ``Z``; a naive datetime is taken as UTC (SQLite returns them naive)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"ts {value!r} is not an ISO-8601 timestamp") from None
    if not isinstance(value, datetime):
        raise TypeError(f"ts must be a datetime, not {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text_or_none(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be text or empty, not {type(value).__name__}")


def _ip(value: object) -> str | None:
    """The address in its canonical form, so ``2001:DB8::1`` hashes as PostgreSQL's ``inet`` returns it."""
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    text = _text_or_none("ip", value)
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text  # not an address (e.g. a test client's name): hashed as written


def _json_value(value: object, where: str) -> object:
    """``value`` checked to be plain JSON, so what is hashed is exactly what a JSON column gives back."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} holds {value}, which JSON cannot represent")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} that is not text; JSON keys are text")
            out[key] = _json_value(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{where} holds a {type(value).__name__}; the detail must hold JSON values only")


def canonical_bytes(prev_hash: str, record: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed: JSON with sorted keys, no whitespace, UTF-8, of the record and prev_hash."""
    if not isinstance(prev_hash, str) or not _HEX64.fullmatch(prev_hash):
        raise ValueError("prev_hash must be 64 lower-case hex characters (GENESIS for the first entry)")
    if not isinstance(record, Mapping):
        raise TypeError(f"an audit record is a mapping of column to value, not {type(record).__name__}")
    missing = [name for name in HASHED_FIELDS if name not in record]
    if missing:
        raise ValueError(f"the audit record lacks {', '.join(missing)}")
    unknown = sorted(set(record) - set(HASHED_FIELDS) - _STORED_ONLY)
    if unknown:
        raise ValueError(f"the audit record has fields the chain does not cover: {', '.join(map(str, unknown))}")
    entry_id = record["id"]
    if not isinstance(entry_id, int) or isinstance(entry_id, bool) or entry_id < 1:
        raise ValueError(f"id must be a positive integer, not {entry_id!r}")
    action = record["action"]
    if not isinstance(action, str) or not action:
        raise ValueError("action must be non-empty text")
    detail = record["detail"]
    if detail is not None and not isinstance(detail, Mapping):
        raise TypeError(f"detail must be a JSON object (dict) or empty, not {type(detail).__name__}")
    fields = {
        "id": entry_id,
        "ts": _timestamp(record["ts"]),
        "actor": _text_or_none("actor", record["actor"]),
        "action": action,
        "target": _text_or_none("target", record["target"]),
        "detail": _json_value(detail, "detail"),
        "ip": _ip(record["ip"]),
        "prev_hash": prev_hash,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the audit record holds text that is not valid Unicode (a lone surrogate)") from None


def entry_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """SHA-256 (64 lower-case hex) of the record's fields and the previous entry's hash."""
    return hashlib.sha256(canonical_bytes(prev_hash, record)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The outcome of ``verify_chain``: ``checked`` counts the entries found intact before the first break, and
    ``first_bad_id`` is the first id whose entry is not as written (for a gap, the first missing id).

    ``reason`` is the English sentence; ``message(lang)`` gives it in zh or en. ``head_hash`` is the hash of the
    last intact entry: write it down somewhere the database's administrators cannot change, to anchor the chain.
    """

    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None
    code: str | None = None
    head_hash: str = GENESIS
    values: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)

    def message(self, lang: str = "zh") -> str:
        if self.code is None:
            return t("security.audit.ok", lang, checked=self.checked)
        return t(f"security.audit.{self.code}", lang, **self.values)


def _broken(code: str, checked: int, bad_id: int | None, head: str, **values: object) -> ChainReport:
    return ChainReport(False, checked, bad_id, t(f"security.audit.{code}", "en", **values), code, head, values)


def verify_chain(
    records: Iterable[Mapping[str, Any]], start_hash: str = GENESIS, start_id: int | None = 1
) -> ChainReport:
    """Walk ``records`` in the order given (the log's id order) and report the first broken link.

    Ids must follow each other from ``start_id`` (a gap is a deleted entry), each ``prev_hash`` must be the stored
    hash of the entry before (``start_hash`` for the first), and each ``hash`` must match the entry's contents.
    To verify the log after an archived part, pass the archived head's hash and the next id (``start_id=None``
    accepts any first id). Reads one record at a time, so a log of any length fits in memory.
    """
    if not isinstance(start_hash, str) or not _HEX64.fullmatch(start_hash):
        raise ValueError("start_hash must be 64 lower-case hex characters (GENESIS for a whole log)")
    head, expected_id, previous_id, checked = start_hash, start_id, None, 0
    for record in records:
        entry_id = record.get("id") if isinstance(record, Mapping) else None
        if not isinstance(entry_id, int) or isinstance(entry_id, bool):
            problem = "it has no integer id" + (f" (it follows entry {previous_id})" if previous_id else "")
            return _broken("malformed", checked, None, head, id="?", problem=problem)
        if expected_id is not None and entry_id != expected_id:
            if entry_id > expected_id:
                return _broken("gap", checked, expected_id, head, id=expected_id, next_id=entry_id)
            if previous_id is None:
                problem = f"it has id {entry_id}, but the log starts at entry {expected_id}"
                return _broken("malformed", checked, expected_id, head, id=expected_id, problem=problem)
            return _broken("out_of_order", checked, expected_id, head, id=entry_id, prev_id=previous_id)
        if record.get("prev_hash") != head:
            return _broken("broken_link", checked, entry_id, head, id=entry_id)
        try:
            expected = entry_hash(head, record)
        except (TypeError, ValueError) as error:
            return _broken("malformed", checked, entry_id, head, id=entry_id, problem=str(error))
        if record.get("hash") != expected:
            return _broken("edited", checked, entry_id, head, id=entry_id)
        head, previous_id, expected_id, checked = expected, entry_id, entry_id + 1, checked + 1
    return ChainReport(True, checked, None, None, None, head)
