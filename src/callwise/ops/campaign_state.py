"""A campaign's life: draft → built → issued → running → closed, moved only by the events that mean it.

``draft`` when created; ``built`` when a list was built for it; ``issued`` when that list went to the dialer;
``running`` when the first outcome of one of its calls was recorded; ``closed`` when someone closes it (API or
CLI), from any state before. A campaign moves forward only, one step at a time, each step audited
(``campaign.status`` with from, to and the event). Building again for an issued or running campaign keeps its
state; a closed campaign gets no new list (``IllegalTransition``); an outcome arriving after the close is still
recorded, and the campaign stays closed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callwise.i18n import t
from callwise.ops import audit
from callwise.ops.models import Campaign, IssuedList, ListItem

STATES = ("draft", "built", "issued", "running", "closed")
# The moves a campaign may make; anything else is refused.
NEXT: dict[str, tuple[str, ...]] = {
    "draft": ("built", "closed"),
    "built": ("issued", "closed"),
    "issued": ("running", "closed"),
    "running": ("closed",),
    "closed": (),
}


class CampaignNotFound(LookupError):
    def __init__(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return t("campaign.state.not_found", lang, campaign_id=self.campaign_id)


class IllegalTransition(ValueError):
    """A move the campaign's life does not allow; the message names the campaign, its state and the move."""

    def __init__(self, campaign_id: str, current: str, wanted: str) -> None:
        self.campaign_id, self.current, self.wanted = campaign_id, current, wanted
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        if self.current == "closed":
            key = "campaign.state.closed_already" if self.wanted == "closed" else "campaign.state.closed"
        else:
            key = "campaign.state.illegal"
        return t(key, lang, campaign_id=self.campaign_id, current=self.current, wanted=self.wanted)


def close(session: Session, campaign_id: str, actor: str, ip: str | None = None) -> Campaign:
    """Close the campaign on purpose (from any state but closed); audited."""
    row = _locked(session, campaign_id)
    if "closed" not in NEXT[row.status]:
        raise IllegalTransition(campaign_id, row.status, "closed")
    _set(session, row, "closed", actor, "closed", ip)
    return row


def reach(session: Session, campaign_id: str, state: str, actor: str, event: str) -> list[str]:
    """The event means the campaign is at least at ``state`` (``built`` or ``issued``): step it forward to there,
    one audited step at a time, or keep it where it is when it is there or beyond. Closed: refused.
    Returns the states it passed into."""
    if state not in ("built", "issued"):
        raise ValueError(f"a list event reaches built or issued, not {state!r}")
    row = _locked(session, campaign_id)
    if row.status == "closed":
        raise IllegalTransition(campaign_id, "closed", state)
    passed: list[str] = []
    while STATES.index(row.status) < STATES.index(state):
        step = STATES[STATES.index(row.status) + 1]
        _set(session, row, step, actor, event, None)
        passed.append(step)
    return passed


def check_open(session: Session, campaign_id: str) -> Campaign:
    """The campaign, if a list may still be built for it; ``IllegalTransition`` when it is closed."""
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise CampaignNotFound(campaign_id)
    if row.status == "closed":
        raise IllegalTransition(campaign_id, "closed", "built")
    return row


def mark_running(session: Session, campaign_ids: Iterable[str], item_ids: Iterable[int], actor: str) -> list[str]:
    """Outcomes were recorded for these campaigns (named, or through the dialled items' lists): each one still
    ``issued`` is now ``running``, audited once. Compare-and-set, so concurrent batches move it once."""
    named = {c for c in campaign_ids if c}
    items = sorted(set(item_ids))
    for i in range(0, len(items), 500):
        query = (
            select(IssuedList.campaign_id)
            .join(ListItem, ListItem.list_id == IssuedList.list_id)
            .where(ListItem.item_id.in_(items[i : i + 500]))
            .distinct()
        )
        named.update(session.scalars(query))
    if not named:
        return []
    moved = session.scalars(
        update(Campaign)
        .where(Campaign.campaign_id.in_(sorted(named)), Campaign.status == "issued")
        .values(status="running")
        .returning(Campaign.campaign_id)
    ).all()
    for campaign_id in sorted(moved):
        detail = {"from": "issued", "to": "running", "event": "first_outcome"}
        audit.append(session, actor, "campaign.status", f"campaign:{campaign_id}", detail)
    return sorted(moved)


def _locked(session: Session, campaign_id: str) -> Campaign:
    """The campaign's row, locked until commit (PostgreSQL), so two events cannot both move it."""
    row = session.scalars(select(Campaign).where(Campaign.campaign_id == campaign_id).with_for_update()).first()
    if row is None:
        raise CampaignNotFound(campaign_id)
    return row


def _set(session: Session, row: Campaign, to: str, actor: str, event: str, ip: str | None) -> None:
    detail = {"from": row.status, "to": to, "event": event}
    row.status = to
    session.flush()
    audit.append(session, actor, "campaign.status", f"campaign:{row.campaign_id}", detail, ip)
