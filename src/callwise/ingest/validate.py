"""Check one batch of rows against a contract table: typed rows to keep, bad rows with a reason code.

Reason codes: ``missing_value`` a required cell is empty; ``bad_<kind>`` a cell could not be understood
(``bad_phone``, ``bad_date`` …); ``field_too_large`` / ``bad_encoding`` a cell too long or not text (see
``readers.unreadable_cells``); ``malformed_row`` the line does not split into the header's fields (or is not
one JSON object); ``duplicate_key`` another row with the same key comes later in the file (the last one wins).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callwise.i18n.errors import Translated
from callwise.ingest.normalise import normalise
from callwise.ingest.quarantine import mask_cells
from callwise.ingest.readers import CELL_REASONS, unreadable_cells
from callwise.schema.contract import PII_TABLES, Table

REASONS = (
    "missing_value",
    "bad_phone",
    "bad_int",
    "bad_float",
    "bad_bool",
    "bad_date",
    "bad_datetime",
    "bad_enum",
    "bad_json",
    *CELL_REASONS,
    "malformed_row",
    "duplicate_key",
)


class MissingColumnError(Translated, ValueError):
    """The file lacks a required column; the message names file and column."""


@dataclass
class Checked:
    accepted: pa.Table
    rejected: pa.Table  # line, reason, column, raw (PII cells masked), original (as read: sealed, never written)


def canonical_columns(columns: list[str]) -> list[str]:
    """Header cells as the contract spells them: trimmed, lower case, spaces and dashes as underscores."""
    return [c.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_") for c in columns]


def check_header(table: Table, columns: list[str], source: str) -> None:
    canonical = canonical_columns(columns)
    present = set(canonical)
    duplicated = sorted(c for c, n in Counter(canonical).items() if n > 1)
    if duplicated:
        raise MissingColumnError("ingest.header.duplicate", path=source, column=repr(duplicated[0]))
    for name in table.required:
        if name not in present:
            raise MissingColumnError("ingest.header.missing", path=source, column=repr(name), table=repr(table.name))
    for group in table.one_of:
        if not present.intersection(group):
            raise MissingColumnError(
                "ingest.header.one_of", path=source, table=repr(table.name), columns=", ".join(group)
            )


def check_batch(table: Table, batch: pa.RecordBatch | pa.Table, lines: np.ndarray, delimiter: str = ",") -> Checked:
    """Normalise every contract column, keep extra columns as text, reject rows with any bad cell."""
    names = canonical_columns(batch.schema.names)
    n = batch.num_rows
    # Damage first: a cell that is not text is not also a "bad_phone".
    reason, bad_column = unreadable_cells(batch.rename_columns(names))
    refused = reason != None  # noqa: E711 - elementwise on an object array; kept as booleans from here on
    out: dict[str, pa.Array] = {}
    for spec in table.columns:
        if spec.name not in names:
            continue
        values, bad = normalise(batch.column(names.index(spec.name)), spec)
        missing = np.zeros(n, dtype=bool)
        if not spec.nullable:  # an empty cell (not an unreadable one) in a column that must be filled
            missing = np.asarray(pc.is_null(values), dtype=bool) & ~bad
        first = (bad | missing) & ~refused
        if first.any():
            reason[first] = np.where(missing[first], "missing_value", f"bad_{spec.kind.value}")
            bad_column[first] = spec.name
            refused |= first
        out[spec.name] = values
    contract = {c.name for c in table.columns}
    for i, name in enumerate(names):
        if name not in contract:  # extra columns are kept as text and become features
            out[name] = pc.cast(batch.column(i), pa.string())
    typed = pa.table(out)
    ok = ~refused
    if ok.all():
        return Checked(typed, rejected_rows(table, lines[:0], reason[:0], bad_column[:0], batch.slice(0, 0), delimiter))
    rejected = rejected_rows(table, lines[~ok], reason[~ok], bad_column[~ok], batch.filter(pa.array(~ok)), delimiter)
    return Checked(typed.filter(pa.array(ok)), rejected)


def rejected_rows(
    table: Table,
    lines: np.ndarray,
    reasons: np.ndarray | list,
    columns: np.ndarray | list,
    rows: pa.RecordBatch | pa.Table,
    delimiter: str,
) -> pa.Table:
    """The quarantine rows of ``rows``: line, reason, column, the line with PII cells masked, the line as read."""
    pii = PII_TABLES.get(table.name, ())
    positions = {i: name for i, name in enumerate(canonical_columns(rows.schema.names)) if name in pii}
    original = raw_lines(rows, delimiter)
    return pa.table(
        {
            "line": pa.array(lines, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
            "column": pa.array(columns, pa.string()),
            "raw": raw_lines(mask_cells(rows, positions), delimiter) if positions else original,
            "original": original,
        }
    )


def raw_lines(batch: pa.RecordBatch | pa.Table, delimiter: str = ",") -> pa.Array:
    """Rows written back as one delimited line each, as they were read (before any normalising)."""
    if batch.num_rows == 0:
        return pa.array([], pa.string())
    cells = [pc.fill_null(pc.cast(batch.column(i), pa.string()), "") for i in range(batch.num_columns)]
    return pc.binary_join_element_wise(*cells, delimiter)


def duplicate_mask(keys: pa.Table) -> np.ndarray:
    """True for every row whose key appears again later (keep the last occurrence)."""
    frame = keys.to_pandas()
    return frame.duplicated(keep="last").to_numpy()
