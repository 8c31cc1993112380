"""What a tag reads and what reads it, directly and through other tags (``tags lineage``, the catalogue page)."""

from __future__ import annotations

from typing import Any

from callwise.tags.catalogue import Catalogue


def upstream(catalogue: Catalogue, tag_id: str) -> dict[str, Any]:
    """Everything the tag depends on, through the tags it reads too: tags, features and table columns."""
    own = catalogue.get(tag_id).id
    needed = catalogue.needed([own])
    features: set[str] = set()
    tables: dict[str, set[str]] = {}
    for tag in needed:
        reads = catalogue.reads(tag)
        features.update(reads["features"])
        for table, columns in reads["tables"].items():
            tables.setdefault(table, set()).update(columns)
    return {
        "tags": [t for t in needed if t != own],
        "features": sorted(features),
        "tables": {table: sorted(columns) for table, columns in sorted(tables.items())},
    }


def downstream(catalogue: Catalogue, tag_id: str) -> list[str]:
    """Every tag that reads this one, directly or through other tags, in file order."""
    own = catalogue.get(tag_id).id
    found: set[str] = set()
    stack = [own]
    while stack:
        for reader in catalogue.read_by(stack.pop()):
            if reader not in found:
                found.add(reader)
                stack.append(reader)
    return [t for t in catalogue.tags if t in found]


def lineage(catalogue: Catalogue, tag_id: str) -> dict[str, Any]:
    """The tag's direct reads and readers, and the transitive ones."""
    own = catalogue.get(tag_id).id
    return {
        "id": own,
        "reads": catalogue.reads(own),
        "read_by": catalogue.read_by(own),
        "upstream": upstream(catalogue, own),
        "downstream": downstream(catalogue, own),
    }
