"""The synthetic bank cut into what a lake holds the evening before its last day, and that day's files.

A bank's daily extract is the day's new rows, not its history: the calls, transactions, events and conversions
stamped that day, the customers whose record changed (here a sample sent again as they are, which a core system
does too), and the snapshot tables (holdings) whole. Ingesting the history whole and then the day with
``append=True`` must give the lake a single ingest of the whole bank gives: the test bench for incremental
ingest, and the daily path the 1M benchmark times.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callwise.schema.contract import TABLES


def split_last_day(
    bank: str | Path,
    history_dir: str | Path,
    day_dir: str | Path,
    day: date,
    changed_share: float = 0.01,
    seed: int = 7,
) -> dict[str, dict[str, int]]:
    """Write the Parquet bank's rows before ``day`` to ``history_dir`` and the day's files to ``day_dir``.

    Returns the rows of each table on each side. Tables stamped in time (``ts``) are cut at the day's start
    (UTC, as the lake keeps time); customers all stay in the history and ``changed_share`` of them are also in
    the day's file; snapshot tables are in both, whole; the other tables (products, agents, campaigns, their
    members, transcripts) stay in the history.
    """
    bank, history, today = Path(bank), Path(history_dir), Path(day_dir)
    history.mkdir(parents=True, exist_ok=True)
    today.mkdir(parents=True, exist_ok=True)
    cut = pa.scalar(datetime.combine(day, time()), pa.timestamp("us"))  # the lake's clock is UTC, naive
    rows: dict[str, dict[str, int]] = {"history": {}, "day": {}}
    for name in TABLES:
        source = bank / f"{name}.parquet"
        if not source.exists():
            continue
        schema = pq.read_schema(source)
        if "ts" in schema.names:  # the big tables: batch by batch, never whole in memory
            _split_stream(source, history / source.name, today / source.name, cut, rows, name)
            continue
        shutil.copyfile(source, history / source.name)
        rows["history"][name] = pq.read_metadata(source).num_rows
        if TABLES[name].snapshot:
            shutil.copyfile(source, today / source.name)
            rows["day"][name] = rows["history"][name]
        elif name == "customers":
            table = pq.read_table(source)
            picked = np.random.default_rng(seed).random(table.num_rows) < changed_share
            _write(table.filter(pa.array(picked)), today / source.name, rows["day"], name)
    return rows


def _split_stream(
    source: Path, before_path: Path, day_path: Path, cut: pa.Scalar, rows: dict[str, dict[str, int]], name: str
) -> None:
    """Rows stamped before ``cut`` to one file, the others to the other; a side with no row has no file."""
    reader = pq.ParquetFile(source)
    writers: dict[Path, pq.ParquetWriter] = {}
    counts = {before_path: 0, day_path: 0}
    try:
        for batch in reader.iter_batches(batch_size=1_000_000):
            before = pc.fill_null(pc.less(pc.cast(batch.column("ts"), pa.timestamp("us")), cut), True)
            for path, mask in ((before_path, before), (day_path, pc.invert(before))):
                part = batch.filter(mask)
                if part.num_rows:
                    if path not in writers:
                        writers[path] = pq.ParquetWriter(path, reader.schema_arrow, compression="zstd")
                    writers[path].write_batch(part)
                    counts[path] += part.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    rows["history"][name] = counts[before_path]
    if counts[day_path]:
        rows["day"][name] = counts[day_path]


def _write(table: pa.Table, path: Path, counts: dict[str, int], name: str) -> None:
    """A table with rows is written; a day with none of them (no conversion that day) has no file for it."""
    if table.num_rows:
        pq.write_table(table, path, compression="zstd")
        counts[name] = table.num_rows
