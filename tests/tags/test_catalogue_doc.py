"""docs/tags-catalogue.md lists exactly the default catalogue's tags, each with its names, kind, value and definition,
under its category (so the page cannot fall behind the catalogue)."""

from __future__ import annotations

import re
from pathlib import Path

from callwise.tags import default_catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "tags-catalogue.md"
ROW = re.compile(r"^\| `(?P<id>[a-z0-9_]+)`(?P<sensitive> \*\(sensitive\)\*)? \| (?P<rest>.*) \|$")


def _rows() -> dict[str, dict[str, str]]:
    rows, category = {}, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)", line)
        if heading:
            category = heading.group(1).lower()
        found = ROW.match(line)
        if found:
            zh, en, kind, value, definition, meaning = (c.strip() for c in found["rest"].split(" | "))
            assert found["id"] not in rows, f"{found['id']} is listed twice"
            rows[found["id"]] = {
                "category": category or "",
                "sensitive": str(bool(found["sensitive"])),
                "zh": zh,
                "en": en,
                "kind": kind,
                "value": value.split(" (")[0],
                "definition": definition.strip("`").replace("\\|", "|"),
                "meaning": meaning,
            }
    return rows


def test_the_catalogue_page_lists_exactly_the_default_tags_as_declared():
    catalogue = default_catalogue()
    rows = _rows()
    assert sorted(rows) == sorted(catalogue.tags)
    for tag in catalogue.tags.values():
        assert rows[tag.id] == {
            "category": tag.category,
            "sensitive": str(tag.sensitive),
            "zh": tag.name_zh,
            "en": tag.name_en,
            "kind": tag.kind,
            "value": tag.value,
            "definition": tag.definition,
            "meaning": tag.description_en,
        }, tag.id
    assert f"ships {len(catalogue.tags)} tags" in DOC.read_text(encoding="utf-8")


def test_the_tags_page_links_the_catalogue_page():
    assert "(tags-catalogue.md)" in (DOC.parent / "tags.md").read_text(encoding="utf-8")
