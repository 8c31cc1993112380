"""The quality report of a tag build: per tag its coverage, distribution and change since the last build.

- coverage: the share of customers with a value (a flag: the share for whom it is true, since an unknown flag
  is stored as false);
- distribution: a flag's true share; a level's count per level (and unknown); a number's min, quartiles, max
  and mean;
- change: against the ``tags`` table the build replaces, joined on ``customer_id``: the share of customers in
  both whose value changed (unknown against known counts as a change), and the change of coverage (and of a
  flag's true share).

Computed with Arrow on the built table (it is in memory already, whatever the engine); saved as JSON under
``<lake>/_tags/builds/<stamp>.json``; :func:`latest_quality` reads the newest.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from callwise import clock
from callwise.jsonfile import write_json
from callwise.lake import Lake
from callwise.security.files import private_dir, private_file
from callwise.tags.catalogue import Catalogue

FOLDER = ("_tags", "builds")


def previous_table(lake: Lake) -> pa.Table | None:
    """The tag table a new build replaces, read from its files (None before the first build)."""
    from callwise.tags.build import TABLE

    if not lake.has(TABLE):
        return None
    return pads.dataset([str(p) for p in lake.files(TABLE)], format="parquet").to_table()


def report(catalogue: Catalogue, table: pa.Table, previous: pa.Table | None) -> list[dict[str, Any]]:
    """One dict per tag of ``catalogue`` (see the module)."""
    rows = table.num_rows
    aligned = _aligned(table, previous)
    out = []
    for tag in catalogue.tags.values():
        column = table.column(tag.id)
        entry: dict[str, Any] = {"id": tag.id, "value": tag.value, "category": tag.category}
        entry.update(_summary(tag.value, column, rows, tag.levels))
        entry["change"] = None
        if aligned is not None and tag.id in aligned[1].schema.names:
            now, before = aligned[0].column(tag.id), aligned[1].column(tag.id)
            old = _coverage(tag.value, previous.column(tag.id), previous.num_rows)  # type: ignore[union-attr]
            entry["change"] = _change(tag.value, now, before, entry, old)
        out.append(entry)
    return out


def _coverage(value: str, column: pa.ChunkedArray, rows: int) -> dict[str, Any]:
    """Coverage (and a flag's true share) alone: what the change since the last build compares."""
    if value == "flag":
        true = int(pc.sum(pc.cast(pc.fill_null(column, False), pa.int64())).as_py() or 0)
        share = _share(true, rows)
        return {"coverage": share, "distribution": {"true_share": share}}
    return {"coverage": _share(rows - column.null_count, rows)}


def _summary(value: str, column: pa.ChunkedArray, rows: int, levels: tuple[str, ...] | None) -> dict[str, Any]:
    if value == "flag":
        return _coverage(value, column, rows)
    known = rows - column.null_count
    coverage = _share(known, rows)
    if value == "level":
        counts = dict.fromkeys(levels or (), 0)
        for item in pc.value_counts(column).to_pylist():
            name = item["values"]
            counts["null" if name is None else str(name)] = int(item["counts"])
        return {"coverage": coverage, "distribution": {"counts": counts}}
    if known == 0:
        return {"coverage": coverage, "distribution": None}
    numbers = pc.cast(column, pa.float64())
    quartiles = pc.quantile(numbers, q=[0.25, 0.5, 0.75], skip_nulls=True).to_pylist()
    return {
        "coverage": coverage,
        "distribution": {
            "min": _round(pc.min(numbers).as_py()),
            "p25": _round(quartiles[0]),
            "median": _round(quartiles[1]),
            "p75": _round(quartiles[2]),
            "max": _round(pc.max(numbers).as_py()),
            "mean": _round(pc.mean(numbers).as_py()),
        },
    }


def _aligned(table: pa.Table, previous: pa.Table | None) -> tuple[pa.Table, pa.Table] | None:
    """The customers of both builds, the same row in each (both are written in customer order)."""
    if previous is None or "customer_id" not in previous.schema.names:
        return None
    if previous.num_rows == table.num_rows and previous.column("customer_id").equals(table.column("customer_id")):
        return table, previous
    ids = table.select(["customer_id"]).append_column("__now", pa.array(range(table.num_rows), pa.int64()))
    old = previous.select(["customer_id"]).append_column("__before", pa.array(range(previous.num_rows), pa.int64()))
    both = ids.join(old, "customer_id", join_type="inner").sort_by("__now")
    return table.take(both.column("__now")), previous.take(both.column("__before"))


def _change(
    value: str, now: pa.ChunkedArray, before: pa.ChunkedArray, entry: dict[str, Any], old: dict[str, Any]
) -> dict[str, Any]:
    rows = len(now)
    if now.type != before.type:
        before = pc.cast(before, now.type, safe=False)
    differ = pc.fill_null(pc.not_equal(now, before), False)
    one_null = pc.xor(pc.is_null(now), pc.is_null(before))
    changed = int(pc.sum(pc.cast(pc.or_(differ, one_null), pa.int64())).as_py() or 0)
    change: dict[str, Any] = {
        "customers": rows,
        "changed_share": _share(changed, rows),
        "coverage_delta": _round(entry["coverage"] - old["coverage"]),
    }
    if value == "flag":
        change["true_share_delta"] = _round(entry["distribution"]["true_share"] - old["distribution"]["true_share"])
    return change


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def builds_dir(lake: Lake) -> Path:
    return lake.root.joinpath(*FOLDER)


def save(
    lake: Lake, tags: list[dict[str, Any]], cutoff: datetime, catalogue: Catalogue, rows: int, seconds: float
) -> Path:
    """Write the report as ``<stamp>.json`` (the build's moment, UTC) and return its path."""
    built = clock.utcnow()
    folder = builds_dir(lake)
    stamp = built.strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.json"
    document = {
        "built_at": built.isoformat(),
        "cutoff": cutoff.isoformat(),
        "catalogue": catalogue.sha256,
        "catalogue_source": catalogue.source,
        "rows": rows,
        "seconds": seconds,
        "tags": tags,
    }
    private_dir(folder)
    tmp = folder / f".{stamp}.tmp"
    private_file(tmp)
    write_json(tmp, document)
    os.replace(tmp, path)  # a reader sees the whole report or none
    return path


def latest_quality(lake: Lake) -> dict[str, Any] | None:
    """The newest build's report, or None when no build was made on this lake."""
    folder = builds_dir(lake)
    if not folder.is_dir():
        return None
    reports = sorted(folder.glob("*.json"))
    if not reports:
        return None
    data: dict[str, Any] = json.loads(reports[-1].read_text(encoding="utf-8"))
    return data
