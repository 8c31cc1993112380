"""Open a bank's file whatever shape it comes in: CSV (any common encoding and delimiter), XLSX, Parquet.

Readers stream Arrow record batches so a file larger than memory can still be ingested. Every failure is
one sentence that names the file (``SourceError``); rows the CSV parser cannot split (or JSON lines that are
not one object) are not errors but quarantine candidates (``Source.malformed``), kept with their original text.

Damage is bounded here, once for every caller: a CSV file is decoded by one stream that turns bytes its
encoding cannot read into U+FFFD, so the parser only ever sees text, and ``unreadable_cells`` names the rows
holding such a cell (``bad_encoding``) or a cell longer than ``MAX_FIELD_CHARS`` (``field_too_large``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callwise.i18n.errors import Term, Translated

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
NULL_VALUES = ("", "NULL", "null", "NA", "N/A")
SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES
DELIMITERS = ",;\t|"
SAMPLE_BYTES = 1 << 20
BATCH_ROWS = 500_000
CSV_BLOCK_BYTES = 64 << 20  # one CSV batch: large enough to be fast, small enough to stream; also the longest line
MAX_FIELD_CHARS = 1_000_000  # a longer cell is no bank's value but damage: its row is quarantined (field_too_large)
MAX_COLUMN_NAME_CHARS = 1_000  # header cells become column names in the lake
CELL_REASONS = ("field_too_large", "bad_encoding")
# The header and the sniffed lines come from the first SAMPLE_BYTES, so no field csv sees can be longer.
csv.field_size_limit(max(csv.field_size_limit(), SAMPLE_BYTES))
EXACT_INT = 2**53  # integers beyond this lose digits in Excel (and in any float)


class SourceError(Translated, ValueError):
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
    header_line: int = 1  # blank lines before a CSV header are layout

    def batches(self, as_text: bool = True) -> Iterator[pa.RecordBatch]:
        """The rows in batches; CSV cells stay text (``as_text``) so normalisers see what the bank wrote."""
        if self.format == "csv":
            yield from csv_batches(self, self.columns, as_text)
            return
        try:
            if self.format == "parquet":
                yield from pq.ParquetFile(self.path).iter_batches(batch_size=BATCH_ROWS)
            elif self.format == "xlsx":
                yield from _excel_table(self.path).to_batches(max_chunksize=BATCH_ROWS)
            else:
                yield from _jsonl_batches(self)
        except SourceError:
            raise
        except Exception as exc:  # a damaged file found past its header: one sentence, as when opening it
            raise SourceError(
                "ingest.source.unreadable", path=self.path, format=self.format, problem=_first_line(exc)
            ) from exc

    def lines(self, first_row: int, rows: int) -> np.ndarray:
        """Line numbers (1-based, header = 1) of data rows ``first_row … first_row + rows - 1``."""
        k = np.arange(first_row, first_row + rows)
        if self.format not in ("csv", "jsonl"):
            return k + (2 if self.format == "xlsx" else 1)
        first = self.header_line + 1 if self.format == "csv" else 1  # JSON lines have no header
        skipped = np.array(sorted(m.line for m in self.malformed), dtype=np.int64)
        # Valid rows fill the lines the skipped ones leave free: row k sits k + first + (skipped lines before it).
        before = skipped - np.arange(len(skipped)) - first
        return k + first + np.searchsorted(before, k, side="right")


def open_source(path: str | Path) -> Source:
    """Detect format, encoding and delimiter and read the header; refuse empty or unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise SourceError("ingest.source.no_file", path=path)
    if path.stat().st_size == 0:
        raise SourceError("ingest.source.empty", path=path)
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            return Source(path, "parquet", list(pq.read_schema(path).names))
        if suffix in EXCEL_SUFFIXES:
            return Source(path, "xlsx", _excel_table(path, rows=0).column_names)
        if suffix in JSONL_SUFFIXES:
            return Source(path, "jsonl", _jsonl_columns(path))
    except SourceError:
        raise
    except Exception as exc:  # the libraries' own errors are long; one sentence is enough
        raise SourceError(
            "ingest.source.unreadable", path=path, format=suffix.lstrip("."), problem=_first_line(exc)
        ) from exc
    if suffix not in CSV_SUFFIXES:
        raise SourceError("ingest.source.unsupported", path=path, suffix=repr(suffix))
    return _open_csv(path)


def detect_encoding(sample: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK); anything else is refused.

    A file of mostly good text in one of them (twenty good non-ASCII characters or more for each damaged byte
    sequence) is read as that encoding, and its damaged cells are quarantined (``bad_encoding``): one bad byte
    does not refuse a file. GBK read as UTF-8 is damaged nearly everywhere, so it never passes for UTF-8.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    head = sample[:4096]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head.count(0) * 4 > len(head):
        raise SourceError("ingest.source.utf16", path=path)
    for encoding in ("utf-8", "gb18030"):
        text = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=False)
        bad = text.count(REPLACEMENT)
        if bad * 20 <= len(text) - len(text.encode("ascii", "ignore")) - bad:  # no damage, or little among much text
            return encoding
    raise SourceError("ingest.source.encoding", path=path)


REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = REPLACEMENT.encode()
LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Utf8Stream(io.RawIOBase):
    """A CSV file's bytes as UTF-8 whatever its encoding; bytes it cannot decode become U+FFFD.

    So the CSV parser never meets invalid text (it would stop the whole file), and a cut multi-byte
    character or a stray byte damages only the cell it sits in.
    """

    def __init__(self, path: Path, encoding: str) -> None:
        super().__init__()
        self._raw = path.open("rb")
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._pending) < size):
            chunk = self._raw.read(max(size, 1 << 20))
            self._done = not chunk
            self._pending += self._decoder.decode(chunk, final=self._done).encode("utf-8")
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open_csv(path: Path) -> Source:
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample, path)
    if b"\n" not in sample and b"\r" not in sample and path.stat().st_size > SAMPLE_BYTES:
        raise SourceError("ingest.source.header_too_long", path=path, mb=SAMPLE_BYTES >> 20)
    text = sample.decode(encoding, errors="ignore")
    physical = LINE_BREAK.split(text)  # the breaks the CSV parser knows, not every one str.splitlines() does
    header_line = next((i + 1 for i, line in enumerate(physical) if line.strip()), None)
    if header_line is None:
        raise SourceError("ingest.source.empty", path=path)
    lines = [line for line in physical[header_line - 1 :] if line.strip()]
    delimiter = _sniff_delimiter(lines[:50])
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    columns = [h.strip() for h in header]
    if any(not c for c in columns):
        raise SourceError("ingest.source.empty_column_name", path=path, column=columns.index("") + 1)
    long = next((i for i, c in enumerate(columns) if len(c) > MAX_COLUMN_NAME_CHARS), None)
    if long is not None:
        raise SourceError(
            "ingest.source.long_column_name",
            path=path,
            line=header_line,
            column=long + 1,
            limit=f"{MAX_COLUMN_NAME_CHARS:,}",
        )
    return Source(path, "csv", columns, encoding=encoding, delimiter=delimiter, header_line=header_line)


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


def csv_batches(
    source: Source, names: list[str], as_text: bool = True, null_values: tuple[str, ...] = NULL_VALUES
) -> Iterator[pa.RecordBatch]:
    """The data rows of a CSV source under ``names``; rows that do not split are noted in ``source.malformed``.

    ``as_text`` keeps every cell text; ``null_values`` are the cells read as empty. One thread: the parser then
    knows each bad row's line number, so every row's line can be told. Blank lines are read as rows of empty
    cells (dropped by the caller) so they keep the line count right.
    """
    source.malformed.clear()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        source.malformed.append(MalformedRow(int(row.number), row.text, blank=not row.text.strip()))
        return "skip"

    read = pacsv.ReadOptions(
        skip_rows=source.header_line, column_names=names, block_size=CSV_BLOCK_BYTES, use_threads=False
    )
    parse = pacsv.ParseOptions(delimiter=source.delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()) if as_text else None,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=list(null_values),
    )
    stream = _Utf8Stream(source.path, source.encoding or "utf-8")
    try:
        yield from pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise SourceError(
            "ingest.source.unreadable", path=source.path, format="CSV", problem=_csv_problem(exc)
        ) from exc
    finally:
        stream.close()


def _csv_problem(exc: BaseException) -> Term | str:
    text = _first_line(exc)
    if "straddling" in text:  # one line longer than a block: no table has such rows
        return Term("ingest.source.line_too_long", (("mb", CSV_BLOCK_BYTES >> 20),))
    return text


def unreadable_cells(batch: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(reason, column name) per row, ``None`` where every text cell is fine; the first bad column wins.

    ``field_too_large``: a cell longer than ``MAX_FIELD_CHARS``. ``bad_encoding``: a cell holding bytes the
    file's encoding cannot read (U+FFFD) or a NUL, which is never part of a bank's text.
    """
    n = batch.num_rows
    reason = np.full(n, None, dtype=object)
    column = np.full(n, None, dtype=object)
    for name, values in zip(batch.schema.names, batch.columns, strict=True):
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or _sound(values):
            continue
        too_large = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(values), MAX_FIELD_CHARS), False))
        damaged = pc.or_(pc.match_substring(values, REPLACEMENT), pc.match_substring(values, "\x00"))
        for code, mask in (("field_too_large", too_large), ("bad_encoding", np.asarray(pc.fill_null(damaged, False)))):
            first = mask & (reason == None)  # noqa: E711 - elementwise on an object array
            reason[first], column[first] = code, name
    return reason, column


def _sound(values: pa.Array | pa.ChunkedArray) -> bool:
    """True when no cell can be too large or damaged, from the raw bytes alone: the longest cell in bytes (a
    character is at least one) and one memchr-speed search per marker, instead of a search in every cell."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        data = chunk.buffers()[2] if len(chunk) else None
        if data is None:
            continue
        longest = pc.max(pc.binary_length(chunk)).as_py() or 0
        raw = data.to_pybytes()
        if longest > MAX_FIELD_CHARS or _REPLACEMENT_BYTES in raw or b"\x00" in raw:
            return False
    return True


def _jsonl_columns(path: Path) -> list[str]:
    """Every key of the file's objects, in the order they first appear."""
    columns: dict[str, None] = {}
    for _, record in _jsonl_records(path):
        if isinstance(record, dict):
            columns.update(dict.fromkeys(str(k) for k in record))
    if not columns:
        raise SourceError("ingest.source.no_json_object", path=path)
    return list(columns)


def _jsonl_records(path: Path) -> Iterator[tuple[str, object]]:
    """(line text, parsed value or ``_NOT_JSON``) for each line; undecodable bytes and deep nesting are not JSON."""
    with path.open("rb") as f:
        for raw in f:
            text = raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")
            try:
                yield text, json.loads(text) if text.strip() and REPLACEMENT not in text else None
            except (ValueError, RecursionError):
                yield text, _NOT_JSON


_NOT_JSON = object()


def _jsonl_batches(source: Source) -> Iterator[pa.RecordBatch]:
    """Rows of a JSON lines file as text cells (nested values as JSON text); other lines are malformed."""
    source.malformed.clear()
    rows: list[dict[str, str | None]] = []
    schema = pa.schema([(c, pa.string()) for c in source.columns])
    for line, (text, record) in enumerate(_jsonl_records(source.path), start=1):
        if record is None and not text.strip():
            source.malformed.append(MalformedRow(line, text, blank=True))
        elif not isinstance(record, dict):
            source.malformed.append(MalformedRow(line, text))
        else:
            rows.append({str(k): _cell_text(v) for k, v in record.items()})
        if len(rows) == BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def _cell_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # nested JSON (transcript turns) is kept as JSON text


def _excel_table(path: Path, rows: int | None = None) -> pa.Table:
    """The first sheet as text columns, as in a CSV (the normalisers parse them the same way).

    Read cell by cell with calamine, not through pandas, whose per-column cost made a 16,000-column sheet take
    most of a minute. Whole numbers lose Excel's ``.0`` (``1001`` stays the id ``1001``).
    """
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    table = sheet.to_python(nrows=None if rows is None else rows + 1)
    columns = [(_excel_text(c) or "").strip() for c in table[0]] if table else []
    if not any(columns):
        raise SourceError("ingest.source.empty_sheet", path=path)
    if "" in columns:
        raise SourceError("ingest.source.empty_sheet_column_name", path=path, column=columns.index("") + 1)
    body = table[1:]
    return pa.table(
        [pa.array([_excel_text(r[i]) if i < len(r) else None for r in body], pa.string()) for i in range(len(columns))],
        names=columns,
    )


def _excel_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def read_frame(path: str | Path) -> pd.DataFrame:
    """A whole file as a typed DataFrame (the wide-table path): numbers as numbers, text as text."""
    source = open_source(path)
    if source.format == "csv":
        batches = list(source.batches(as_text=False))
        bad_rows = [m for m in source.malformed if not m.blank]
        if bad_rows:
            bad = bad_rows[0]
            raise SourceError("ingest.source.field_count", path=source.path, line=bad.line, fields=len(source.columns))
        frame = pa.Table.from_batches(batches).to_pandas() if batches else pd.DataFrame()
    elif source.format == "xlsx":
        try:
            frame = pd.read_excel(source.path, engine="calamine")
        except Exception as exc:  # as in open_source: the library's error in one sentence
            raise SourceError(
                "ingest.source.unreadable", path=source.path, format="xlsx", problem=_first_line(exc)
            ) from exc
    else:
        batches = list(source.batches())
        frame = pa.Table.from_batches(batches).to_pandas() if batches else pd.DataFrame()
    if frame.empty:
        raise SourceError("ingest.source.no_rows", path=source.path)
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
        try:
            return pd.read_excel(source.path, engine="calamine", dtype=object)
        except Exception as exc:  # as in open_source: the library's error in one sentence
            raise SourceError(
                "ingest.source.unreadable", path=source.path, format="xlsx", problem=_first_line(exc)
            ) from exc
    if source.format == "csv":
        batches = list(csv_batches(source, source.columns, as_text=True, null_values=("",)))
        table = pa.Table.from_batches(batches) if batches else None
        if table is not None:
            table = pa.Table.from_arrays([_as_written(c) for c in table.columns], names=table.column_names)
    else:
        table = pa.Table.from_batches(list(source.batches()))
    if table is None or table.num_rows == 0:
        raise SourceError("ingest.source.no_rows", path=source.path)
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
