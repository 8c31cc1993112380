"""Catalogues written in a test (one tag per expression, loaded as a file would be) and the lakes they run on."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import yaml

from callwise.lake import Lake
from callwise.schema.contract import CONTACTS, CONVERSIONS, CUSTOMERS, EVENTS, HOLDINGS, TRANSACTIONS
from callwise.tags import Catalogue, load_catalogue

SPECS = {
    "customers": CUSTOMERS,
    "transactions": TRANSACTIONS,
    "holdings": HOLDINGS,
    "events": EVENTS,
    "contacts": CONTACTS,
    "conversions": CONVERSIONS,
}


def write_lake(root: Path, rows: dict[str, list[dict]]) -> Lake:
    """A DuckDB lake of the contract's tables, each row given by its columns (the others left empty)."""
    lake = Lake(root, "duckdb", threads=1)
    for name, table_rows in rows.items():
        schema = SPECS[name].arrow_schema()
        lake.write(
            name, pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in table_rows], schema=schema)
        )
    return lake


def entry(tag_id: str, definition: str, value: str = "number", **more: object) -> dict:
    return {
        "id": tag_id,
        "name": {"zh": more.pop("zh", f"标签{tag_id}"), "en": f"Tag {tag_id}"},
        "description": {"zh": "测试标签", "en": "A test tag"},
        "category": more.pop("category", "behaviour"),
        "kind": "rule",
        "value": value,
        "definition": definition,
        "owner": "测试",
        "refresh": "daily",
        **more,
    }


def write(path: Path, *tags: dict) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "tags": list(tags)}, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def catalogue_of(tmp_path: Path, *tags: dict) -> Catalogue:
    return load_catalogue(write(tmp_path / "tags.yaml", *tags))
