"""Catalogues written in a test: one tag per expression, loaded as a file would be."""

from __future__ import annotations

from pathlib import Path

import yaml

from callwise.tags import Catalogue, load_catalogue


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
