"""Automatic segment names in zh-CN and English, from what sets each segment apart from the whole bank.

A segment's traits are its centroid in standardised units (a number's z-score; a level's share against the
bank's, in standard deviations of that share). The strongest traits (|z| ≥ 0.5) are named with words from
i18n/segments.yaml (``segments.trait.<column>.high|low``: 高收入 / High-income, 领养老金 / Pension-paid, …; a
chosen tag by its own name; any other column as "high/low <column>"): two of them, or more until the name is
unique in the segmentation; a segment with no strong trait is 普通客户 / Typical. A name a person gives
(``rename_segment``) replaces the automatic one and is kept across refreshes, the id being stable.
"""

from __future__ import annotations

import numpy as np

from callwise.i18n import catalog, t
from callwise.segments.scale import Scaler

STRONG = 0.5
WORDS = 2
MAX_WORDS = 4


def traits(scaler: Scaler, centroid: np.ndarray, bank_mean: np.ndarray) -> list[tuple[float, str, str]]:
    """(strength, zh word, en word) for each strong trait, strongest first (ties by column order)."""
    out: list[tuple[float, int, str, str]] = []
    position = 0
    for column in scaler.columns:
        for output in column.outputs():
            value = float(centroid[position]) / (column.weight or 1.0)
            if column.kind == "level":
                p = float(bank_mean[position]) / (column.weight or 1.0)
                spread = np.sqrt(max(p * (1 - p), 1e-9))
                z = (value - p) / spread
                level = output.split("=", 1)[1]
                if z >= STRONG:  # a level is named by what the segment has more of, never by what it lacks
                    out.append((z, position, *_level_words(column.name, level)))
            else:
                z = value
                if abs(z) >= STRONG:
                    out.append((abs(z), position, *_words(column.name, "high" if z > 0 else "low")))
            position += 1
    out.sort(key=lambda x: (-x[0], x[1]))
    return [(z, zh, en) for z, _, zh, en in out]


def _words(name: str, side: str) -> tuple[str, str]:
    key = f"segments.trait.{name}.{side}"
    if key in catalog():
        return t(key, "zh"), t(key, "en")
    shown = _tag_name(name)
    return t(f"segments.trait.{side}", "zh", name=shown[0]), t(f"segments.trait.{side}", "en", name=shown[1])


def _level_words(name: str, level: str) -> tuple[str, str]:
    key = f"segments.level.{level}"
    if key in catalog():  # a level with words of its own (education's)
        return t(key, "zh"), t(key, "en")
    shown = _tag_name(name)
    return t("segments.trait.level", "zh", name=shown[0], level=level), t(
        "segments.trait.level", "en", name=shown[1], level=level
    )


def _tag_name(column: str) -> tuple[str, str]:
    """A chosen tag's zh and English names (``tag__<id>`` columns); a feature's own name otherwise."""
    if not column.startswith("tag__"):
        return column, column
    tag_id = column.removeprefix("tag__")
    from callwise.tags import UnknownTag, default_catalogue

    try:
        tag = default_catalogue().get(tag_id)
    except UnknownTag:
        return tag_id, tag_id
    return tag.name_zh, tag.name_en


def auto_names(scaler: Scaler, centroids: np.ndarray, bank_mean: np.ndarray, ids: list[str]) -> list[tuple[str, str]]:
    """A unique (zh, en) name per segment (see the module)."""
    found = [traits(scaler, c, bank_mean) for c in centroids]
    words = [min(WORDS, len(f)) for f in found]
    while True:
        names = [_name(f[:w]) for f, w in zip(found, words, strict=True)]
        clash = _clashing(names)
        grow = [i for i in clash if words[i] < min(MAX_WORDS, len(found[i]))]
        if not grow:
            break
        for i in grow:
            words[i] += 1
    for i in _clashing(names):
        zh, en = names[i]
        names[i] = (f"{zh}（{ids[i]}）", f"{en} ({ids[i]})")
    return names


def _name(chosen: list[tuple[float, str, str]]) -> tuple[str, str]:
    if not chosen:
        return t("segments.name.typical", "zh"), t("segments.name.typical", "en")
    zh = "·".join(w for _, w, _ in chosen)
    en = ", ".join(w for _, _, w in chosen)
    return t("segments.name.zh_suffix", "zh", words=zh), en[:1].upper() + en[1:]


def _clashing(names: list[tuple[str, str]]) -> set[int]:
    out: set[int] = set()
    for part in (0, 1):
        seen: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            seen.setdefault(n[part], []).append(i)
        out |= {i for group in seen.values() if len(group) > 1 for i in group}
    return out
