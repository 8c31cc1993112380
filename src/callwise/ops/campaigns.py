"""Creating a campaign and queueing its list build: the one path the API and the dashboard both take."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callwise.lists.campaign import CampaignSettings
from callwise.ops import audit
from callwise.ops.campaign_state import CampaignNotFound, IllegalTransition
from callwise.ops.jobs import new_build_job
from callwise.ops.models import Campaign, Job


class CampaignExists(ValueError):
    """A campaign with this id is already there (ids are chosen by people, so a clash is theirs to resolve)."""

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign {campaign_id} exists")
        self.campaign_id = campaign_id


class NoLake(RuntimeError):
    """The service has no lake, so there is nothing to build a list from."""


def create_campaign(session: Session, settings: CampaignSettings, actor: str, ip: str | None) -> Campaign:
    """Store the campaign as its settings were checked (arms summing to 1, hours, …); audited. Caller commits."""
    if session.get(Campaign, settings.campaign_id) is not None:
        raise CampaignExists(settings.campaign_id)
    row = Campaign(
        campaign_id=settings.campaign_id,
        name=settings.name,
        product_id=settings.product_id,
        spec=settings.model_dump(mode="json"),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(session, actor, "campaign.create", f"campaign:{settings.campaign_id}", {}, ip)
    return row


def queue_build(session: Session, campaign_id: str, actor: str, has_lake: bool) -> Job:
    """A queued list-build job for an open campaign; a worker (``ops.jobs.run_build``) runs it. Caller commits."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    if campaign.status == "closed":
        raise IllegalTransition(campaign_id, "closed", "built")
    if not has_lake:
        raise NoLake("the service has no lake to build lists from")
    return new_build_job(session, campaign_id, actor)
