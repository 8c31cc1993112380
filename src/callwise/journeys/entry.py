"""Who a journey's entry selects as of a time: customers with a live moment, a tag expression's audience, or
the treatment group of an issued list (or of every list of a campaign) — the control group never enters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.i18n.errors import Translated
from callwise.journeys.definition import Journey
from callwise.lake import Lake
from callwise.ops.models import ListMember


class EntryError(Translated, ValueError):
    """The entry cannot be read (no moments table, a tag expression the catalogue does not know…)."""


def entry_customers(journey: Journey, at: datetime, lake: Lake | None, session: Session) -> list[str]:
    """The customer ids the journey's entry selects at ``at`` (time-zone aware; the lake's local times compare
    with its wall time in the bank's zone, which the caller passes as ``at``)."""
    entry = journey.entry
    if entry.list_ is not None:
        query = select(ListMember.customer_id).where(ListMember.group == "treatment")
        if entry.list_.list_id is not None:
            query = query.where(ListMember.list_id == entry.list_.list_id)
        else:
            query = query.where(ListMember.campaign_id == entry.list_.campaign_id)
        return sorted(set(session.scalars(query)))
    if lake is None or not lake.has("moments" if entry.moment is not None else "customers"):
        raise EntryError("journeys.entry.no_moments" if entry.moment is not None else "journeys.entry.no_lake")
    wall = at.replace(tzinfo=None)
    if entry.moment is not None:
        m = lake.table("moments")
        live = m.filter(m.moment_id.isin(entry.moment) & (m.started_at <= wall) & (m.expires_at > wall))
        frame = live.select(customer_id=live.customer_id.cast("string")).distinct().to_pandas()
        return sorted(frame["customer_id"].astype(str))
    from callwise.tags import audience_filter, default_catalogue

    frame = audience_filter(lake, default_catalogue(), entry.tag or "", wall).to_pandas()
    return sorted(frame["customer_id"].astype(str))
