"""The channel policy, right before a journey's action is queued: go, wait for the channel to open, or refuse.

:func:`decide` is the whole rule for one touch, as a pure function (the property test drives it): the customer's
floors from the operational DB (unknown customer, inactive account, DNC, a recent complaint; for a call the
consent and the refusal cool-down and the call frequency cap), the channel's consent and unsubscribes (from the
lake's ``consents`` and contacts, and the unsubscribe receipts stored here), then
:func:`callwise.policy.channels.touch_refusal` for quiet hours, daily limits and the cross-channel cap. Quiet hours
are not a refusal: the step waits until :func:`callwise.policy.channels.next_open_time` and is checked again.

The cap counts every touch of the customer within the cap's span *either side* of the new touch (a touch queued
for later counts as much as one sent before): after the new touch, any window of that many days holds at most the
cap. The count is deliberately generous: an outbox row, a call outcome and the lake's copy of an earlier touch may
all count; it may refuse a touch the cap would allow, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.journeys.definition import TOUCH_CHANNELS
from callwise.ops.models import CallOutcome, Customer, Followup, JourneyEvent
from callwise.policy.channels import next_open_time, touch_refusal
from callwise.policy.config import Policy

NOT_A_TOUCH = ("dead", "cancelled")  # outbox rows that never reached anyone
# Reasons of message_eligibility that are the customer's, whatever the channel.
CUSTOMER_FLOORS = ("inactive_status", "under_18", "dnc", "recent_complaint")


class CustomerFacts(Protocol):
    """What the lake knows about a customer's channels, read once per worker round (not per step)."""

    def bar(self, customer_id: str, channel: str) -> str | None:
        """The reason the channel is barred for the customer (consent, unsubscribe…), or None."""
        ...

    def prior_touches(self, customer_id: str, since_local: datetime, until_local: datetime) -> int:
        """Touches of any channel on record in the lake in [since, until) customer-local time."""
        ...


class OpsOnly:
    """No lake at hand: a message channel has no consent on record (so it is refused), calls use the ops DB's."""

    def bar(self, customer_id: str, channel: str) -> str | None:
        return None if channel == "call" else "no_channel_consent"

    def prior_touches(self, customer_id: str, since_local: datetime, until_local: datetime) -> int:
        return 0


@dataclass
class TableFacts:
    """Facts from tables already read: (customer, channel) → reason, and each customer's touch times (local)."""

    bars: Mapping[tuple[str, str], str | None] = field(default_factory=dict)
    touches: Mapping[str, list[datetime]] = field(default_factory=dict)
    default_bar: str | None = "no_channel_consent"  # a pair not in ``bars``: not known to the lake

    def bar(self, customer_id: str, channel: str) -> str | None:
        if channel == "call":
            return self.bars.get((customer_id, channel))
        return self.bars.get((customer_id, channel), self.default_bar)

    def prior_touches(self, customer_id: str, since_local: datetime, until_local: datetime) -> int:
        return sum(since_local <= ts < until_local for ts in self.touches.get(customer_id, ()))


@dataclass(frozen=True)
class CustomerState:
    """The customer's row in the operational DB, as the gate needs it."""

    timezone: str
    status: str = "active"
    dnc: bool = False
    consent_marketing: bool = False
    refused_at: datetime | None = None
    complaint_at: datetime | None = None


@dataclass(frozen=True)
class Counts:
    """Touches around the new one, within the cross-channel cap's span either side; calls in the call cap's span;
    the bank's sends on the channel on the bank-local day."""

    touches: int = 0
    calls: int = 0
    sent_today: int = 0


@dataclass(frozen=True)
class Decision:
    """``go``, ``wait`` (until ``until``, UTC) or ``refuse`` (with ``reason``)."""

    kind: str
    reason: str | None = None
    until: datetime | None = None


GO = Decision("go")


def decide(
    policy: Policy,
    channel: str,
    now: datetime,
    customer: CustomerState | None,
    channel_bar: str | None,
    counts: Counts,
) -> Decision:
    """Whether one touch on ``channel`` may be queued at ``now`` (UTC); a staff task is no touch and always goes."""
    if channel not in TOUCH_CHANNELS:
        return GO
    if customer is None:
        return Decision("refuse", "journey_no_customer")
    rules = policy.rules
    if customer.status in rules.inactive_status.statuses:
        return Decision("refuse", "inactive_status")
    if customer.dnc and (channel == "call" or policy.channels.dnc_bars_all):
        return Decision("refuse", "dnc")
    if _within(customer.complaint_at, now, rules.recent_complaint.days, rules.recent_complaint.enabled):
        return Decision("refuse", "recent_complaint")
    if channel == "call":
        if rules.no_consent.enabled and not customer.consent_marketing:
            return Decision("refuse", "no_consent")
        if _within(customer.refused_at, now, rules.refusal_cooldown.days, rules.refusal_cooldown.enabled):
            return Decision("refuse", "refusal_cooldown")
        if rules.frequency_cap.enabled and counts.calls >= rules.frequency_cap.calls:
            return Decision("refuse", "frequency_cap")
    if channel_bar is not None:
        return Decision("refuse", channel_bar)
    local = now.astimezone(ZoneInfo(customer.timezone)).replace(tzinfo=None)
    reason = touch_refusal(policy, channel, local, counts.touches, counts.sent_today)
    if reason in ("quiet_hours", "channel_quiet_hours"):
        opens = next_open_time(policy, channel, local)
        return Decision("wait", reason, opens.replace(tzinfo=ZoneInfo(customer.timezone)).astimezone(UTC))
    if reason is not None:
        return Decision("refuse", reason)
    return GO


def _within(ts: datetime | None, now: datetime, days: int, enabled: bool) -> bool:
    return enabled and days > 0 and ts is not None and ts > now - timedelta(days=days)


def customer_state(session: Session, customer_id: str, lock: bool = True) -> CustomerState | None:
    """The customer's row, locked on PostgreSQL until the step commits: one customer's touches are decided one at
    a time, so two workers cannot both take the cap's last place (SQLite's writers take turns anyway)."""
    query = select(Customer).where(Customer.customer_id == customer_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        return None
    return CustomerState(
        timezone=row.timezone or "Asia/Shanghai",
        status=row.status or "active",
        dnc=bool(row.dnc),
        consent_marketing=bool(row.consent_marketing),
        refused_at=row.refused_at,
        complaint_at=row.complaint_at,
    )


def unsubscribed(session: Session, customer_id: str, channel: str) -> bool:
    """An unsubscribe receipt for the channel is on record here (the lake sees it after the next export)."""
    query = select(func.count()).where(
        JourneyEvent.customer_id == customer_id, JourneyEvent.kind == "unsubscribed", JourneyEvent.channel == channel
    )
    return bool(session.scalar(query))


def count_touches(
    session: Session,
    policy: Policy,
    facts: CustomerFacts,
    customer_id: str,
    timezone: str,
    channel: str,
    now: datetime,
    bank_timezone: str,
) -> Counts:
    """The counts :func:`decide` needs, from the outbox, the call outcomes and the lake's prior touches."""
    span = timedelta(days=policy.channels.cross_channel_cap.days)
    low, high = now - span, now + span
    queued = select(func.count()).where(
        Followup.customer_id == customer_id,
        Followup.channel.in_(TOUCH_CHANNELS),
        Followup.status.not_in(NOT_A_TOUCH),
        Followup.due_at > low,
        Followup.due_at < high,
    )
    calls_made = select(func.count()).where(
        CallOutcome.customer_id == customer_id, CallOutcome.ts > low, CallOutcome.ts < high
    )
    zone = ZoneInfo(timezone)

    def local(ts: datetime) -> datetime:
        return ts.astimezone(zone).replace(tzinfo=None)

    prior = facts.prior_touches(customer_id, local(low) + timedelta(microseconds=1), local(high))
    touches = int(session.scalar(queued) or 0) + int(session.scalar(calls_made) or 0) + prior
    calls = 0
    if channel == "call":
        call_span = timedelta(days=policy.rules.frequency_cap.days)
        queued_calls = select(func.count()).where(
            Followup.customer_id == customer_id,
            Followup.channel == "call",
            Followup.status.not_in(NOT_A_TOUCH),
            Followup.due_at > now - call_span,
            Followup.due_at < now + call_span,
        )
        outcomes = select(func.count()).where(
            CallOutcome.customer_id == customer_id, CallOutcome.ts > now - call_span, CallOutcome.ts < now + call_span
        )
        calls = int(session.scalar(queued_calls) or 0) + int(session.scalar(outcomes) or 0)
    sent_today = 0
    if channel != "call" and policy.channels.channel(channel).daily_limit is not None:
        bank = ZoneInfo(bank_timezone)
        day = now.astimezone(bank).date()
        start = datetime.combine(day, time.min, tzinfo=bank).astimezone(UTC)
        today = select(func.count()).where(
            Followup.channel == channel,
            Followup.status.not_in(NOT_A_TOUCH),
            Followup.due_at >= start,
            Followup.due_at < start + timedelta(days=1),
        )
        sent_today = int(session.scalar(today) or 0)
    return Counts(touches=touches, calls=calls, sent_today=sent_today)


def lake_facts(lake: object, policy: Policy, at: datetime) -> TableFacts:
    """Channel bars and prior touches from the lake (one Ibis query each), for a worker round at ``at`` (UTC).

    The bars are :func:`callwise.policy.channels.message_eligibility`'s reasons without its cap (the worker counts
    the cap itself, with the touches queued since); touches are the lake's contacts of the last cap span.
    """
    from callwise.lake import Lake
    from callwise.policy.channels import message_eligibility
    from callwise.policy.live import all_contacts

    if not isinstance(lake, Lake) or not lake.has("customers"):
        return TableFacts()
    naive = at.astimezone(UTC).replace(tzinfo=None)
    eligible = message_eligibility(lake, policy, naive).to_pandas()
    eligible["reason"] = eligible["reason"].where(eligible["reason"] != "cross_channel_cap", None)
    bars: dict[tuple[str, str], str | None] = {
        (str(c), str(ch)): (None if pd.isna(r) else str(r))
        for c, ch, r in zip(eligible["customer_id"], eligible["channel"], eligible["reason"], strict=True)
    }
    # The floors of the customer (not of a channel) bar calls too: an under-18 or frozen customer is not called.
    floors = eligible[eligible["reason"].isin(CUSTOMER_FLOORS)].drop_duplicates("customer_id")
    bars |= {(str(c), "call"): str(r) for c, r in zip(floors["customer_id"], floors["reason"], strict=True)}
    touches: dict[str, list[datetime]] = {}
    contacts = all_contacts(lake)
    if contacts is not None:
        span = timedelta(days=policy.channels.cross_channel_cap.days + 1)
        recent = contacts.filter((contacts.ts >= naive - span) & (contacts.disposition != "failed"))
        frame = recent.select("customer_id", "ts").to_pandas()
        for customer, ts in zip(frame["customer_id"], frame["ts"], strict=True):
            touches.setdefault(str(customer), []).append(pd.Timestamp(ts).to_pydatetime())
    return TableFacts(bars=bars, touches=touches)
