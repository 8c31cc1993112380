"""Audiences: the customers a tag expression selects (``高净值 and 工资代发 and not 近期投诉``), and a preview.

An audience is written in the tag language (docs/tags.md): it must be a condition, names tags by id or Chinese
name, features and customer columns, and ``segment`` (the customer's segment id) when segments were assigned
(lake table ``segments``). Only the tags it needs are computed, as of the cutoff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

import ibis.expr.types as ir
import pyarrow.parquet as pq

from callwise.features.asof import customer_features
from callwise.i18n.errors import Term, Translated
from callwise.i18n.message import msg
from callwise.lake import Lake
from callwise.tags.build import CUTOFF_KEY, TABLE, stored_value, tag_table
from callwise.tags.catalogue import SENSITIVE_PERMISSION, Catalogue, Tag
from callwise.tags.expr import Analysis, ExpressionError, Resolved, analyse

AUDIENCE = "audience__"  # the audience's own column while it is computed (no tag id can be this)
SEGMENTS = "segments"
PROFILE = ("age", "income_monthly", "balance_total", "n_products_held", "tenure_days", "n_tx_90d", "n_logins_30d")
TOP_TAGS = 5
LEVEL_TAGS = 3  # level tags whose distribution the preview shows (the catalogue's first, in file order)


class AudienceError(Translated, ValueError):
    """An audience expression that cannot be used: the reason, with its column in the expression when known."""

    def __init__(self, reason: Term, column: int | None = None) -> None:
        if column is None:
            super().__init__("tags.audience.invalid", reason=reason)
        else:
            super().__init__("tags.audience.invalid_at", column=column, reason=reason)
        self.reason, self.column = reason, column


class TagTableError(Translated, ValueError):
    """The lake's tag table cannot answer the audience: missing, built as of another cutoff, or without a tag."""


def check_audience(lake: Lake | None, catalogue: Catalogue, expression: str) -> Analysis:
    """The checked expression (``lake``: whether ``segment`` may be named; None: it may)."""
    has_segments = lake is None or lake.has(SEGMENTS)
    extra = {"segment": Resolved("segment", "segment", "str")}
    try:
        analysis = analyse(expression, catalogue.scope(extra))
    except ExpressionError as exc:
        raise AudienceError(exc.reason, exc.column) from None
    if "segment" in analysis.names and not has_segments:
        raise AudienceError(msg("tags.audience.no_segments"))
    if analysis.type not in ("bool",):
        raise AudienceError(msg("tags.audience.not_condition", got=msg(f"tags.type.{analysis.type}")))
    return analysis


def check_permitted(catalogue: Catalogue, analysis: Analysis, permissions: Iterable[str] | None) -> None:
    """Refuse an audience reading a sensitive tag unless ``permissions`` hold ``tags:sensitive`` (None: all held).

    The sentence names no tag: whoever lacks the permission learns only that one of their names is sensitive."""
    if permissions is None or SENSITIVE_PERMISSION in set(permissions):
        return
    if any(catalogue.tags[t].sensitive for t in analysis.tags):
        raise AudienceError(msg("tags.audience.sensitive", permission=SENSITIVE_PERMISSION))


def tags_cutoff(lake: Lake) -> datetime | None:
    """The cutoff the lake's tag table was built as of (None: no tag table, or one without the build's record)."""
    if not lake.path(TABLE).exists():
        return None
    metadata = pq.read_schema(lake.path(TABLE)).metadata or {}
    raw = metadata.get(CUTOFF_KEY)
    return datetime.fromisoformat(raw.decode()) if raw else None


def stored_audience(lake: Lake, catalogue: Catalogue, expression: str, cutoff: datetime) -> ir.Table:
    """``customer_id`` and ``in_audience`` for every customer, the tags read from the lake table ``tags``.

    The table must have been built as of exactly ``cutoff`` (``callwise tags build --cutoff``): an older one
    would select by stale tags, a newer one by facts the campaign's date cannot know. Either is refused.
    """
    analysis = check_audience(lake, catalogue, expression)
    day = cutoff.date().isoformat()
    built = tags_cutoff(lake)
    if built is None:
        raise TagTableError("tags.audience.no_table", cutoff=day)
    if built != cutoff:
        key = "tags.audience.stale_table" if built < cutoff else "tags.audience.future_table"
        raise TagTableError(key, built=built.date().isoformat(), cutoff=day)
    stored = lake.table(TABLE)
    missing = [t for t in analysis.tags if t not in stored.columns]
    if missing:
        raise TagTableError("tags.audience.tag_not_built", tag=missing[0], cutoff=day)
    audience = _with_audience(catalogue, analysis).tags[AUDIENCE]
    value = stored_value(lake, audience, analysis, cutoff, stored, _segment_join(lake, analysis))
    return value.select("customer_id", in_audience=value["value"])


def _with_audience(catalogue: Catalogue, analysis: Analysis) -> Catalogue:
    tag = Tag(
        AUDIENCE, AUDIENCE, AUDIENCE, "", "", "basic", "rule", "flag", None, analysis.text, "", "daily", "normal", 0
    )
    return replace(
        catalogue, tags={**catalogue.tags, AUDIENCE: tag}, analyses={**catalogue.analyses, AUDIENCE: analysis}
    )


def _segment_join(lake: Lake, analysis: Analysis) -> Any:
    if "segment" not in analysis.names:
        return None
    segments = lake.table(SEGMENTS).select("customer_id", segment="segment_id")

    def extra(base: ir.Table) -> ir.Table:
        joined = base.left_join(segments, "customer_id")
        return joined.drop("customer_id_right")

    return extra


def audience_table(lake: Lake, catalogue: Catalogue, expression: str, cutoff: datetime, more: list[str]) -> ir.Table:
    """customer_id, the audience flag (column ``audience__``) and the tags ``more``, for every customer."""
    analysis = check_audience(lake, catalogue, expression)
    full = _with_audience(catalogue, analysis)
    return tag_table(lake, full, cutoff, only=[AUDIENCE, *more], extra=_segment_join(lake, analysis))


def audience_filter(lake: Lake, catalogue: Catalogue, expression: str, cutoff: datetime) -> ir.Table:
    """``customer_id`` of the customers the expression selects, as of ``cutoff``."""
    table = audience_table(lake, catalogue, expression, cutoff, [])
    return table.filter(table[AUDIENCE]).select("customer_id")


def preview_audience(lake: Lake, catalogue: Catalogue, expression: str, cutoff: datetime) -> dict[str, Any]:
    """Size and share of the audience, its profile against the bank's and the flags most over-represented in it."""
    analysis = check_audience(lake, catalogue, expression)
    flags = [t for t, tag in catalogue.tags.items() if tag.value == "flag" and t not in analysis.tags]
    levels = [t for t, tag in catalogue.tags.items() if tag.value == "level"][:LEVEL_TAGS]
    table = _preview_table(lake, catalogue, expression, cutoff, [*flags, *(t for t in levels if t not in flags)])
    inside = table[AUDIENCE]
    sums: dict[str, ir.Value] = {"bank": table.count(), "size": table.count(where=inside)}
    for i, flag in enumerate(flags):
        sums[f"in_{i}"] = table.count(where=inside & table[flag])
        sums[f"all_{i}"] = table.count(where=table[flag])
    counts = table.aggregate(**sums).to_pyarrow().to_pylist()[0]
    size, bank = int(counts["size"]), int(counts["bank"])
    lifts: list[dict[str, Any]] = []
    for i, flag in enumerate(flags):
        share_in = counts[f"in_{i}"] / size if size else 0.0
        share_all = counts[f"all_{i}"] / bank if bank else 0.0
        if share_all > 0 and share_in > 0:
            lifts.append(
                {
                    "id": flag,
                    "audience_share": round(share_in, 4),
                    "bank_share": round(share_all, 4),
                    "lift": round(share_in / share_all, 3),
                }
            )
    lifts.sort(key=lambda item: (-float(item["lift"]), str(item["id"])))
    return {
        "expression": expression,
        "size": size,
        "bank": bank,
        "share": round(size / bank, 6) if bank else 0.0,
        "profile": _profile(lake, table, cutoff),
        "tags": lifts[:TOP_TAGS],
        "levels": [_levels(table, catalogue.tags[t]) for t in levels],
    }


def _preview_table(lake: Lake, catalogue: Catalogue, expression: str, cutoff: datetime, more: list[str]) -> ir.Table:
    """The audience flag and the tags ``more``: read from the lake's tag table when it was built as of ``cutoff``
    with every tag asked for (a preview while one types must not recompute a whole catalogue), else computed."""
    if tags_cutoff(lake) == cutoff:
        stored = lake.table(TABLE)
        if all(t in stored.columns for t in more):
            try:
                audience = stored_audience(lake, catalogue, expression, cutoff)
            except TagTableError:
                pass  # a tag the table lacks: computed below
            else:
                flag = audience.select("customer_id", **{AUDIENCE: audience["in_audience"]})
                return stored.select("customer_id", *more).join(flag, "customer_id")
    return audience_table(lake, catalogue, expression, cutoff, more)


def _levels(table: ir.Table, tag: Tag) -> dict[str, Any]:
    """One level tag's distribution in the audience and in the bank (unknown as ``null``), in the tag's order."""
    inside = table[AUDIENCE]
    counts = table.group_by(value=table[tag.id]).aggregate(audience=table.count(where=inside), bank=table.count())
    rows = {r["value"]: r for r in counts.to_pyarrow().to_pylist()}
    order: list[str | None] = [*(tag.levels or ())]
    order += sorted(str(v) for v in rows if v is not None and v not in order)
    if None in rows:
        order.append(None)
    shown = [v for v in order if v in rows]
    return {
        "id": tag.id,
        "levels": [{"value": v, "audience": int(rows[v]["audience"]), "bank": int(rows[v]["bank"])} for v in shown],
    }


def _profile(lake: Lake, audience: ir.Table, cutoff: datetime) -> list[dict[str, Any]]:
    features = customer_features(lake, cutoff)
    present = [f for f in PROFILE if f in features.columns]
    joined = features.select("customer_id", *present).join(audience.select("customer_id", AUDIENCE), "customer_id")
    inside = joined[AUDIENCE]
    sums: dict[str, ir.Value] = {}
    for f in present:
        value = joined[f].cast("float64")
        sums[f"a_{f}"], sums[f"b_{f}"] = value.mean(where=inside), value.mean()
    if not sums:
        return []
    row = joined.aggregate(**sums).to_pyarrow().to_pylist()[0]
    return [{"feature": f, "audience_mean": _round(row[f"a_{f}"]), "bank_mean": _round(row[f"b_{f}"])} for f in present]


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


__all__ = [
    "AudienceError",
    "TagTableError",
    "audience_filter",
    "check_audience",
    "check_permitted",
    "preview_audience",
    "stored_audience",
    "tags_cutoff",
]
