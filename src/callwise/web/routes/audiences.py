"""Audience preview: how many customers a tag expression selects, and who they are, before any list is built."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from callwise.lists.campaign import CampaignSettings
from callwise.ops.models import Campaign
from callwise.tags.catalogue import SENSITIVE_PERMISSION
from callwise.web.deps import ServicesDep, TagsRead
from callwise.web.errors import ApiError, documented, invalid

router = APIRouter(prefix="/audiences", tags=["audiences"], responses=documented(401, 403))


class AudienceIn(BaseModel):
    expression: str = Field(min_length=1, max_length=2000)  # the tag language, e.g. 高净值 and not 近期投诉
    cutoff: date | None = None  # default: the campaign's, else the tag table's, else today
    campaign_id: str | None = Field(default=None, max_length=64)  # also count who its policy lets it call


class AudienceOut(BaseModel):
    expression: str
    cutoff: date
    size: int  # customers the expression selects
    bank: int  # customers in the bank
    share: float  # size / bank
    profile: list[dict[str, Any]]  # key features: audience mean against the bank's
    tags: list[dict[str, Any]]  # the flags most over-represented in the audience (lift)
    levels: list[dict[str, Any]]  # level tags: counts per level, audience and bank
    campaign_id: str | None = None
    eligible: int | None = None  # of the audience, whom the campaign's policy lets it call (given a campaign)


@router.post("/preview", responses=documented(404, 409), summary="Size and profile of a tag-expression audience")
def post_preview(principal: TagsRead, body: AudienceIn, svc: ServicesDep) -> AudienceOut:
    from callwise.lists.audience import preview
    from callwise.lists.build import ListError
    from callwise.tags import AudienceError

    if svc.lake is None:
        raise ApiError(409, "conflict", what="the service has no lake to select audiences from")
    campaign = _campaign(svc, body.campaign_id) if body.campaign_id is not None else None
    cutoff = datetime.combine(body.cutoff, time.min) if body.cutoff is not None else None
    try:
        found = preview(
            svc.lake, body.expression, cutoff, principal.permissions, svc.tags, campaign=campaign, policy=svc.policy
        )
    except AudienceError as error:
        if error.reason.key == "tags.audience.sensitive":
            raise ApiError(403, "forbidden", permission=SENSITIVE_PERMISSION) from None
        raise invalid("body.expression", str(error)) from None
    except ListError as error:
        raise invalid("body.campaign_id", str(error)) from None
    return AudienceOut.model_validate(found)


def _campaign(svc: ServicesDep, campaign_id: str) -> CampaignSettings:
    with svc.factory() as session:
        row = session.get(Campaign, campaign_id)
        if row is None:
            raise ApiError(404, "not_found", what=f"campaign {campaign_id}")
        spec = dict(row.spec)
    return CampaignSettings.model_validate({k: v for k, v in spec.items() if k in CampaignSettings.model_fields})
