"""The attribution board's numbers: :func:`callwise.attribution.report.attribution_report`, computed once per data
version of the tables it reads (a lake write changes the key), so a second view of the page reads no lake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callwise.board.cache import VersionedCache, lake_version
from callwise.i18n.errors import Translated
from callwise.lake import Lake

TABLES = ("contacts", "conversions", "campaigns", "campaign_members", "customers")


@dataclass(frozen=True)
class Found:
    """The report, or why there is none (a catalogue key and its values)."""

    report: dict[str, Any] | None = None
    reason_key: str | None = None
    reason_values: dict[str, Any] = field(default_factory=dict)


_CACHE: VersionedCache[Found] = VersionedCache(size=32)


def board_report(lake: Lake | None, campaign_id: str | None, lookback_days: int) -> Found:
    if lake is None:
        return Found(reason_key="board.attribution.empty.lake")
    key = (lake_version(lake, TABLES), campaign_id, lookback_days)
    return _CACHE.get(key, lambda: _compute(lake, campaign_id, lookback_days))


def _compute(lake: Lake, campaign_id: str | None, lookback_days: int) -> Found:
    from callwise.attribution.report import attribution_report

    try:
        return Found(report=attribution_report(lake, campaign_id, lookback_days))
    except Translated as refused:
        if refused.key is None:
            raise
        return Found(reason_key=refused.key, reason_values=dict(refused.values))


_IDS: VersionedCache[list[str]] = VersionedCache(size=8)


def campaign_ids(lake: Lake | None) -> list[str]:
    """The campaigns the page offers: those of the lake's contacts (the ones that can have touches)."""
    if lake is None or not lake.has("contacts") or "campaign_id" not in lake.table("contacts").columns:
        return []

    def compute() -> list[str]:
        contacts = lake.table("contacts")
        found = contacts.select("campaign_id").distinct().to_pyarrow()["campaign_id"].to_pylist()
        return sorted(str(v) for v in found if v not in (None, ""))

    return _IDS.get(lake_version(lake, ("contacts",)), compute)
