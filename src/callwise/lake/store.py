"""Parquet lake with atomic writes and an Ibis connection.

Engine choice lives here and nowhere else: feature and list logic receive Ibis tables and never name the
engine. A table is one Parquet file, ``<root>/<name>.parquet``; a write goes to a temporary file in the
same directory and is renamed over the old one, so readers see the old table or the new one, never half.
The lake's folder is 0700 and its files 0600 from the moment they are created (callwise.security.files).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from callwise.i18n.errors import Translated
from callwise.security.files import private_dir, private_file

ENGINES = ("duckdb", "pyspark")


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
        self._tables: dict[str, tuple[tuple[int, int, int], ibis.Table]] = {}
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

    def has(self, name: str) -> bool:
        return self.path(name).exists()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.parquet")) if self.root.exists() else []

    def table(self, name: str) -> ibis.Table:
        path = self.path(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise FileNotFoundError(f"the lake at {self.root} has no table {name!r}; ingest it first") from None
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # a write renames a new file over the old
        known = self._tables.get(name)
        if known is not None and known[0] == identity:
            return known[1]
        table = self.con.read_parquet(path, table_name=f"lake_{name}{self._view_suffix}")
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
        """Write a table atomically from an Arrow table or a stream of record batches."""
        private_dir(self.root)
        final = self.path(name)
        tmp = self.root / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            private_file(tmp)  # the writers below keep the mode of the file they open
            if isinstance(data, pa.Table):
                pq.write_table(data, tmp, compression="zstd")
            else:
                _write_batches(tmp, data, schema)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final


def _write_batches(path: Path, batches: Iterable[pa.RecordBatch], schema: pa.Schema | None) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, schema or batch.schema, compression="zstd")
            writer.write_batch(batch)
        if writer is None:
            if schema is None:
                raise ValueError("cannot write an empty stream without a schema")
            pq.write_table(schema.empty_table(), path, compression="zstd")
    finally:
        if writer is not None:
            writer.close()
