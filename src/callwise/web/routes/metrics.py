"""A summary of what the calls did, for dashboards and supervisors: outcomes, conversions, outbox, DNC."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from callwise.ops.models import CallOutcome, Conversion, Customer, Followup, ListItem
from callwise.schema.contract import ANSWERED_DISPOSITIONS
from callwise.web.deps import MetricsRead, ServicesDep
from callwise.web.errors import documented

router = APIRouter(prefix="/metrics", tags=["metrics"], responses=documented(401, 403))


@router.get("/summary", summary="Outcomes by campaign and disposition, answer and conversion rates, outbox state")
def summary(_: MetricsRead, svc: ServicesDep, campaign_id: str | None = None) -> dict[str, Any]:
    outcomes = select(CallOutcome.campaign_id, CallOutcome.disposition, func.count()).group_by(
        CallOutcome.campaign_id, CallOutcome.disposition
    )
    if campaign_id is not None:
        outcomes = outcomes.where(CallOutcome.campaign_id == campaign_id)
    with svc.factory() as session:
        by_campaign: dict[str, dict[str, int]] = {}
        for campaign, disposition, n in session.execute(outcomes):
            by_campaign.setdefault(campaign or "", {})[disposition] = int(n)
        outbox = dict(session.execute(select(Followup.status, func.count()).group_by(Followup.status)).all())
        items = dict(session.execute(select(ListItem.status, func.count()).group_by(ListItem.status)).all())
        conversions = int(session.scalar(select(func.count()).select_from(Conversion)) or 0)
        dnc = int(session.scalar(select(func.count()).select_from(Customer).where(Customer.dnc.is_(True))) or 0)
    campaigns = []
    for campaign, counts in sorted(by_campaign.items()):
        calls = sum(counts.values())
        answered = sum(n for d, n in counts.items() if d in ANSWERED_DISPOSITIONS)
        converted = counts.get("converted", 0)
        campaigns.append(
            {
                "campaign_id": campaign or None,
                "calls": calls,
                "answered": answered,
                "answer_rate": round(answered / calls, 4) if calls else None,
                "converted": converted,
                "conversion_per_answer": round(converted / answered, 4) if answered else None,
                "dispositions": counts,
            }
        )
    return {
        "campaigns": campaigns,
        "conversions": conversions,
        "list_items": {k: int(v) for k, v in items.items()},
        "outbox": {k: int(v) for k, v in outbox.items()},
        "customers_dnc": dnc,
    }
