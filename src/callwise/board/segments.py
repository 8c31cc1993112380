"""The segments page's numbers: the current segmentation (``callwise.segments``) as plain rows, and the sizes of the
segments over time from the lake table ``segment_history`` (cutoff, assigned_at, segment_id, customers).

``adapt`` is the one place that knows the segmentation's shape: a segment's id (``segment_id`` or ``id``), its key
features (``profile["features"]`` or a ``features`` attribute, each with ``segment_mean`` and ``bank_mean``), the
response rate, the uplift (a number, or ``profile["uplift"]["difference"]``), the best hours (hours, or entries with
``hour``) and the preferred channel. Nothing fitted yet: ``None``, and the page says how to fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from callwise.lake import Lake

HISTORY = "segment_history"
HISTORY_POINTS = 60  # the newest assignments drawn


@dataclass(frozen=True)
class SegmentView:
    """One segment as the page shows it."""

    segment_id: str
    name_zh: str
    name_en: str
    size: int
    share: float | None
    features: list[dict[str, Any]] = field(default_factory=list)  # feature, segment_mean, bank_mean
    response_rate: float | None = None
    uplift: float | None = None
    best_hours: list[int] = field(default_factory=list)
    preferred_channel: str | None = None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class SegmentationView:
    """The fit as the page shows it: method, k, stability, when and as of when, and its segments."""

    method: str
    k: int
    stability_ari: float | None
    fitted_at: str
    cutoff: str
    segments: list[SegmentView]


def _get(source: Any, name: str, default: Any = None) -> Any:
    if isinstance(source, dict):
        return source.get(name, default)
    return getattr(source, name, default)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _hours(value: Any) -> list[int]:
    hours = []
    for item in value or []:
        hour = item if isinstance(item, int) else _get(item, "hour")
        if isinstance(hour, int):
            hours.append(hour)
    return hours


def _uplift(value: Any) -> float | None:
    return _number(value) if not isinstance(value, dict) else _number(value.get("difference"))


def adapt_segment(segment: Any) -> SegmentView:
    profile = _get(segment, "profile") or {}
    features = _get(segment, "features")
    if not isinstance(features, list):
        features = _get(profile, "features") or []

    def pick(name: str) -> Any:
        value = _get(segment, name)
        return value if value is not None else _get(profile, name)

    return SegmentView(
        segment_id=str(_get(segment, "segment_id") or _get(segment, "id")),
        name_zh=str(_get(segment, "name_zh") or ""),
        name_en=str(_get(segment, "name_en") or ""),
        size=int(_get(segment, "size") or 0),
        share=_number(_get(segment, "share")),
        features=[
            {
                "feature": str(_get(f, "feature") or _get(f, "name")),
                "segment_mean": _number(_get(f, "segment_mean")),
                "bank_mean": _number(_get(f, "bank_mean")),
            }
            for f in features
        ],
        response_rate=_number(pick("response_rate")),
        uplift=_uplift(pick("uplift")),
        best_hours=_hours(pick("best_hours")),
        preferred_channel=pick("preferred_channel"),
    )


def adapt(segmentation: Any) -> SegmentationView | None:
    """The segmentation ``callwise.segments`` returns, as the page reads it (None stays None)."""
    if segmentation is None:
        return None
    return SegmentationView(
        method=str(_get(segmentation, "method") or ""),
        k=int(_get(segmentation, "k") or 0),
        stability_ari=_number(_get(segmentation, "stability_ari")),
        fitted_at=str(_get(segmentation, "fitted_at") or ""),
        cutoff=str(_get(segmentation, "cutoff") or ""),
        segments=[adapt_segment(s) for s in _get(segmentation, "segments") or ()],
    )


def current(lake: Lake | None) -> SegmentationView | None:
    """The lake's current segmentation, or None (no lake, nothing fitted, or no segments module installed)."""
    if lake is None:
        return None
    try:
        module = import_module("callwise.segments")
    except ImportError:
        return None
    found = getattr(module, "current_segmentation", None)
    return adapt(found(lake)) if callable(found) else None


def history(lake: Lake | None) -> list[dict[str, Any]]:
    """Customers per segment at each of the newest assignments (oldest first): assigned_at, the cutoff it was as of,
    segment_id, customers."""
    if lake is None or not lake.has(HISTORY):
        return []
    table = lake.table(HISTORY)
    moments = table.select("assigned_at").distinct().order_by(table.assigned_at.desc()).limit(HISTORY_POINTS)
    newest = table.semi_join(moments, "assigned_at")
    keys = ["assigned_at", *(["cutoff"] if "cutoff" in table.columns else []), "segment_id"]
    rows = (
        newest.group_by(keys)
        .aggregate(customers=newest.customers.sum())
        .order_by(["assigned_at", "segment_id"])
        .to_pyarrow()
        .to_pylist()
    )
    return [{**r, "customers": int(r["customers"] or 0)} for r in rows]


__all__ = ["SegmentView", "SegmentationView", "adapt", "current", "history"]
