"""Open a bank's file whatever shape it comes in: CSV (any common encoding and delimiter), XLSX, Parquet.

Readers stream Arrow record batches so a file larger than memory can still be ingested. Every failure is
one sentence that names the file (``SourceError``); rows the CSV parser cannot split are not errors but
quarantine candidates (``Source.malformed``), kept with their original text.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES
DELIMITERS = ",;\t|"
SAMPLE_BYTES = 1 << 20
BATCH_ROWS = 500_000
CSV_BLOCK_BYTES = 64 << 20  # one CSV batch: large enough to be fast, small enough to stream
NULL_VALUES = ("", "NULL", "null", "NA", "N/A")
EXACT_INT = 2**53  # integers beyond this lose digits in Excel (and in any float)


class SourceError(ValueError):
    """A file that cannot be read as a table; the message names the file."""


@dataclass
class MalformedRow:
    line: int
    text: str
    blank: bool = False


@dataclass
class Source:
    """A readable table file and what was detected about it."""

    path: Path
    format: str  # csv | xlsx | parquet | jsonl
    columns: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    malformed: list[MalformedRow] = field(default_factory=list)

    def batches(self, as_text: bool = True) -> Iterator[pa.RecordBatch]:
        """The rows in batches; CSV cells stay text (``as_text``) so normalisers see what the bank wrote."""
        if self.format == "csv":
            yield from _csv_batches(self, as_text)
        elif self.format == "parquet":
            yield from pq.ParquetFile(self.path).iter_batches(batch_size=BATCH_ROWS)
        elif self.format == "xlsx":
            frame = _read_excel(self.path)
            yield from pa.Table.from_pandas(frame, preserve_index=False).to_batches()
        else:
            frame = pd.read_json(self.path, lines=True, dtype=False)
            for column in frame.columns:  # nested JSON (transcript turns) is kept as JSON text
                if frame[column].map(lambda v: isinstance(v, list | dict)).any():
                    frame[column] = frame[column].map(_json_text)
            yield from pa.Table.from_pandas(frame, preserve_index=False).to_batches()

    def lines(self, first_row: int, rows: int) -> np.ndarray:
        """Line numbers (1-based, header = 1) of data rows ``first_row … first_row + rows - 1``."""
        k = np.arange(first_row, first_row + rows)
        if self.format != "csv":
            return k + (2 if self.format == "xlsx" else 1)
        skipped = np.array(sorted(m.line for m in self.malformed), dtype=np.int64)
        # Valid rows fill the lines the skipped ones leave free: row k sits k + 2 + (skipped lines before it).
        before = skipped - np.arange(len(skipped)) - 2
        return k + 2 + np.searchsorted(before, k, side="right")


def open_source(path: str | Path) -> Source:
    """Detect format, encoding and delimiter and read the header; refuse empty or unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            return Source(path, "parquet", list(pq.read_schema(path).names))
        if suffix in EXCEL_SUFFIXES:
            return Source(path, "xlsx", [str(c) for c in _read_excel(path, nrows=0).columns])
        if suffix in JSONL_SUFFIXES:
            first = pd.read_json(path, lines=True, nrows=1, dtype=False)
            return Source(path, "jsonl", [str(c) for c in first.columns])
    except SourceError:
        raise
    except Exception as exc:  # the libraries' own errors are long; one sentence is enough
        raise SourceError(f"{path}: cannot read it as {suffix.lstrip('.')}: {_first_line(exc)}") from exc
    if suffix not in CSV_SUFFIXES:
        raise SourceError(f"{path}: unsupported file type {suffix!r}; use CSV, XLSX, Parquet or JSON lines")
    return _open_csv(path)


def detect_encoding(sample: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK); anything else is refused."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample[:4096]:
        raise SourceError(f"{path}: the file looks like UTF-16; save it as UTF-8 or GBK")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{path}: the text encoding is neither UTF-8 nor GBK/GB18030")


def _open_csv(path: Path) -> Source:
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample, path)
    text = sample.decode(encoding, errors="ignore")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise SourceError(f"{path}: the file is empty")
    delimiter = _sniff_delimiter(lines[:50])
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    columns = [h.strip() for h in header]
    if any(not c for c in columns):
        raise SourceError(f"{path}: the header has an empty column name (column {columns.index('') + 1})")
    return Source(path, "csv", columns, encoding=encoding, delimiter=delimiter)


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header and the first rows into the same number (> 1) of fields."""
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts) * 1000 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_batches(source: Source, as_text: bool, null_values: tuple[str, ...] = NULL_VALUES) -> Iterator[pa.RecordBatch]:
    source.malformed.clear()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        source.malformed.append(MalformedRow(int(row.number), row.text, blank=not row.text.strip()))
        return "skip"

    # One thread: the parser then knows each bad row's line number, so every row's line can be told.
    # Blank lines are read as rows of empty cells (dropped later) so they keep the line count right.
    read = pacsv.ReadOptions(
        encoding="utf8" if source.encoding == "utf-8" else source.encoding,
        skip_rows=1,
        column_names=source.columns,
        block_size=CSV_BLOCK_BYTES,
        use_threads=False,
    )
    parse = pacsv.ParseOptions(delimiter=source.delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False)
    types = {c: pa.string() for c in source.columns} if as_text else None
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=list(null_values))
    try:
        reader = pacsv.open_csv(source.path, read_options=read, parse_options=parse, convert_options=convert)
        yield from reader
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise SourceError(f"{source.path}: cannot read it as CSV: {_first_line(exc)}") from exc


def _read_excel(path: Path, nrows: int | None = None) -> pd.DataFrame:
    frame = pd.read_excel(path, engine="calamine", dtype=object, nrows=nrows)
    if frame.columns.size == 0:
        raise SourceError(f"{path}: the first sheet is empty")
    # Cells become text, as in a CSV; the normalisers parse them the same way.
    return frame.map(lambda v: None if pd.isna(v) else str(v))


def _json_text(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def read_frame(path: str | Path) -> pd.DataFrame:
    """A whole file as a typed DataFrame (the wide-table path): numbers as numbers, text as text."""
    source = open_source(path)
    if source.format == "csv":
        table = pa.Table.from_batches(list(source.batches(as_text=False)))
        bad_rows = [m for m in source.malformed if not m.blank]
        if bad_rows:
            bad = bad_rows[0]
            raise SourceError(f"{source.path}: line {bad.line} does not have {len(source.columns)} fields")
        frame = table.to_pandas()
    elif source.format == "xlsx":
        frame = pd.read_excel(source.path, engine="calamine")
    else:
        frame = pa.Table.from_batches(list(source.batches())).to_pandas()
    if frame.empty:
        raise SourceError(f"{source.path}: the file has a header but no rows")
    return frame


def read_cells(path: str | Path) -> pd.DataFrame:
    """A whole file with every value as the file has it, to be written back beside new columns.

    :func:`read_frame` types columns for models, which changes what people wrote: one blank turns an integer
    column into floats (``24`` → ``24.0``), ``007`` becomes 7, a long ID loses digits, ``NA`` becomes blank.
    Here CSV cells stay text unless writing them as numbers gives back the very same text; XLSX cells keep
    their own types; Parquet and JSON lines keep their Arrow types (an integer column with nulls stays
    integer).
    """
    source = open_source(path)
    if source.format == "xlsx":
        return pd.read_excel(source.path, engine="calamine", dtype=object)
    if source.format == "csv":
        batches = list(_csv_batches(source, as_text=True, null_values=("",)))
        table = pa.Table.from_batches(batches) if batches else None
        if table is not None:
            table = pa.Table.from_arrays([_as_written(c) for c in table.columns], names=table.column_names)
    else:
        table = pa.Table.from_batches(list(source.batches()))
    if table is None or table.num_rows == 0:
        raise SourceError(f"{source.path}: the file has a header but no rows")
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _as_written(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column as int64 or float64 when writing those numbers back gives exactly its text, else text."""
    text = column.drop_null()
    if len(text) == 0:
        return column
    for kind in (pa.int64(), pa.float64()):
        try:
            numbers = pc.cast(text, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        values = numbers.to_numpy()
        if kind == pa.int64():
            exact = bool((values >= -EXACT_INT).all() and (values <= EXACT_INT).all())
        else:
            exact = bool(np.isfinite(values).all())
        # The text a writer will produce: Arrow's for integers, NumPy's shortest repr (what pandas writes) for floats.
        written = (
            pc.cast(numbers, pa.string()).to_numpy(zero_copy_only=False) if kind == pa.int64() else values.astype(str)
        )
        if exact and (written == text.to_numpy(zero_copy_only=False)).all():
            return pc.cast(column, kind)
    return column
