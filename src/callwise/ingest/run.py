"""Ingest files of the data contract into the lake: validate, quarantine, de-duplicate, write atomically.

Every run ends with a summary where, for each table, read = accepted + quarantined, split by reason. All
headers are checked before anything is written, so a missing required column stops the run with nothing
half-done. Tables without a key stream through in batches (a file larger than memory is fine); keyed
tables are gathered to drop duplicate keys (the last row wins, the others are quarantined).

Personal data never reaches a file in clear: the customers' phone, name and ID number are sealed
(``callwise.security.pii.seal_customers``) before the lake is written, and quarantine files mask them
(``callwise.ingest.quarantine``). Ingest therefore needs the PII keys: given, or built from the settings.

A daily run appends (``append=True``): a file's rows join its table as a part of their own
(:meth:`callwise.lake.Lake.append`), named by the file's digest, so the history is not read or rewritten and the
same file given twice is taken once. A keyed table takes new keys the same way; when the file holds keys the
table has already (a customer's changed record), those rows replace the old ones and the table is rewritten.
A snapshot table (holdings: the positions as of the day) is written whole, as it always is.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypedDict, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from callwise.i18n.errors import Translated
from callwise.ingest.quarantine import QUARANTINE_COLUMNS, line_tokens, write_quarantine
from callwise.ingest.readers import SUFFIXES, Source, SourceError, open_source
from callwise.ingest.validate import canonical_columns, check_batch, check_header, duplicate_mask, rejected_rows
from callwise.lake import Lake
from callwise.schema.contract import PII_TABLES, TABLES, Table
from callwise.security.errors import KeyConfigError
from callwise.security.pii import Pii, seal_customers


class IngestError(Translated, ValueError):
    """The run cannot go on (unreadable file, missing column …); nothing has been written."""


@dataclass
class TableSummary:
    table: str
    source: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    quarantine_file: str | None = None
    # how the rows reached the lake: "written" (the table whole), "appended" (a part added), "updated" (keys the
    # table had were replaced: ``updated`` rows), "already" (this very file was ingested before: nothing done)
    mode: str = "written"
    updated: int = 0


class TableCounts(TypedDict):
    """One table's line in the ``--json`` summary (``asdict`` of a :class:`TableSummary`)."""

    table: str
    source: str
    read: int
    accepted: int
    quarantined: int
    reasons: dict[str, int]
    quarantine_file: str | None
    mode: str
    updated: int


class IngestCounts(TypedDict):
    """What ``callwise ingest --json`` prints and the pipeline records: rows read, kept, quarantined, why."""

    read: int
    accepted: int
    quarantined: int
    reasons: dict[str, int]
    tables: list[TableCounts]
    skipped: list[str]


@dataclass
class IngestSummary:
    tables: list[TableSummary]
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> IngestCounts:
        reasons: Counter[str] = Counter()
        for t in self.tables:
            reasons.update(t.reasons)
        return {
            "read": sum(t.read for t in self.tables),
            "accepted": sum(t.accepted for t in self.tables),
            "quarantined": sum(t.quarantined for t in self.tables),
            "reasons": dict(sorted(reasons.items())),
            "tables": [cast(TableCounts, asdict(t)) for t in self.tables],
            "skipped": self.skipped,
        }


def find_sources(directory: str | Path) -> dict[str, Path]:
    """Contract tables found in a directory, by file name (``customers.csv``, ``contacts.xlsx`` …)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise IngestError("ingest.run.not_directory", path=directory)
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        name = path.name.lower().split(".")[0]
        if path.is_file() and name in TABLES and path.suffix.lower() in SUFFIXES:
            if name in found:
                raise IngestError(
                    "ingest.run.table_twice", path=directory, table=repr(name), first=found[name].name, second=path.name
                )
            found[name] = path
    if not found:
        raise IngestError("ingest.run.no_table_file", path=directory, tables=", ".join(TABLES))
    return found


def ingest_directory(
    directory: str | Path, lake: Lake, quarantine_dir: str | Path, pii: Pii | None = None, append: bool = False
) -> IngestSummary:
    """Ingest every contract table found in ``directory`` (``pii``: the keys; from the settings when not given)."""
    found = find_sources(directory)
    skipped = sorted(
        p.name for p in Path(directory).iterdir() if p.is_file() and p not in found.values() and p.name[0] != "."
    )
    return ingest_files(found, lake, quarantine_dir, skipped, pii, append)


def ingest_files(
    files: dict[str, Path],
    lake: Lake,
    quarantine_dir: str | Path,
    skipped: list[str] | None = None,
    pii: Pii | None = None,
    append: bool = False,
) -> IngestSummary:
    """Ingest ``{table: file}``; every header (and, to append, its fit with the lake's table) is checked before
    the first table is written."""
    pii = pii or _pii_from_settings()
    sources, targets = {}, {}
    for table, path in files.items():
        if table not in TABLES:
            raise IngestError("ingest.run.unknown_table", path=path, table=repr(table), tables=", ".join(TABLES))
        try:
            source = open_source(path)
            check_header(TABLES[table], source.columns, str(path))
        except (SourceError, ValueError) as exc:
            raise IngestError.of(exc) from exc
        sources[table] = source
        if append and not TABLES[table].snapshot and lake.has(table):
            targets[table] = _append_target(TABLES[table], source, lake, pii)
    summaries = []
    for table, source in sources.items():
        try:
            summaries.append(_ingest_one(TABLES[table], source, lake, Path(quarantine_dir), pii, targets.get(table)))
        except SourceError as exc:
            raise IngestError.of(exc) from exc
    return IngestSummary(summaries, skipped or [])


@dataclass(frozen=True)
class _Target:
    """Where a file's rows go when they are appended: the lake table's schema, and the part's id."""

    schema: pa.Schema
    part_id: str
    already: bool


def _append_target(table: Table, source: Source, lake: Lake, pii: Pii) -> _Target:
    """The lake table's schema, once the file is known to fit it: no column the table lacks."""
    lake_schema = pq.read_schema(lake.files(table.name)[0]).remove_metadata()
    ours = _lake_schema(table, source).empty_table()
    names = (seal_customers(ours, pii) if table.name in PII_TABLES else ours).column_names
    new = [n for n in names if n not in lake_schema.names]
    if new:
        raise IngestError("ingest.append.new_columns", path=source.path, table=table.name, columns=", ".join(new))
    part_id = _digest(source.path)
    return _Target(lake_schema, part_id, part_id in lake.part_ids(table.name))


def _digest(path: Path) -> str:
    """The file's SHA-256 (its first 32 hex digits): the same bytes make the same part."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()[:32]


def _fit(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` in the lake table's columns and order; a column the file does not have is empty."""
    columns = [
        rows.column(f.name).cast(f.type) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _pii_from_settings() -> Pii:
    from callwise.settings import get_settings

    try:
        return Pii.from_settings(get_settings())
    except KeyConfigError as exc:
        raise IngestError.of(exc) from None


def _ingest_one(
    table: Table, source: Source, lake: Lake, quarantine_dir: Path, pii: Pii, target: _Target | None
) -> TableSummary:
    summary = TableSummary(table.name, str(source.path))
    if target is not None and target.already:
        summary.mode = "already"
        return summary
    rejected: list[pa.Table] = []
    quarantine_file = quarantine_dir / f"{table.name}.csv"
    quarantine_file.unlink(missing_ok=True)

    def checked() -> Iterator[tuple[pa.Table, pa.Table | None]]:
        """(accepted typed rows, the same rows as read for a keyed table) batch by batch; rejects on the side."""
        first_row = 0
        for batch in source.batches():
            lines = source.lines(first_row, batch.num_rows)
            first_row += batch.num_rows
            batch, lines = _without_blank_rows(batch, lines)
            result = check_batch(table, batch, lines, source.delimiter or ",")
            rejected.append(result.rejected)
            if not table.key:  # the rows as read are only needed to quarantine duplicate keys
                yield result.accepted, None
                continue
            originals = pa.Table.from_batches([batch]).append_column("_line", pa.array(lines))
            if result.rejected.num_rows:
                originals = originals.filter(pa.array(~np.isin(lines, result.rejected.column("line").to_numpy())))
            yield result.accepted, originals
        malformed = [m for m in source.malformed if not m.blank]
        if malformed:
            rejected.append(_malformed_table(malformed, table.name in PII_TABLES))

    schema = _lake_schema(table, source)
    if table.key:
        accepted, originals = _gather(checked(), schema)
        accepted = _drop_duplicates(table, accepted, originals, rejected, source.delimiter or ",")
        if table.name in PII_TABLES:
            accepted = seal_customers(accepted, pii)
        summary.accepted = accepted.num_rows
        if target is None:
            lake.write(table.name, accepted)
        else:
            _merge_keyed(table, _fit(accepted, target.schema), lake, target, summary)
    else:

        def stream() -> Iterator[pa.RecordBatch]:
            for accepted, _ in checked():
                summary.accepted += accepted.num_rows
                rows = accepted.select(schema.names).cast(schema)
                yield from (rows if target is None else _fit(rows, target.schema)).to_batches()

        if target is None:
            lake.write(table.name, stream(), schema)
        else:
            lake.append(table.name, target.part_id, stream(), target.schema)
            summary.mode = "appended"

    bad = pa.concat_tables(rejected) if rejected else _empty_quarantine()
    summary.quarantined = bad.num_rows
    summary.read = summary.accepted + summary.quarantined
    summary.reasons = dict(sorted(Counter(bad.column("reason").to_pylist()).items()))
    if bad.num_rows:
        bad = bad.sort_by("line")
        token = line_tokens(bad.column("line"), bad.column("original"), quarantine_file.name, pii.cipher)
        write_quarantine(quarantine_file, bad.drop_columns(["original"]).append_column("raw_token", token))
        summary.quarantine_file = str(quarantine_file)
    return summary


def _merge_keyed(table: Table, rows: pa.Table, lake: Lake, target: _Target, summary: TableSummary) -> None:
    """New keys become a part; keys the table has already replace its rows, and the table is written anew."""
    key = list(table.key)
    files = [str(p) for p in lake.files(table.name)]
    known = pads.dataset(files, format="parquet").to_table(columns=key).group_by(key).aggregate([])
    marked = rows.select(key).append_column("_row", pa.array(np.arange(rows.num_rows)))
    seen = marked.join(known, keys=key, join_type="left semi").column("_row").to_numpy()
    if not len(seen):
        lake.append(table.name, target.part_id, rows, target.schema)
        summary.mode = "appended"
        return
    current = pads.dataset(files, format="parquet").to_table()
    numbered = current.select(key).append_column("_row", pa.array(np.arange(current.num_rows)))
    kept = numbered.join(rows.select(key).group_by(key).aggregate([]), keys=key, join_type="left anti")
    kept = current.take(np.sort(kept.column("_row").to_numpy()))
    lake.write(table.name, pa.concat_tables([_fit(kept, target.schema), rows]))
    summary.mode, summary.updated = "updated", len(seen)


def _without_blank_rows(batch: pa.RecordBatch, lines: np.ndarray) -> tuple[pa.RecordBatch, np.ndarray]:
    """Drop rows with every cell empty (blank lines in a CSV): layout, not data."""
    filled = np.zeros(batch.num_rows, dtype=bool)
    for column in batch.columns:
        filled |= np.asarray(pc.is_valid(column), dtype=bool)
    if filled.all():
        return batch, lines
    return batch.filter(pa.array(filled)), lines[filled]


def _lake_schema(table: Table, source: Source) -> pa.Schema:
    names = canonical_columns(source.columns)
    contract = table.arrow_schema(names)
    extras = [pa.field(n, pa.string()) for n in names if n not in contract.names]
    return pa.schema([*(contract.field(n) for n in names if n in contract.names), *extras])


def _gather(batches: Iterator[tuple[pa.Table, pa.Table | None]], schema: pa.Schema) -> tuple[pa.Table, pa.Table]:
    accepted, originals = [], []
    for typed, original in batches:
        accepted.append(typed.select(schema.names).cast(schema))
        if original is not None:
            originals.append(original)
    if not accepted:
        return schema.empty_table(), pa.table({"_line": pa.array([], pa.int64())})
    return pa.concat_tables(accepted), pa.concat_tables(originals, promote_options="permissive")


def _drop_duplicates(
    table: Table, accepted: pa.Table, originals: pa.Table, rejected: list[pa.Table], delimiter: str
) -> pa.Table:
    duplicate = duplicate_mask(accepted.select(list(table.key)))
    if not duplicate.any():
        return accepted
    dup_rows = originals.filter(pa.array(duplicate))
    n = dup_rows.num_rows
    lines = dup_rows.column("_line").to_numpy()
    rows = dup_rows.drop_columns(["_line"])
    rejected.append(rejected_rows(table, lines, ["duplicate_key"] * n, [",".join(table.key)] * n, rows, delimiter))
    return accepted.filter(pa.array(~duplicate))


def _malformed_table(rows: list, personal: bool) -> pa.Table:
    """A line that does not split into cells cannot be masked cell by cell: in a table with PII it is withheld."""
    texts = [m.text for m in rows]
    return pa.table(
        {
            "line": pa.array([m.line for m in rows], pa.int64()),
            "reason": pa.array(["malformed_row"] * len(rows), pa.string()),
            "column": pa.array([None] * len(rows), pa.string()),
            "raw": pa.array([None] * len(rows) if personal else texts, pa.string()),
            "original": pa.array(texts, pa.string()),
        }
    )


def _empty_quarantine() -> pa.Table:
    names = [c for c in QUARANTINE_COLUMNS if c != "raw_token"] + ["original"]
    return pa.table({c: pa.array([], pa.int64() if c == "line" else pa.string()) for c in names})
