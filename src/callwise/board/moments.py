"""The moments page's numbers: live moments per trigger in the lake table ``moments``, the counts of past builds
(``<lake>/_moments/builds/``), and each moment's effect against its control in the triggered campaigns recorded
in ``campaign_members`` (members with a ``moment_id``). Counts only: no customer is named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis

from callwise.lake import Lake
from callwise.moments import TABLE, Triggers, build_history, built_at, default_triggers, live_moments

MEMBERS = "campaign_members"
MAX_CAMPAIGNS = 5  # the newest triggered campaigns measured on the page


@dataclass(frozen=True)
class MomentsView:
    as_of: str
    grain: str
    customers: int  # customers in the lake (the share's denominator)
    counts: dict[str, int]  # live moments at the as-of time per trigger id, every trigger of the catalogue


def current(lake: Lake | None, triggers: Triggers | None = None) -> MomentsView | None:
    """The lake's moments table as counts per trigger, or None (no lake, no table)."""
    if lake is None:
        return None
    built = built_at(lake)
    if built is None:
        return None
    triggers = triggers or default_triggers()
    table = live_moments(lake.table(TABLE), built.as_of)
    found = {
        str(r["moment_id"]): int(r["n"])
        for r in table.group_by("moment_id").aggregate(n=table.count()).to_pyarrow().to_pylist()
    }
    counts = {t.id: found.pop(t.id, 0) for t in triggers} | found  # a trigger of another catalogue still shown
    customers = int(lake.table("customers").count().to_pyarrow().as_py()) if lake.has("customers") else 0
    return MomentsView(built.as_of.isoformat(sep=" ", timespec="minutes"), built.grain, customers, counts)


def history(lake: Lake | None) -> list[dict[str, Any]]:
    """Per past build (oldest first): as_of and the moments of each trigger."""
    if lake is None:
        return []
    return [{"as_of": h["as_of"], "counts": h.get("counts", {})} for h in build_history(lake)]


def effects(lake: Lake | None) -> list[dict[str, Any]]:
    """The per-moment effect of the newest triggered campaigns (those whose members carry a moment)."""
    if lake is None or not lake.has(MEMBERS) or "moment_id" not in lake.table(MEMBERS).columns:
        return []
    from callwise.moments import MomentsError
    from callwise.moments.effect import moment_effect
    from callwise.results.errors import ResultsError

    m = lake.table(MEMBERS)
    triggered = m.filter(m.moment_id.notnull())
    newest = (
        triggered.group_by("campaign_id")
        .aggregate(at=triggered.assigned_at.max())
        .order_by([ibis.desc("at"), "campaign_id"])
        .limit(MAX_CAMPAIGNS)
    )
    out = []
    for row in newest.to_pyarrow().to_pylist():
        try:
            out.append(moment_effect(lake, str(row["campaign_id"])))
        except (MomentsError, ResultsError):
            continue  # members without outcomes yet: nothing to measure
    return out


__all__ = ["MomentsView", "current", "effects", "history"]
