"""Quarantine files: every rejected row with its line and reason, its personal data masked, the line sealed.

A quarantine file must let a data steward see *why* a row was refused without showing *whose* it was: the
phone, name and ID number cells are masked, and the line as it was read is kept only as an AES-GCM token bound
to the file's name and the line number. ``reveal_line`` (``callwise quarantine reveal``) opens one line for an
authorised operator, and that reveal is written to the audit log.
"""

from __future__ import annotations

import base64
import binascii
import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from callwise.export import write_csv
from callwise.security.crypto import PiiCipher
from callwise.security.errors import DecryptError
from callwise.security.files import FILE_MODE, private_dir
from callwise.security.masking import mask_column

QUARANTINE_COLUMNS = ("line", "reason", "column", "raw", "raw_token")


class QuarantineLineNotFound(LookupError):
    """The quarantine file has no row for the line asked for."""


class QuarantineFileUnreadable(ValueError):
    """The file is not a quarantine file callwise wrote (not UTF-8 text, not CSV)."""


def mask_cells(batch: pa.RecordBatch | pa.Table, pii_columns: dict[int, str]) -> pa.Table:
    """``batch`` with the cells at the positions of ``pii_columns`` (``{position: kind}``) masked as read."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    for position, kind in pii_columns.items():
        table = table.set_column(position, table.field(position).name, mask_column(kind, table.column(position)))
    return table


def line_context(file_name: str, line: int | str) -> str:
    """What a quarantined line's token is bound to: the quarantine file's name and the line number."""
    return f"{_context_prefix(file_name)}{line}"


def _context_prefix(file_name: str) -> str:
    return f"quarantine:{file_name}:"


def line_tokens(
    lines: pa.Array | pa.ChunkedArray, originals: pa.Array | pa.ChunkedArray, file_name: str, cipher: PiiCipher
) -> pa.Array:
    """The original lines as base64 AES-GCM tokens (CSV holds text), each bound to its file and line."""
    contexts = pc.binary_join_element_wise(line_context(file_name, ""), pc.cast(lines, pa.string()), "")
    tokens = cipher.encrypt_many(
        pc.cast(originals, pa.binary()).to_pylist(), pc.cast(contexts, pa.binary()).to_pylist()
    )
    return pa.array([None if t is None else base64.b64encode(t).decode("ascii") for t in tokens], pa.string())


def write_quarantine(path: Path, rows: pa.Table) -> None:
    """``rows`` as formula-safe CSV (UTF-8 with BOM, so Excel reads the Chinese), the file 0600 in a 0700 folder."""
    private_dir(path.parent)
    write_csv(rows, path, mode=FILE_MODE)


def reveal_line(path: str | Path, line: int, cipher: PiiCipher) -> str:
    """The quarantined line ``line`` of ``path`` as it was read (the caller audits the reveal).

    ``QuarantineLineNotFound`` when the file has no such row, ``QuarantineFileUnreadable`` when it is not text
    callwise wrote, ``DecryptError`` when the token was edited, moved to another file or line, or sealed under
    other keys.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("line") == str(line) and row.get("raw_token"):
                    try:
                        token = base64.b64decode(row["raw_token"], validate=True)
                    except binascii.Error:
                        raise DecryptError("the sealed line is not base64: the file was edited") from None
                    return cipher.decrypt(token, line_context(path.name, line))
    except (UnicodeDecodeError, csv.Error):
        raise QuarantineFileUnreadable(f"{path}: not a quarantine file callwise wrote") from None
    raise QuarantineLineNotFound(f"{path}: no quarantined row for line {line}")
