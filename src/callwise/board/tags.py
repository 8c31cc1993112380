"""The tag pages' numbers: the catalogue as a viewer may see it, searched; one tag with its lineage and quality.

Everything starts from ``Catalogue.visible(permissions)``: a sensitive tag is dropped before anything is searched,
counted, linked or looked up, so it cannot appear in a list, a search, a lineage (as a tag another tag reads, or
one that reads it) or a quality figure of a viewer without ``tags:sensitive``; asked for by id it is not there.
Quality is the newest build's report (``callwise.tags.quality.latest_quality``), kept only for visible tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callwise.lake import Lake
from callwise.tags.catalogue import CATEGORIES, Catalogue, Tag, UnknownTag, default_catalogue
from callwise.tags.lineage import lineage
from callwise.tags.quality import latest_quality

MAX_QUERY = 64


def catalogue_of(configured: Catalogue | None) -> Catalogue:
    """The service's catalogue, else the one callwise ships."""
    return configured if configured is not None else default_catalogue()


def visible(configured: Catalogue | None, permissions: frozenset[str] | set[str]) -> Catalogue:
    return catalogue_of(configured).visible(permissions)


@dataclass(frozen=True)
class Quality:
    """The newest build's report, its tags restricted to a catalogue's: id → that tag's entry."""

    built_at: str | None = None
    cutoff: str | None = None
    rows: int | None = None
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def built(self) -> bool:
        return self.built_at is not None


def quality_of(lake: Lake | None, catalogue: Catalogue) -> Quality:
    """The newest build's quality for the tags of ``catalogue`` (none for a tag it does not hold)."""
    report = latest_quality(lake) if lake is not None else None
    if not report:
        return Quality()
    entries = {str(e.get("id")): e for e in report.get("tags") or [] if isinstance(e, dict)}
    return Quality(
        built_at=report.get("built_at"),
        cutoff=report.get("cutoff"),
        rows=report.get("rows"),
        tags={k: v for k, v in entries.items() if k in catalogue.tags},
    )


def matches(tag: Tag, words: list[str]) -> bool:
    """Every word of the search is in the tag's id, names, descriptions, definition or owner (case ignored)."""
    text = " ".join(
        (tag.id, tag.name_zh, tag.name_en, tag.description_zh, tag.description_en, tag.definition, tag.owner)
    ).casefold()
    return all(w in text for w in words)


def search(catalogue: Catalogue, q: str | None = None, category: str | None = None) -> list[Tag]:
    """The tags of ``catalogue`` matching the words of ``q`` and in ``category``, in file order."""
    words = (q or "").casefold().split()
    return [
        tag
        for tag in catalogue.tags.values()
        if (category is None or tag.category == category) and (not words or matches(tag, words))
    ]


def tag_row(tag: Tag, quality: Quality, lang: str) -> dict[str, Any]:
    """A tag as one row of the catalogue table (raw numbers: the export keeps them numbers)."""
    entry = quality.tags.get(tag.id) or {}
    change = entry.get("change") or {}
    return {
        "id": tag.id,
        "name": tag.name(lang),
        "category": tag.category,
        "kind": tag.kind,
        "value": tag.value,
        "owner": tag.owner,
        "refresh": tag.refresh,
        "coverage": entry.get("coverage"),
        "changed_share": change.get("changed_share"),
        "sensitive": tag.sensitive,
    }


def by_category(tags: list[Tag]) -> dict[str, dict[str, int]]:
    """Category → kind → how many tags (categories in the catalogue's order, only those with tags)."""
    counts: dict[str, dict[str, int]] = {}
    for category in CATEGORIES:
        kinds: dict[str, int] = {}
        for tag in tags:
            if tag.category == category:
                kinds[tag.kind] = kinds.get(tag.kind, 0) + 1
        if kinds:
            counts[category] = kinds
    return counts


def find(catalogue: Catalogue, tag_id: str) -> Tag | None:
    """The tag with this id in the (visible) catalogue; None for any other text (a Chinese name is not an id)."""
    if len(tag_id) > MAX_QUERY:
        return None
    try:
        tag = catalogue.get(tag_id)
    except UnknownTag:
        return None
    return tag if tag.id == tag_id else None


def tag_lineage(catalogue: Catalogue, tag: Tag) -> dict[str, Any]:
    """What the tag reads and which tags read it, within ``catalogue`` (the visible one: a hidden tag reading a
    shown one is not among its readers)."""
    return lineage(catalogue, tag.id)


__all__ = [
    "MAX_QUERY",
    "Quality",
    "by_category",
    "catalogue_of",
    "find",
    "quality_of",
    "search",
    "tag_lineage",
    "tag_row",
    "visible",
]
