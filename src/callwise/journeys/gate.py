"""The channel policy, right before a journey's action is queued: go, wait for the channel to open, or refuse.

:func:`decide` is the whole rule for one touch, as a pure function (the property test drives it): the customer's
floors from the operational DB (unknown customer, inactive account, DNC, a recent complaint; for a call the
consent and the refusal cool-down and the call frequency cap), the channel's consent and unsubscribes (from the
lake's ``consents`` and contacts, and the unsubscribe receipts stored here), then
:func:`callwise.policy.channels.touch_refusal` for quiet hours, daily limits and the cross-channel cap. Quiet hours
are not a refusal: the step waits until :func:`callwise.policy.channels.next_open_time` and is checked again.

A call also keeps the policy's per-call rules (``callwise.policy.rules.CALL_RULES``): the campaign attempts cap (per
journey, or per campaign when the journey enters a campaign's list) refuses; a closed day waits until the next open
local day, the minimum gap until the gap to the nearest call on record has passed, and the phone number's daily
limit (customers sharing the number count together, on the local days of its first customer's zone, as in
:mod:`callwise.policy.phones`) until the number's next local day.

The cap counts every touch of the customer within the cap's span *either side* of the new touch (a touch queued
for later counts as much as one sent before): after the new touch, any window of that many days holds at most the
cap. The count is deliberately generous: an outbox row, a call outcome and the lake's copy of an earlier touch may
all count; it may refuse a touch the cap would allow, never the reverse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.journeys.definition import TOUCH_CHANNELS, Journey
from callwise.ops.models import CallOutcome, Customer, Followup, IssuedList, JourneyAction, JourneyEvent
from callwise.policy.channels import next_open_time, touch_refusal
from callwise.policy.config import Policy
from callwise.policy.rules import WEEKDAYS

NOT_A_TOUCH = ("dead", "cancelled")  # outbox rows that never reached anyone
NOT_AN_ATTEMPT = ("refused", "failed")  # journey actions that placed no call
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

    def prior_calls(self, customer_id: str, campaign_id: str | None = None) -> Sequence[datetime]:
        """The lake's marketing calls of the customer (of the campaign, when given), customer-local time."""
        ...


class OpsOnly:
    """No lake at hand: a message channel has no consent on record (so it is refused), calls use the ops DB's."""

    def bar(self, customer_id: str, channel: str) -> str | None:
        return None if channel == "call" else "no_channel_consent"

    def prior_touches(self, customer_id: str, since_local: datetime, until_local: datetime) -> int:
        return 0

    def prior_calls(self, customer_id: str, campaign_id: str | None = None) -> Sequence[datetime]:
        return ()


@dataclass
class TableFacts:
    """Facts from tables already read: (customer, channel) → reason, each customer's touch times and calls (local,
    with the call's campaign), and which customers were read (None: all of them)."""

    bars: Mapping[tuple[str, str], str | None] = field(default_factory=dict)
    touches: Mapping[str, list[datetime]] = field(default_factory=dict)
    default_bar: str | None = "no_channel_consent"  # a pair not in ``bars``: not known to the lake
    calls: Mapping[str, list[tuple[datetime, str | None]]] = field(default_factory=dict)
    customers: frozenset[str] | None = None

    def missing(self, customer_ids: Collection[str]) -> list[str]:
        """The customers whose facts were not read (a customer who entered a journey since)."""
        if self.customers is None:
            return []
        return sorted(set(customer_ids) - self.customers)

    def merged(self, other: TableFacts) -> TableFacts:
        """These facts and ``other``'s (read for other customers), as one."""
        covered = None if self.customers is None or other.customers is None else self.customers | other.customers
        return TableFacts(
            bars={**self.bars, **other.bars},
            touches={**self.touches, **other.touches},
            default_bar=self.default_bar,
            calls={**self.calls, **other.calls},
            customers=covered,
        )

    def bar(self, customer_id: str, channel: str) -> str | None:
        if channel == "call":
            return self.bars.get((customer_id, channel))
        return self.bars.get((customer_id, channel), self.default_bar)

    def prior_touches(self, customer_id: str, since_local: datetime, until_local: datetime) -> int:
        return sum(since_local <= ts < until_local for ts in self.touches.get(customer_id, ()))

    def prior_calls(self, customer_id: str, campaign_id: str | None = None) -> Sequence[datetime]:
        return [ts for ts, c in self.calls.get(customer_id, ()) if campaign_id is None or c == campaign_id]


@dataclass(frozen=True)
class CustomerState:
    """The customer's row in the operational DB, as the gate needs it."""

    timezone: str
    status: str = "active"
    dnc: bool = False
    consent_marketing: bool = False
    refused_at: datetime | None = None
    complaint_at: datetime | None = None
    phone_lookup: bytes | None = None  # the phone's keyed hash (:data:`callwise.schema.contract.PHONE_KEY`)


@dataclass(frozen=True)
class Counts:
    """Touches around the new one, within the cross-channel cap's span either side; calls in the call cap's span;
    the bank's sends on the channel on the bank-local day. For a call also: the attempts of the journey's campaign
    so far, the customer's calls less than the minimum gap away (UTC), and the calls to the customer's number on
    the number's local day (``number_timezone``; None: the customer's zone)."""

    touches: int = 0
    calls: int = 0
    sent_today: int = 0
    attempts: int = 0
    near_calls: tuple[datetime, ...] = ()
    number_calls: int = 0
    number_timezone: str | None = None


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
        if rules.campaign_attempts_cap.enabled and counts.attempts >= rules.campaign_attempts_cap.max:
            return Decision("refuse", "campaign_attempts_cap")
    if channel_bar is not None:
        return Decision("refuse", channel_bar)
    if channel == "call":
        wait = _call_wait(policy, now, customer.timezone, counts)
        if wait is not None:
            return wait
    local = now.astimezone(ZoneInfo(customer.timezone)).replace(tzinfo=None)
    reason = touch_refusal(policy, channel, local, counts.touches, counts.sent_today)
    if reason in ("quiet_hours", "channel_quiet_hours"):
        opens = next_open_time(policy, channel, local)
        return Decision("wait", reason, opens.replace(tzinfo=ZoneInfo(customer.timezone)).astimezone(UTC))
    if reason is not None:
        return Decision("refuse", reason)
    return GO


def _call_wait(policy: Policy, now: datetime, timezone: str, counts: Counts) -> Decision | None:
    """Closed days, the minimum gap and the number's daily limit: the step waits (and is decided again then)."""
    rules = policy.rules
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    if _closed(policy, day):
        for _ in range(400 + len(rules.closed_days.dates)):  # not every weekday is closed (the config says so)
            day += timedelta(days=1)
            if not _closed(policy, day):
                break
        return Decision("wait", "closed_days", datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC))
    gap = timedelta(hours=rules.min_gap.hours)
    near = [ts for ts in counts.near_calls if abs(ts - now) < gap]
    if rules.min_gap.enabled and near:
        return Decision("wait", "min_gap", max(near) + gap)
    if rules.phone_daily_limit.enabled and counts.number_calls >= rules.phone_daily_limit.max:
        number_zone = ZoneInfo(counts.number_timezone or timezone)
        tomorrow = now.astimezone(number_zone).date() + timedelta(days=1)
        return Decision("wait", "phone_daily_limit", datetime.combine(tomorrow, time.min, number_zone).astimezone(UTC))
    return None


def _closed(policy: Policy, day: date) -> bool:
    closed = policy.rules.closed_days
    return closed.enabled and (day in closed.dates or WEEKDAYS[day.weekday()] in closed.weekdays)


def _within(ts: datetime | None, now: datetime, days: int, enabled: bool) -> bool:
    return enabled and days > 0 and ts is not None and ts > now - timedelta(days=days)


def customer_state(session: Session, customer_id: str, lock: bool = True) -> CustomerState | None:
    """The customer's row, locked on PostgreSQL until the step commits: one customer's touches are decided one at
    a time, so two workers cannot both take the cap's last place (SQLite's writers take turns anyway).

    The lock takes every customer sharing the phone number, in id order (so two steps never wait for each other
    in a circle): calls to one number are decided one at a time too, for its daily limit.
    """
    query = select(Customer).where(Customer.customer_id == customer_id)
    row = session.scalars(query).one_or_none()
    if row is None:
        return None
    if lock and session.get_bind().dialect.name == "postgresql":
        group = Customer.customer_id == customer_id
        if row.phone_lookup is not None:
            group = group | (Customer.phone_lookup == row.phone_lookup)
        session.scalars(select(Customer).where(group).order_by(Customer.customer_id).with_for_update()).all()
        session.refresh(row)
    return CustomerState(
        timezone=row.timezone or "Asia/Shanghai",
        status=row.status or "active",
        dnc=bool(row.dnc),
        consent_marketing=bool(row.consent_marketing),
        refused_at=row.refused_at,
        complaint_at=row.complaint_at,
        phone_lookup=row.phone_lookup,
    )


def journey_campaign(session: Session, journey: Journey) -> str | None:
    """The campaign a journey works for: the one whose lists it enters (an issued list's campaign), else None."""
    entry = journey.entry.list_
    if entry is None:
        return None
    if entry.campaign_id is not None:
        return entry.campaign_id
    return session.scalar(select(IssuedList.campaign_id).where(IssuedList.list_id == entry.list_id))


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
    *,
    phone_lookup: bytes | None = None,
    journey_id: str | None = None,
    campaign_id: str | None = None,
) -> Counts:
    """The counts :func:`decide` needs, from the outbox, the call outcomes and the lake's prior touches.

    For a call, ``journey_id`` and ``campaign_id`` scope the attempts cap and ``phone_lookup`` finds the customers
    sharing the number.
    """
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
        per_call = _call_counts(
            session, policy, facts, customer_id, timezone, now, phone_lookup, journey_id, campaign_id
        )
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
    if channel == "call":
        return Counts(touches, calls, sent_today, *per_call)
    return Counts(touches=touches, calls=calls, sent_today=sent_today)


def _call_counts(
    session: Session,
    policy: Policy,
    facts: CustomerFacts,
    customer_id: str,
    timezone: str,
    now: datetime,
    phone_lookup: bytes | None,
    journey_id: str | None,
    campaign_id: str | None,
) -> tuple[int, tuple[datetime, ...], int, str]:
    """Attempts, calls within the minimum gap, calls to the number on its local day, the number's zone.

    Calls on record are the outbox's call rows (queued for later too), the call outcomes and the lake's calls; like
    the cap's count this is generous (one call seen in two of them counts twice).
    """
    rules = policy.rules
    attempts = 0
    if journey_id is not None:
        mine = select(func.count()).where(
            JourneyAction.journey_id == journey_id,
            JourneyAction.customer_id == customer_id,
            JourneyAction.channel == "call",
            JourneyAction.status.not_in(NOT_AN_ATTEMPT),
        )
        attempts = int(session.scalar(mine) or 0)
    if campaign_id is not None:
        dialled = select(func.count()).where(
            CallOutcome.customer_id == customer_id, CallOutcome.campaign_id == campaign_id
        )
        attempts += int(session.scalar(dialled) or 0) + len(facts.prior_calls(customer_id, campaign_id))
    gap = timedelta(hours=rules.min_gap.hours)
    near = tuple(t for t in _calls_between(session, facts, {customer_id: timezone}, now - gap, now + gap))
    sharing = {customer_id: timezone}
    if phone_lookup is not None:
        rows = session.execute(
            select(Customer.customer_id, Customer.timezone)
            .where(Customer.phone_lookup == phone_lookup)
            .order_by(Customer.customer_id)
        ).all()
        sharing = {str(c): z or "Asia/Shanghai" for c, z in rows} or sharing
    number_zone = next(iter(sharing.values()))  # the number's days are its first customer's (policy.phones)
    zone = ZoneInfo(number_zone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    number_calls = len(_calls_between(session, facts, sharing, start, end, closed=True))
    return attempts, near, number_calls, number_zone


def _calls_between(
    session: Session,
    facts: CustomerFacts,
    customers: Mapping[str, str],
    low: datetime,
    high: datetime,
    closed: bool = False,
) -> list[datetime]:
    """UTC times of the calls on record of ``customers`` (id → zone) in (low, high), or [low, high) if ``closed``."""
    ids = list(customers)
    after_due = Followup.due_at >= low if closed else Followup.due_at > low
    after_ts = CallOutcome.ts >= low if closed else CallOutcome.ts > low
    queued = select(Followup.due_at).where(
        Followup.customer_id.in_(ids),
        Followup.channel == "call",
        Followup.status.not_in(NOT_A_TOUCH),
        after_due,
        Followup.due_at < high,
    )
    made = select(CallOutcome.ts).where(CallOutcome.customer_id.in_(ids), after_ts, CallOutcome.ts < high)
    times = [_utc(t) for t in session.scalars(queued)] + [_utc(t) for t in session.scalars(made)]
    for customer, zone in customers.items():
        tz = ZoneInfo(zone)
        for local in facts.prior_calls(customer):
            ts = local.replace(tzinfo=tz).astimezone(UTC)
            if (ts >= low if closed else ts > low) and ts < high:
                times.append(ts)
    return times


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def lake_facts(lake: object, policy: Policy, at: datetime, customer_ids: Collection[str] | None = None) -> TableFacts:
    """Channel bars, prior touches and calls from the lake (one Ibis query each), for a worker round at ``at`` (UTC).

    The bars are :func:`callwise.policy.channels.message_eligibility`'s reasons without its cap (the worker counts
    the cap itself, with the touches queued since); touches and calls are the lake's contacts of the last cap span.
    ``customer_ids`` (the customers of live instances) restricts every query to them, by a semi-join against a
    memtable of the ids; None reads every customer.
    """
    import ibis
    import pyarrow as pa

    from callwise.lake import Lake
    from callwise.policy.channels import message_eligibility
    from callwise.policy.live import all_contacts

    covered = None if customer_ids is None else frozenset(map(str, customer_ids))
    if not isinstance(lake, Lake) or not lake.has("customers"):
        return TableFacts(customers=covered)
    if covered is not None and not covered:
        return TableFacts(customers=covered)
    wanted = None
    if covered is not None:
        wanted = ibis.memtable(pa.table({"customer_id": pa.array(sorted(covered), pa.string())}))
    naive = at.astimezone(UTC).replace(tzinfo=None)
    eligible = message_eligibility(lake, policy, naive, customers=wanted).to_pandas()
    eligible["reason"] = eligible["reason"].where(eligible["reason"] != "cross_channel_cap", None)
    bars: dict[tuple[str, str], str | None] = {
        (str(c), str(ch)): (None if pd.isna(r) else str(r))
        for c, ch, r in zip(eligible["customer_id"], eligible["channel"], eligible["reason"], strict=True)
    }
    # The floors of the customer (not of a channel) bar calls too: an under-18 or frozen customer is not called.
    floors = eligible[eligible["reason"].isin(CUSTOMER_FLOORS)].drop_duplicates("customer_id")
    bars |= {(str(c), "call"): str(r) for c, r in zip(floors["customer_id"], floors["reason"], strict=True)}
    touches: dict[str, list[datetime]] = {}
    calls: dict[str, list[tuple[datetime, str | None]]] = {}
    contacts = all_contacts(lake)
    if contacts is not None:
        span = timedelta(days=policy.channels.cross_channel_cap.days + 1)
        recent = contacts.filter((contacts.ts >= naive - span) & (contacts.disposition != "failed"))
        if wanted is not None:
            recent = recent.semi_join(wanted, "customer_id")
        frame = recent.select("customer_id", "ts", "channel", "campaign_id").to_pandas()
        for customer, ts, channel, campaign in zip(
            frame["customer_id"], frame["ts"], frame["channel"], frame["campaign_id"], strict=True
        ):
            local = pd.Timestamp(ts).to_pydatetime()
            touches.setdefault(str(customer), []).append(local)
            if channel == "call":
                calls.setdefault(str(customer), []).append((local, None if pd.isna(campaign) else str(campaign)))
    return TableFacts(bars=bars, touches=touches, calls=calls, customers=covered)
