"""Call outcomes from a dialer's CSV export, normalised, with every unusable row kept and explained.

The file is opened by the ingest reader (UTF-8, UTF-8 with BOM, GBK/GB18030; delimiter sniffed), then read
as text with only empty cells as empty: a dialer's "NA" (no answer) or "NULL" code is a code, not a missing
value. Columns are found by the names in the mapping, codes translated by its table, local timestamps read
on the export's clock and stored in UTC. Each row ends up either in ``outcomes`` or in ``rejected`` with its
line and one reason code, so read = accepted + rejected. A call id seen twice keeps its last row (a dialer
re-exports a call when its wrap-up changes), like ingest's duplicate keys.

Reason codes: ``malformed_row``, ``field_too_large``, ``bad_encoding`` (see ``readers.unreadable_cells``),
``missing_call_id``, ``missing_customer_id``, ``missing_campaign_id``,
``missing_code``, ``unknown_code``, ``missing_time``, ``bad_time``, ``bad_callback_time``, ``bad_duration``,
``bad_phone``, ``duplicate_call_id``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.ingest.normalise import parse_phone
from callwise.ingest.quarantine import mask_cells
from callwise.ingest.readers import (
    CELL_REASONS,
    CSV_SUFFIXES,
    MalformedRow,
    Source,
    SourceError,
    csv_batches,
    open_source,
    unreadable_cells,
)
from callwise.ingest.validate import raw_lines
from callwise.loop.dialer_mapping import DialerMapping, load_dialer_mapping
from callwise.loop.dialer_values import durations, escape_part, utc_times

REASONS = (
    "malformed_row",
    *CELL_REASONS,
    "missing_call_id",
    "missing_customer_id",
    "missing_campaign_id",
    "missing_code",
    "unknown_code",
    "missing_time",
    "bad_time",
    "bad_callback_time",
    "bad_duration",
    "bad_phone",
    "duplicate_call_id",
)
UTC_TS = pa.timestamp("us", tz="UTC")
OUTCOME_SCHEMA = pa.schema(
    [
        ("idempotency_key", pa.string()),
        ("customer_id", pa.string()),
        ("campaign_id", pa.string()),
        ("ts", UTC_TS),
        ("disposition", pa.string()),
        ("agent_id", pa.string()),
        ("duration_s", pa.float64()),
        ("callback_at", UTC_TS),
        ("call_id", pa.string()),
        ("dialer_code", pa.string()),
        ("phone", pa.string()),
        ("line", pa.int64()),
    ]
)
# raw: the line with the phone cell masked; original: the line as read (sealed into the rejects file, never shown)
REJECTED_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("column", pa.string()),
        ("raw", pa.string()),
        ("original", pa.string()),
    ]
)


class DialerImportError(ValueError):
    """The export cannot be read at all (missing file or column, unreadable encoding); names file and column."""


@dataclass(frozen=True)
class DialerImport:
    """Normalised outcomes and the rows that could not be used (``line``, ``reason``, ``column``, ``raw``)."""

    source: str
    encoding: str
    outcomes: pa.Table
    rejected: pa.Table
    unknown_codes: dict[str, int] = field(default_factory=dict)
    mapping_sha256: str = ""

    @property
    def read(self) -> int:
        return self.outcomes.num_rows + self.rejected.num_rows

    def summary(self) -> dict[str, Any]:
        reasons = Counter(self.rejected.column("reason").to_pylist())
        return {
            "source": self.source,
            "encoding": self.encoding,
            "read": self.read,
            "accepted": self.outcomes.num_rows,
            "rejected": self.rejected.num_rows,
            "reasons": dict(sorted(reasons.items())),
            "unknown_codes": dict(sorted(self.unknown_codes.items())),
            "mapping_sha256": self.mapping_sha256,
        }


def read_dialer_export(path: str | Path, mapping: DialerMapping | str | Path) -> DialerImport:
    """Read one export with ``mapping`` (a mapping or its file); see the module for what is rejected why."""
    if not isinstance(mapping, DialerMapping):
        mapping = load_dialer_mapping(mapping)
    path = Path(path)
    if path.suffix.lower() not in CSV_SUFFIXES:
        raise DialerImportError(f"{path}: a dialer export must be a CSV file ({', '.join(CSV_SUFFIXES)})")
    try:
        source = open_source(path)
    except SourceError as exc:
        raise DialerImportError(str(exc)) from None
    positions = _find_columns(source, mapping)
    table, lines = _read_text(source)
    filled = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        filled |= np.asarray(pc.is_valid(column), dtype=bool)
    table, lines = table.filter(pa.array(filled)), lines[filled]  # blank lines are layout, not rows
    cells = {name: _text(table.column(i)) for name, i in positions.items()}
    pii = {positions["phone"]: "phone"} if "phone" in positions else {}
    outcomes, rejected, unknown = _normalise(cells, mapping, lines, source, table, pii)
    malformed = [m for m in source.malformed if not m.blank]
    if malformed:
        rejected = pa.concat_tables([rejected, _malformed(malformed)])
    return DialerImport(
        source=str(path),
        encoding=source.encoding or "",
        outcomes=outcomes,
        rejected=rejected.sort_by("line"),
        unknown_codes=unknown,
        mapping_sha256=mapping.sha256,
    )


def _find_columns(source: Source, mapping: DialerMapping) -> dict[str, int]:
    """Field → position in the header; a mapped column missing from the file stops the import."""
    header = [unicodedata.normalize("NFKC", c).strip() for c in source.columns]
    positions = {}
    for name, column in mapping.columns.given().items():
        wanted = unicodedata.normalize("NFKC", column).strip()
        found = [i for i, h in enumerate(header) if h == wanted]
        if not found:
            found = [i for i, h in enumerate(header) if h.casefold() == wanted.casefold()]
        if not found:
            raise DialerImportError(
                f"{source.path}: column '{column}' (mapped as {name}) is not in the file; "
                f"its columns are: {', '.join(source.columns)}"
            )
        if len(found) > 1:
            raise DialerImportError(f"{source.path}: column '{column}' (mapped as {name}) appears twice in the header")
        positions[name] = found[0]
    return positions


def _read_text(source: Source) -> tuple[pa.Table, np.ndarray]:
    """Every cell as text, only empty cells null; rows that do not split into the header's fields are noted."""
    names = [f"c{i}" for i in range(len(source.columns))]
    try:
        batches = list(csv_batches(source, names, null_values=("",)))
    except SourceError as exc:
        raise DialerImportError(str(exc)) from None
    table = pa.Table.from_batches(batches, schema=pa.schema([(n, pa.string()) for n in names]))
    return table, source.lines(0, table.num_rows)


def _text(values: pa.ChunkedArray) -> pd.Series:
    """Cells with full-width characters folded (NFKC) and spaces trimmed; blanks are null."""
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(values.combine_chunks(), "NFKC")).to_pandas()
    text = pd.Series(text, dtype="str")
    return text.where(text != "", None)


def _normalise(
    cells: dict[str, pd.Series],
    mapping: DialerMapping,
    lines: np.ndarray,
    source: Source,
    table: pa.Table,
    pii: dict[int, str],
) -> tuple[pa.Table, pa.Table, dict[str, int]]:
    n = len(lines)
    empty = pd.Series([None] * n, dtype="str")
    campaign = cells.get("campaign_id", pd.Series([mapping.campaign] * n, dtype="str"))
    code = cells["disposition"]
    disposition = code.str.casefold().map(mapping.codes())
    ts, bad_ts = utc_times(cells["start_time"], mapping.timezone)
    callback, bad_callback = utc_times(cells.get("callback_time", empty), mapping.timezone)
    duration, bad_duration = durations(cells.get("duration", empty))
    phone_text = cells.get("phone", empty)
    phone = parse_phone(phone_text)
    columns = mapping.columns.given()
    checks = [
        ("missing_call_id", "call_id", cells["call_id"].isna()),
        ("missing_customer_id", "customer_id", cells["customer_id"].isna()),
        ("missing_campaign_id", "campaign_id", campaign.isna()),
        ("missing_code", "disposition", code.isna()),
        ("missing_time", "start_time", cells["start_time"].isna()),
        ("unknown_code", "disposition", code.notna() & disposition.isna()),
        ("bad_time", "start_time", bad_ts),
        ("bad_callback_time", "callback_time", bad_callback),
        ("bad_duration", "duration", bad_duration),
        ("bad_phone", "phone", phone_text.notna() & phone.isna()),
    ]
    masks = [np.asarray(mask, dtype=bool) for _, _, mask in checks]
    reason = np.select(masks, [r for r, _, _ in checks], default="").astype(object)
    column = np.select(masks, [columns.get(f, f) for _, f, _ in checks], default="").astype(object)
    damage, damaged_column = unreadable_cells(table.rename_columns(source.columns))  # before any other reason
    damaged = damage != None  # noqa: E711 - elementwise on an object array
    reason[damaged], column[damaged] = damage[damaged], damaged_column[damaged]
    ok = reason == ""
    keys = pd.DataFrame({"campaign": campaign, "call": cells["call_id"]})
    duplicate = np.zeros(n, dtype=bool)
    duplicate[ok] = keys[ok].duplicated(keep="last").to_numpy()  # a rejected later row replaces nothing
    reason[duplicate], column[duplicate] = "duplicate_call_id", columns["call_id"]
    ok &= ~duplicate
    unknown = Counter(code[reason == "unknown_code"].tolist())
    columns_out = {
        "idempotency_key": ("dialer:" + escape_part(campaign) + ":" + escape_part(cells["call_id"]))[ok],
        "customer_id": cells["customer_id"][ok],
        "campaign_id": campaign[ok],
        "ts": ts[ok],
        "disposition": disposition[ok],
        "agent_id": cells.get("agent_id", empty)[ok],
        "duration_s": duration[ok],
        "callback_at": callback[ok],
        "call_id": cells["call_id"][ok],
        "dialer_code": code[ok],
        "phone": phone[ok],
        "line": lines[ok],
    }
    outcomes = pa.table(
        {name: pa.array(values, OUTCOME_SCHEMA.field(name).type) for name, values in columns_out.items()}
    )
    bad = ~ok
    bad_rows = table.filter(pa.array(bad))
    rejected = pa.table(
        {
            "line": pa.array(lines[bad], pa.int64()),
            "reason": pa.array(reason[bad], pa.string()),
            "column": pa.array(column[bad], pa.string()),
            "raw": raw_lines(mask_cells(bad_rows, pii), source.delimiter or ","),
            "original": raw_lines(bad_rows, source.delimiter or ","),
        },
        schema=REJECTED_SCHEMA,
    )
    return outcomes, rejected, dict(unknown)


def _malformed(rows: list[MalformedRow]) -> pa.Table:
    return pa.table(
        {
            "line": pa.array([m.line for m in rows], pa.int64()),
            "reason": pa.array(["malformed_row"] * len(rows), pa.string()),
            "column": pa.array([None] * len(rows), pa.string()),
            "raw": pa.array([None] * len(rows), pa.string()),  # cannot be masked cell by cell: withheld
            "original": pa.array([m.text for m in rows], pa.string()),
        },
        schema=REJECTED_SCHEMA,
    )
