"""Delivery receipts from the senders: delivered, failed, opened, clicked, unsubscribed — stored once per key.

A receipt names the outbox message by its dedupe key. It is stored as a ``journey_events`` row (once per key and
kind: a sender that calls back twice changes nothing), moves the journey action's status forward (never back:
``clicked`` is not undone by a late ``delivered``), and wakes the customer's instances so a branch waiting for it
decides now. An unsubscribe ends the channel for the customer: the gate refuses it from then on, every journey of
the customer exits as opted out, and a policy event records it. The lake sees receipts as contacts once the
operational state is exported (:func:`callwise.ops.overlay.export_policy_state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.ops.models import Followup, JourneyAction, JourneyEvent, JourneyInstance, PolicyEvent

RECEIPT_KINDS = ("delivered", "failed", "opened", "clicked", "unsubscribed")
# How far along a message is: a receipt moves a journey action's status only forward.
_RANK = {"queued": 0, "sent": 1, "failed": 2, "delivered": 2, "opened": 3, "clicked": 4, "unsubscribed": 5}


@dataclass(frozen=True)
class Receipt:
    dedupe_key: str
    kind: str
    ts: datetime


@dataclass(frozen=True)
class ReceiptResult:
    status: str  # stored, duplicate, unknown
    customer_id: str | None = None


def record_receipt(session: Session, receipt: Receipt, actor: str = "sender") -> ReceiptResult:
    """Store one receipt in the caller's transaction (the caller commits)."""
    if receipt.kind not in RECEIPT_KINDS:
        raise ValueError(f"unknown receipt kind {receipt.kind!r}")
    message = session.execute(
        select(Followup.customer_id, Followup.channel).where(Followup.dedupe_key == receipt.dedupe_key)
    ).one_or_none()
    if message is None:
        return ReceiptResult("unknown")
    customer_id, channel = message
    event_key = f"{receipt.dedupe_key}|{receipt.kind}"
    if session.scalar(select(JourneyEvent.event_id).where(JourneyEvent.event_key == event_key)) is not None:
        return ReceiptResult("duplicate", customer_id)
    try:
        with session.begin_nested():
            session.add(
                JourneyEvent(
                    event_key=event_key,
                    customer_id=customer_id,
                    kind=receipt.kind,
                    channel=channel,
                    dedupe_key=receipt.dedupe_key,
                    ts=receipt.ts,
                    source="receipt",
                )
            )
    except IntegrityError:  # the same receipt, stored a moment ago by another request
        return ReceiptResult("duplicate", customer_id)
    now = utcnow()
    action = session.scalars(
        select(JourneyAction).where(JourneyAction.idempotency_key == receipt.dedupe_key)
    ).one_or_none()
    if action is not None and _RANK.get(receipt.kind, 0) > _RANK.get(action.status, 0):
        action.status, action.updated_at = receipt.kind, now
    if receipt.kind == "unsubscribed":
        session.add(
            PolicyEvent(
                customer_id=customer_id,
                kind="unsubscribe",
                ts=receipt.ts,
                source="receipt",
                actor=actor[:64],
                note=channel,
            )
        )
    wake = min(receipt.ts, now)  # a branch waiting for this decides at the next round
    session.execute(
        update(JourneyInstance)
        .where(
            JourneyInstance.customer_id == customer_id,
            JourneyInstance.state == "active",
            JourneyInstance.next_at > wake,
        )
        .values(next_at=wake)
    )
    return ReceiptResult("stored", customer_id)
