"""User-facing text in zh-CN and English. Every key must exist in both languages (a test checks)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml

LANGUAGES = ("zh", "en")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """All messages, merged from every ``*.yaml`` file in this package (one file per stage)."""
    merged: dict[str, dict[str, str]] = {}
    for item in sorted(files("callwise.i18n").iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        for key, entry in (yaml.safe_load(item.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise ValueError(f"message {key!r} is defined twice (again in {item.name})")
            merged[key] = entry
    return merged


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    entry = catalog().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in the catalog")
    return entry[lang].format(**values) if values else entry[lang]
