"""Who may get a marketing message on which channel, with a reason code for every "not this channel".

:func:`message_eligibility` is one Ibis query: customers × message channels, each row with the first reason that
bars it (null = may be sent) and the touches the cross-channel cap still allows. Calls are not decided here: they
keep every rule of the contact policy (:mod:`callwise.policy.customers`), and only the cross-channel cap, which
counts calls as touches, is shared (:func:`touches_left`). :func:`touch_refusal` is the same policy for one touch
at one moment (quiet hours, daily send limits, the cap), as a journey or a sender checks it right before sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.types as ir

from callwise.features.asof import age_on
from callwise.lake import Lake
from callwise.policy.channel_rules import MESSAGE_CHANNELS
from callwise.policy.config import Policy
from callwise.policy.live import all_contacts, live_customers

# The order in which a customer-channel pair is barred: the first that applies is its reason.
MESSAGE_CODES = (
    "inactive_status",
    "under_18",
    "dnc",
    "recent_complaint",
    "channel_disabled",
    "no_channel_consent",
    "channel_unsubscribed",
    "cross_channel_cap",
)
# Reasons of one touch at one moment (touch_refusal), besides the cap.
TOUCH_CODES = ("channel_disabled", "quiet_hours", "channel_quiet_hours", "channel_daily_limit", "cross_channel_cap")
# A failed delivery reached nobody: it is not a touch.
NOT_A_TOUCH = ("failed",)


def channel_consent(lake: Lake) -> ir.Table | None:
    """The consent in force per customer and channel: the newest ``consents`` row for purpose marketing.

    Columns customer_id, channel, granted, consent_at; None when the lake has no consents table.
    """
    if not lake.has("consents"):
        return None
    k = lake.table("consents")
    k = k.filter(k.purpose == "marketing")
    newest = ibis.row_number().over(group_by=[k.customer_id, k.channel], order_by=[k.ts.desc(), k.granted])
    ranked = k.mutate(_rank=newest)
    return ranked.filter(ranked._rank == 0).select(
        customer_id=ranked.customer_id.cast("string"),
        channel=ranked.channel.cast("string"),
        granted=ranked.granted.fill_null(False),
        consent_at=ranked.ts.cast("timestamp"),
    )


def touches_since(lake: Lake, since: datetime, until: datetime) -> ir.Table | None:
    """Per customer: marketing touches of every channel dated in [since, until) (failed deliveries excluded)."""
    k = all_contacts(lake)
    if k is None:
        return None
    k = k.filter((k.ts >= since) & (k.ts < until) & ~k.disposition.isin(NOT_A_TOUCH))
    return k.group_by("customer_id").aggregate(touches=k.count())


def touches_left(lake: Lake, policy: Policy, at: datetime) -> ir.Table | None:
    """Per customer touched lately: how many more touches of any channel the cross-channel cap allows at ``at``."""
    cap = policy.channels.cross_channel_cap
    since = datetime.combine(at.date(), time.min) - timedelta(days=cap.days - 1)
    counts = touches_since(lake, since, at)
    if counts is None:
        return None
    return counts.select("customer_id", touches_left=(cap.touches - counts.touches).clip(lower=0))


def message_eligibility(
    lake: Lake,
    policy: Policy,
    at: datetime,
    channels: tuple[str, ...] = MESSAGE_CHANNELS,
    customers: ir.Table | None = None,
) -> ir.Table:
    """customers × ``channels``: customer_id, channel, reason (null = may be sent at some hour), touches_left.

    ``customers`` (a table with a string customer_id, e.g. a memtable of ids) keeps only those customers.
    """
    unknown = [c for c in channels if c not in MESSAGE_CHANNELS]
    if unknown:
        raise ValueError(f"not a message channel: {', '.join(unknown)}")
    c = live_customers(lake)
    if customers is not None:
        c = c.semi_join(customers, c.customer_id.cast("string") == customers.customer_id)
    day = at.date()
    barred = _customer_bars(lake, c, policy, day)
    base = c.select("customer_id", **barred)
    left = touches_left(lake, policy, at)
    cap = policy.channels.cross_channel_cap.touches
    if left is not None:
        base = base.left_join(left, "customer_id").drop("customer_id_right")
        base = base.mutate(touches_left=base.touches_left.fill_null(cap))
    else:
        base = base.mutate(touches_left=ibis.literal(cap))
    pairs = ibis.union(*[base.mutate(channel=ibis.literal(ch)) for ch in channels])
    consent = channel_consent(lake)
    if consent is not None:
        pairs = pairs.left_join(consent, ["customer_id", "channel"]).drop("customer_id_right", "channel_right")
    else:
        pairs = pairs.mutate(granted=ibis.literal(None, "boolean"), consent_at=ibis.literal(None, "timestamp"))
    unsubscribed = _unsubscribed(lake, at)
    if unsubscribed is not None:
        pairs = pairs.left_join(unsubscribed, ["customer_id", "channel"]).drop("customer_id_right", "channel_right")
        opted_out = (pairs.last_unsubscribe > pairs.consent_at.fill_null(ibis.literal(datetime(1900, 1, 1)))).fill_null(
            False
        )
    else:
        opted_out = ibis.literal(False)
    disabled = pairs.channel.isin([ch for ch in channels if not policy.channels.channel(ch).enabled])
    checks = {
        "inactive_status": pairs.b_inactive,
        "under_18": pairs.b_under_18,
        "dnc": pairs.b_dnc,
        "recent_complaint": pairs.b_complaint,
        "channel_disabled": disabled,
        "no_channel_consent": ~pairs.granted.fill_null(False),
        "channel_unsubscribed": opted_out,
        "cross_channel_cap": pairs.touches_left <= 0,
    }
    reason = ibis.cases(*[(checks[code], code) for code in MESSAGE_CODES], else_=ibis.null("string"))
    return pairs.select("customer_id", "channel", reason=reason, touches_left=pairs.touches_left.cast("int64"))


def _customer_bars(lake: Lake, c: ir.Table, policy: Policy, day: date) -> dict[str, ir.BooleanValue]:
    """The customer floors that hold for every channel: inactive account, under age, DNC, a recent complaint."""
    rules = policy.rules
    no = ibis.literal(False)
    inactive = c.status.isin(rules.inactive_status.statuses).fill_null(False) if "status" in c.columns else no
    under = (age_on(c, day) < rules.under_age.min_age).fill_null(True)
    dnc = c.dnc.fill_null(False) if "dnc" in c.columns and policy.channels.dnc_bars_all else no
    since = datetime.combine(day, time.min) - timedelta(days=max(rules.recent_complaint.days - 1, 0))
    complained = no
    if rules.recent_complaint.enabled and rules.recent_complaint.days > 0 and "complaint_last_at" in c.columns:
        complained = (c.complaint_last_at.cast("timestamp") >= since).fill_null(False)
    k = all_contacts(lake)
    if k is not None:
        if policy.channels.dnc_bars_all:
            dnc |= c.customer_id.isin(k.filter(k.disposition == "dnc_requested").customer_id)
        if rules.recent_complaint.enabled and rules.recent_complaint.days > 0:
            recent = k.filter((k.disposition == "complaint") & (k.ts >= since))
            complained |= c.customer_id.isin(recent.customer_id)
    return {"b_inactive": inactive, "b_under_18": under, "b_dnc": dnc, "b_complaint": complained}


def _unsubscribed(lake: Lake, at: datetime) -> ir.Table | None:
    """Per customer and channel: the newest unsubscribe ("回复TD退订") before ``at``."""
    k = all_contacts(lake)
    if k is None:
        return None
    k = k.filter((k.disposition == "unsubscribed") & (k.ts < at))
    return k.group_by(["customer_id", "channel"]).aggregate(last_unsubscribe=k.ts.max())


def touch_refusal(
    policy: Policy, channel: str, local_time: datetime, touches_in_window: int, sent_today: int = 0
) -> str | None:
    """Why one touch may not go at ``local_time`` (customer-local), or None.

    ``touches_in_window``: the customer's touches of any channel in the cap's window before it; ``sent_today``: the
    bank's sends on this channel on this local day (for the daily limit; ignored for calls).
    """
    minute = local_time.hour * 60 + local_time.minute
    if channel == "call":
        if policy.rules.quiet_hours.quiet_minutes()[minute]:
            return "quiet_hours"
    else:
        rule = policy.channels.channel(channel)
        if not rule.enabled:
            return "channel_disabled"
        if rule.quiet_hours is not None and rule.quiet_hours.quiet_at(minute):
            return "channel_quiet_hours"
        if rule.daily_limit is not None and sent_today >= rule.daily_limit:
            return "channel_daily_limit"
    if touches_in_window >= policy.channels.cross_channel_cap.touches:
        return "cross_channel_cap"
    return None


def next_open_time(policy: Policy, channel: str, local_time: datetime) -> datetime:
    """The first minute at or after ``local_time`` outside the channel's quiet hours (a journey waits till then)."""
    quiet: Sequence[bool]
    if channel == "call":
        quiet = policy.rules.quiet_hours.quiet_minutes()
        end = policy.rules.quiet_hours.end_minute
    else:
        window = policy.channels.channel(channel).quiet_hours
        if window is None:
            return local_time
        quiet = window.quiet_minutes()
        end = window.end_minute
    minute = local_time.hour * 60 + local_time.minute
    if not quiet[minute]:
        return local_time
    opens = local_time.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    return opens if opens > local_time else opens + timedelta(days=1)
