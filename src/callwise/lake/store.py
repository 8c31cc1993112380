"""Parquet lake with atomic writes and an Ibis connection.

Engine choice lives here and nowhere else: feature and list logic receive Ibis tables and never name the
engine. A table is a Parquet file, ``<root>/<name>.parquet``, plus the parts appended to it since it was
last written whole, ``<root>/<name>.parts/<id>.parquet`` (a day's new rows: see :meth:`Lake.append`). Every
write goes to a temporary file in the same directory and is renamed into place, so readers see the old table
or the new one, never half. A whole write records the parts it took in (its footer's ``callwise.merged``), so
they are out of the table the moment it is renamed in, before they are deleted. The lake's folder is 0700 and
its files 0600 from the moment they are created (callwise.security.files).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from callwise.i18n.errors import Translated
from callwise.security.files import private_dir, private_file

ENGINES = ("duckdb", "pyspark")
MERGED_KEY = b"callwise.merged"  # footer metadata of a whole table: the ids of the parts it holds


class UnknownEngine(Translated, ValueError):
    """An engine name that is neither of :data:`ENGINES`."""


class Lake:
    def __init__(
        self,
        root: str | Path,
        engine: str = "duckdb",
        threads: int | None = None,
        memory_limit: str | None = None,
        spill_dir: str | Path | None = None,
    ) -> None:
        """``memory_limit`` (e.g. "8GB") and ``spill_dir`` are DuckDB's: past the limit it spills to that folder
        (by default one next to its database, which for an in-memory one is the working directory)."""
        if engine not in ENGINES:
            raise UnknownEngine("lake.unknown_engine", engine=repr(engine), choices=", ".join(ENGINES))
        self.root = Path(root)
        self.engine = engine
        self.threads = threads
        self.memory_limit = memory_limit
        self.spill_dir = Path(spill_dir) if spill_dir is not None else None
        # name → (the file's identity when it was registered, its table): Spark reads a Parquet footer in a job
        # of its own each time a file is registered, and a training set refers to each table once per campaign.
        self._tables: dict[str, tuple[tuple[tuple[str, int, int, int], ...], ibis.Table]] = {}
        # DuckDB gives each lake its own connection; Spark has one session whose views every lake shares, so a
        # second lake's "lake_customers" would replace the first's under expressions already built on it.
        self._view_suffix = f"_{uuid.uuid4().hex[:8]}" if engine == "pyspark" else ""

    @cached_property
    def con(self) -> ibis.BaseBackend:
        if self.engine == "duckdb":
            config: dict[str, str | int] = {}
            if self.threads:
                config["threads"] = int(self.threads)
            if self.memory_limit:
                config["memory_limit"] = self.memory_limit
            if self.spill_dir is not None:  # what spills is lake data: owner-only, like the lake
                config["temp_directory"] = str(private_dir(self.spill_dir))
            return ibis.duckdb.connect(**config)
        from callwise.lake.spark import spark_session  # optional dependency, for banks that run Spark

        return ibis.pyspark.connect(spark_session())

    def path(self, name: str) -> Path:
        return self.root / f"{name}.parquet"

    def parts_dir(self, name: str) -> Path:
        return self.root / f"{name}.parts"

    def has(self, name: str) -> bool:
        return self.path(name).exists() or bool(self.files(name))

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted({p.stem for p in self.root.glob("*.parquet")} | {p.stem for p in self.root.glob("*.parts")})

    def files(self, name: str) -> list[Path]:
        """The table's files: the whole one, then the parts appended since, oldest first."""
        base = self.path(name)
        whole = [base] if base.exists() else []
        folder = self.parts_dir(name)
        if not folder.is_dir():
            return whole
        merged = self.merged_parts(name)
        parts = [p for p in folder.glob("*.parquet") if p.stem not in merged]
        return whole + sorted(parts, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def part_ids(self, name: str) -> set[str]:
        """Ids of every part the table holds, appended or merged into its whole file."""
        folder = self.parts_dir(name)
        appended = {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()
        return appended | self.merged_parts(name)

    def merged_parts(self, name: str) -> set[str]:
        base = self.path(name)
        if not base.exists():
            return set()
        metadata = pq.read_schema(base).metadata or {}
        return set(json.loads(metadata.get(MERGED_KEY, b"[]")))

    def table(self, name: str) -> ibis.Table:
        files = self.files(name)
        if not files:
            raise FileNotFoundError(f"the lake at {self.root} has no table {name!r}; ingest it first")
        # a write renames a new file over the old, an append adds one: each changes this identity
        identity = tuple((p.name, *_identity(p)) for p in files)
        known = self._tables.get(name)
        if known is not None and known[0] == identity:
            return known[1]
        view = f"lake_{name}{self._view_suffix}"
        if len(files) == 1:
            table = self.con.read_parquet(files[0], table_name=view)
        elif self.engine == "duckdb":
            table = self.con.read_parquet(files, table_name=view)
        else:  # Ibis's Spark reader takes one path; Spark's own takes several
            from callwise.lake.spark import spark_session

            spark_session().read.parquet(*map(str, files)).createOrReplaceTempView(view)
            table = self.con.table(view)
        self._tables[name] = (identity, table)
        return table

    def batches(self, expr: ibis.Table, rows: int = 100_000) -> pa.RecordBatchReader:
        """The result of ``expr`` as a stream of record batches of at most ``rows`` rows, on DuckDB.

        Ibis 12's ``to_pyarrow_batches`` calls a DuckDB method that DuckDB 2 no longer has; DuckDB's own
        relation streams the same batches without a copy.
        """
        if self.engine != "duckdb":
            raise ValueError("record batches stream from the duckdb engine; on Spark use the DataFrame")
        con: Any = self.con
        con._run_pre_execute_hooks(expr)
        relation = con.con.sql(con.compile(expr))
        if not hasattr(relation, "to_arrow_reader"):  # DuckDB before 2
            return expr.to_pyarrow_batches(chunk_size=rows)
        return relation.to_arrow_reader(batch_size=rows)

    def write(self, name: str, data: pa.Table | Iterable[pa.RecordBatch], schema: pa.Schema | None = None) -> Path:
        """Write a whole table atomically from an Arrow table or a stream of record batches.

        The parts appended before are replaced with it: named in its footer, so no reader sees them twice, then
        deleted. One writer at a time per lake (ingest, compaction): a part appended while a whole table is
        written is replaced with it."""
        folder = self.parts_dir(name)
        return self._write_whole(name, data, schema, {p.stem for p in folder.glob("*.parquet")})

    def append(self, name: str, part_id: str, data: pa.Table | Iterable[pa.RecordBatch], schema: pa.Schema) -> Path:
        """Add rows to a table as a part of its own, without rewriting what is there (a day's new rows).

        ``part_id`` names the part (e.g. a digest of the file it came from): :meth:`part_ids` tells whether it
        is in already, so the same file is not added twice."""
        if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", part_id):
            raise ValueError(f"a part id is 1 to 64 letters, digits, '_' or '-': {part_id!r}")
        return self._atomic(private_dir(self.parts_dir(name)) / f"{part_id}.parquet", data, schema, None)

    def compact(self, name: str, schema: pa.Schema | None = None) -> Path:
        """Rewrite a table with its parts merged in: one file again, the same rows, the ids kept as merged.

        With ``schema`` (the table's columns and more), the columns it adds are written empty: a table widened
        once, so the parts appended after it can carry them (every file of a table has the same columns).
        The parts taken in are those listed at the start: one appended meanwhile stays a part."""
        files = self.files(name)
        taken = {p.stem for p in files if p.parent == self.parts_dir(name)}
        dataset = pads.dataset([str(p) for p in files], format="parquet")
        if schema is None:
            return self._write_whole(name, dataset.to_batches(), dataset.schema, self.merged_parts(name) | taken)
        batches = (_widened(batch, schema) for batch in dataset.to_batches())
        return self._write_whole(name, batches, schema, self.merged_parts(name) | taken)

    def _write_whole(
        self, name: str, data: pa.Table | Iterable[pa.RecordBatch], schema: pa.Schema | None, merged: set[str]
    ) -> Path:
        """The whole file, its footer naming the parts ``merged`` into it; then those parts are deleted."""
        metadata = {MERGED_KEY: json.dumps(sorted(merged)).encode()} if merged else None
        final = self._atomic(self.path(name), data, schema, metadata)
        for part in merged:  # with what an interrupted write left behind
            (self.parts_dir(name) / f"{part}.parquet").unlink(missing_ok=True)
        return final

    def _atomic(
        self,
        final: Path,
        data: pa.Table | Iterable[pa.RecordBatch],
        schema: pa.Schema | None,
        metadata: dict[bytes, bytes] | None,
    ) -> Path:
        private_dir(final.parent)
        tmp = final.parent / f".{final.stem}.{uuid.uuid4().hex}.tmp"
        try:
            private_file(tmp)  # the writers below keep the mode of the file they open
            if isinstance(data, pa.Table):
                pq.write_table(data.replace_schema_metadata(_with(data.schema, metadata)), tmp, compression="zstd")
            else:
                _write_batches(tmp, data, schema, metadata)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final


def _widened(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with ``schema``'s columns: its own cast to their types, the others empty."""
    columns = [
        batch.column(f.name).cast(f.type) if f.name in batch.schema.names else pa.nulls(batch.num_rows, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema.remove_metadata())


def _identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _with(schema: pa.Schema, metadata: dict[bytes, bytes] | None) -> dict[bytes, bytes] | None:
    """The schema's own metadata (pandas' among it) with the lake's: a whole write names what it merged or nothing."""
    own = {k: v for k, v in (schema.metadata or {}).items() if k != MERGED_KEY}
    return {**own, **(metadata or {})} or None


def _write_batches(
    path: Path, batches: Iterable[pa.RecordBatch], schema: pa.Schema | None, metadata: dict[bytes, bytes] | None
) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            if writer is None:
                base = schema or batch.schema
                writer = pq.ParquetWriter(path, base.with_metadata(_with(base, metadata)), compression="zstd")
            writer.write_batch(batch)
        if writer is None:
            if schema is None:
                raise ValueError("cannot write an empty stream without a schema")
            pq.write_table(schema.with_metadata(_with(schema, metadata)).empty_table(), path, compression="zstd")
    finally:
        if writer is not None:
            writer.close()
