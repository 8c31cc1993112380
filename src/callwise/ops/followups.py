"""Follow-ups of stored outcomes: planned by the rules into the outbox, then delivered by senders.

Planning happens in the outcome's own transaction (``outcome_planner``), so an outcome never exists without
its follow-ups. Delivery (``deliver_due``) claims due messages under a lease, sends them outside any
transaction, and records the result: sent, retried later with back-off, or dead-lettered. A message whose
sender died before the result was written is sent again after its lease ends, with the same dedupe key,
so receivers that honour the key (the file sender does, a webhook receiver should) see it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.loop import FollowupRules, OutcomeFacts
from callwise.loop.followups import plan_with_reasons
from callwise.loop.outbox import DeliveryResult, DeliveryStatus, OutboxMessage, Sender
from callwise.loop.retry import next_attempt_at
from callwise.ops.db import transaction
from callwise.ops.models import CallOutcome, Campaign, Followup, ListItem
from callwise.ops.outcomes import FollowupPlanner, OutcomeIn, PlannedFollowup, StoredOutcome
from callwise.policy import Policy

LEASE = timedelta(minutes=5)
log = logging.getLogger("callwise.followups")


def outcome_planner(
    rules: FollowupRules,
    policy: Policy,
    products: Mapping[str, Mapping[str, Any]],
    bank_timezone: str,
    bank_name: str = "",
    clock: Callable[[], datetime] = utcnow,
) -> FollowupPlanner:
    """A planner for ``record_outcomes``: follow-up rows for the stored outcomes that have rules.

    ``products`` maps product id → {category, name, link}; the message text is rendered now, in zh and en,
    so what is delivered is exactly what was planned (and auditable as such). An outcome that names no product
    takes its list item's (or else its campaign's). A follow-up that cannot say what it must (no product, no
    bank name to sign an SMS, a placeholder without a value) is not planned; its reason code is logged.
    """
    with_rules = {rule.disposition for rule in rules.rules}
    with_calls = {rule.disposition for rule in rules.rules if rule.channel == "call"}
    cap = policy.rules.frequency_cap

    def plan(session: Session, stored: list[StoredOutcome]) -> list[PlannedFollowup]:
        now = clock()  # nothing is planned in the past: a late-reported outcome's follow-ups are due now
        rows: list[PlannedFollowup] = []
        callers = {s.outcome.customer_id for s in stored if s.outcome.disposition in with_calls}
        products_of = _products_of_outcomes(session, [s.outcome for s in stored if s.outcome.disposition in with_rules])
        calls = _recent_calls(session, callers, now - timedelta(days=cap.days)) if cap.enabled and callers else {}
        for s in stored:  # only the few dispositions with rules reach the per-outcome planning
            o = s.outcome
            if o.disposition not in with_rules:
                continue
            product_id = o.product_id or products_of.get(o.idempotency_key)
            product = products.get(product_id or "", {})
            facts = OutcomeFacts(
                customer_id=o.customer_id,
                timezone=s.timezone,
                disposition=o.disposition,
                ts=o.ts,
                dnc=s.dnc,
                consent=s.consent,
                product_id=product_id,
                product_category=product.get("category"),
                callback_at=o.callback_at,
                outcome_id=o.idempotency_key,
            )
            values = {
                "bank_name": bank_name,
                "product_name": product.get("name") or product_id or "",
                "product_link": product.get("link") or "",
            }
            planned = plan_with_reasons(rules, facts, policy, now, bank_timezone, values)
            for stopped in planned.suppressed:
                log.info(
                    "follow-up %s of outcome %s not planned: %s", stopped.rule_id, o.idempotency_key, stopped.reason
                )
            for action in planned.actions:
                if action.channel == "call" and calls.get(o.customer_id, 0) >= cap.calls:
                    continue  # the cap on marketing calls per 30 days holds for the callbacks the bank plans too
                payload = {
                    "rule_id": action.rule_id,
                    "product_id": action.product_id,
                    "text": dict(action.text) if action.text is not None else None,
                }
                rows.append(
                    {
                        "dedupe_key": action.dedupe_key,
                        "outcome_id": s.outcome_id,
                        "customer_id": o.customer_id,
                        "channel": action.channel,
                        "template": action.template,
                        "payload": payload,
                        "due_at": action.due_at,
                    }
                )
        return rows

    return plan


def _recent_calls(session: Session, customers: set[str], since: datetime) -> dict[str, int]:
    """Calls on record per customer since ``since`` (every outcome is a call that was placed)."""
    query = (
        select(CallOutcome.customer_id, func.count())
        .where(CallOutcome.customer_id.in_(sorted(customers)), CallOutcome.ts >= since)
        .group_by(CallOutcome.customer_id)
    )
    return {customer: int(n) for customer, n in session.execute(query)}


def _products_of_outcomes(session: Session, outcomes: list[OutcomeIn]) -> dict[str, str]:
    """Idempotency key → the product of the outcome's list item, else of its campaign, for outcomes naming none."""
    bare = [o for o in outcomes if not o.product_id]
    item_ids = sorted({o.item_id for o in bare if o.item_id is not None})
    campaign_ids = sorted({o.campaign_id for o in bare if o.campaign_id})
    by_item: dict[int, str] = {}
    by_campaign: dict[str, str] = {}
    if item_ids:
        items = select(ListItem.item_id, ListItem.product_id).where(ListItem.item_id.in_(item_ids))
        by_item = {int(i): str(p) for i, p in session.execute(items)}
    if campaign_ids:
        campaigns = select(Campaign.campaign_id, Campaign.product_id).where(Campaign.campaign_id.in_(campaign_ids))
        by_campaign = {str(c): str(p) for c, p in session.execute(campaigns)}
    found: dict[str, str] = {}
    for o in bare:
        product = (by_item.get(o.item_id) if o.item_id is not None else None) or by_campaign.get(o.campaign_id or "")
        if product:
            found[o.idempotency_key] = product
    return found


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


def deliver_due(
    factory: sessionmaker[Session],
    senders: Mapping[str, Sender],
    now: datetime | None = None,
    limit: int = 200,
    lease: timedelta = LEASE,
) -> DeliveryReport:
    """Send what is due on the channels ``senders`` covers; returns what happened."""
    now = now or utcnow()
    report = DeliveryReport()
    claimed = _claim(factory, list(senders), now, limit, lease)
    report.claimed = len(claimed)
    for row in claimed:
        message = OutboxMessage(
            id=row.followup_id,
            dedupe_key=row.dedupe_key,
            channel=row.channel,
            customer_id=row.customer_id,
            template=row.template,
            payload=dict(row.payload or {}),
            attempt=row.attempts + 1,
        )
        unsendable = _unsendable(row)
        result = senders[row.channel].send(message) if unsendable is None else DeliveryResult.permanent(unsendable)
        values: dict[str, Any] = {"attempts": row.attempts + 1, "lease_until": None}
        if result.status == DeliveryStatus.OK:
            values |= {"status": "sent", "sent_at": utcnow(), "last_error": None}
            report.sent += 1
        else:
            retry_at = None
            if result.status == DeliveryStatus.RETRYABLE:
                retry_at = next_attempt_at(result, row.attempts + 1, row.dedupe_key, utcnow())
            if retry_at is None:
                values |= {"status": "dead", "last_error": (result.detail or "")[:2000]}
                report.dead += 1
            else:
                values |= {"status": "pending", "next_attempt_at": retry_at, "last_error": (result.detail or "")[:2000]}
                report.retried += 1
        with transaction(factory) as session:
            session.execute(
                update(Followup)
                .where(Followup.followup_id == row.followup_id, Followup.status == "sending")
                .values(**values)
            )
    return report


def _unsendable(row: Followup) -> str | None:
    """Why a message must not go out even though it was planned (by an older version): an SMS with no text, or
    one signed with empty brackets. Such a message is dead-lettered with the reason, never sent."""
    if row.channel != "sms":
        return None
    text = (row.payload or {}).get("text")
    if not isinstance(text, dict) or not text or not all(isinstance(v, str) and v.strip() for v in text.values()):
        return "no_text: the SMS has no text, so it is not sent"
    if any(v.lstrip().startswith(("【】", "[]")) for v in text.values()):
        return "no_bank_name: the SMS is signed with no bank name, so it is not sent"
    return None


def _claim(
    factory: sessionmaker[Session], channels: list[str], now: datetime, limit: int, lease: timedelta
) -> list[Followup]:
    """Mark due messages as being sent, so no other deliverer takes them until the lease runs out."""
    due = (Followup.status == "pending") & (Followup.next_attempt_at <= now)
    abandoned = (Followup.status == "sending") & (Followup.lease_until < now)
    query = (
        select(Followup)
        .where(Followup.channel.in_(channels), or_(due, abandoned))
        .order_by(Followup.next_attempt_at, Followup.followup_id)
        .limit(limit)
    )
    with transaction(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        ids = [r.followup_id for r in rows]
        if ids:
            session.execute(
                update(Followup).where(Followup.followup_id.in_(ids)).values(status="sending", lease_until=now + lease)
            )
        session.expunge_all()
    return rows
