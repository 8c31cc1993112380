"""One step of one instance, inside the caller's transaction: what the step does, and where the instance goes next.

Before any step the journey's global exits are checked: the journey's product bought (converted), a DNC request,
a complaint or an unsubscribe since entry (opted out), the journey's time-out. Then:

- ``action``: the policy (:mod:`callwise.journeys.gate`) decides; a touch that may go is written to the outbox
  (``followups``) and to ``journey_actions`` under one deterministic key, in this same transaction, so the step
  and its message commit together or not at all. A key already on record means the step ran before: it is not
  written again. Quiet hours make the step wait until the channel opens (a call also waits out a closed day, the
  minimum gap and the phone number's daily limit); a refusal is recorded with its reason and
  the instance follows ``on_refused``, or exits as refused.
- ``wait``: until the duration after reaching the step has passed, or the next given local time of day.
- ``branch``: ``then`` as soon as the event is on record within the window, ``else`` when the window has passed.
- ``exit``: the instance ends with the step's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.journeys.definition import Journey, Step
from callwise.journeys.gate import (
    Counts,
    CustomerFacts,
    count_touches,
    customer_state,
    decide,
    journey_campaign,
    unsubscribed,
)
from callwise.ops.models import (
    CallOutcome,
    Conversion,
    Customer,
    Followup,
    JourneyAction,
    JourneyEvent,
    JourneyInstance,
)
from callwise.policy.config import Policy
from callwise.schema.contract import ANSWERED_DISPOSITIONS

# A branch on a call's answer or a purchase looks again this often; one on a receipt is woken by the receipt itself
# (``callwise.journeys.receipts``), so it sleeps until its window closes.
RECHECK = timedelta(hours=1)
WOKEN_BY_RECEIPTS = ("delivered", "opened", "clicked")


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: ``moved`` (to the next step, due now), ``waiting`` or ``exited``; the action it queued or
    refused, if any."""

    kind: str
    action: str | None = None  # queued, refused
    key: str | None = None


def action_key(instance: JourneyInstance, step_id: str) -> str:
    """The action's idempotency key, also the outbox's dedupe key: one per instance and step (steps never repeat)."""
    return f"journey:{instance.journey_id}:{instance.instance_id}:{step_id}"


def advance(
    session: Session,
    journey: Journey,
    instance: JourneyInstance,
    policy: Policy,
    facts: CustomerFacts,
    now: datetime,
    bank_timezone: str,
) -> StepOutcome:
    """Run the instance's current step once (the caller holds its lease and commits)."""
    reason = _global_exit(session, journey, instance, now)
    if reason is not None:
        return _exit(instance, reason, now)
    step = journey.step(instance.current_step)
    if step.exit is not None:
        return _exit(instance, step.exit, now)
    if step.wait is not None:
        due = _wait_until(step, instance, session)
        return _move(instance, step.next or "", now) if now >= due else _wait(instance, due)
    if step.branch is not None:
        branch = step.branch
        closes = instance.step_started_at + branch.window
        if _event_seen(session, journey, instance, branch.event, closes):
            return _move(instance, branch.then, now)
        if now >= closes:
            return _move(instance, branch.else_, now)
        if branch.event in WOKEN_BY_RECEIPTS:
            return _wait(instance, closes)
        return _wait(instance, min(closes, now + RECHECK))
    return _act(session, journey, instance, step, policy, facts, now, bank_timezone)


def _act(
    session: Session,
    journey: Journey,
    instance: JourneyInstance,
    step: Step,
    policy: Policy,
    facts: CustomerFacts,
    now: datetime,
    bank_timezone: str,
) -> StepOutcome:
    if step.action is None or step.next is None:
        raise ValueError(f"step {step.id} is not an action")
    channel = step.action.channel
    key = action_key(instance, step.id)
    done = session.scalars(select(JourneyAction.status).where(JourneyAction.idempotency_key == key)).one_or_none()
    if done is not None:  # the step ran before (a retry): never a second action
        target = step.on_refused if done == "refused" else step.next
        return _move(instance, target, now) if target else _exit(instance, "refused", now)
    customer = customer_state(session, instance.customer_id)
    bar = None
    if customer is not None and channel != "task":
        bar = facts.bar(instance.customer_id, channel)
        if bar is None and channel != "call" and unsubscribed(session, instance.customer_id, channel):
            bar = "channel_unsubscribed"
    counts = None
    if customer is not None and channel != "task":
        counts = count_touches(
            session,
            policy,
            facts,
            instance.customer_id,
            customer.timezone,
            channel,
            now,
            bank_timezone,
            phone_lookup=customer.phone_lookup,
            journey_id=journey.id,
            campaign_id=journey_campaign(session, journey) if channel == "call" else None,
        )

    decision = decide(policy, channel, now, customer, bar, counts or Counts())
    if decision.kind == "wait" and decision.until is not None:
        return _wait(instance, decision.until)
    row = JourneyAction(
        idempotency_key=key,
        instance_id=instance.instance_id,
        journey_id=journey.id,
        step_id=step.id,
        customer_id=instance.customer_id,
        channel=channel,
        template=step.action.template,
        status="queued" if decision.kind == "go" else "refused",
        reason=decision.reason,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    if decision.kind != "go":
        session.flush()
        target = step.on_refused
        outcome = _move(instance, target, now) if target else _exit(instance, "refused", now)
        return StepOutcome(outcome.kind, "refused", key)
    template = journey.templates.get(step.action.template)
    session.add(
        Followup(
            dedupe_key=key,
            customer_id=instance.customer_id,
            channel=channel,
            template=step.action.template,
            payload={
                "journey_id": journey.id,
                "version": instance.version,
                "step_id": step.id,
                "product_id": journey.product_id,
                "text": {"zh": template.zh, "en": template.en} if template is not None else None,
            },
            due_at=now,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
    )
    session.flush()
    outcome = _move(instance, step.next, now)
    return StepOutcome(outcome.kind, "queued", key)


def _global_exit(session: Session, journey: Journey, instance: JourneyInstance, now: datetime) -> str | None:
    since = instance.entered_at
    if journey.product_id is not None:
        bought = select(func.count()).where(
            Conversion.customer_id == instance.customer_id,
            Conversion.product_id == journey.product_id,
            Conversion.ts >= since,
        )
        if session.scalar(bought):
            return "converted"
    customer = session.get(Customer, instance.customer_id)
    if customer is not None and (
        customer.dnc or (customer.complaint_at is not None and customer.complaint_at >= since)
    ):
        return "opted_out"
    gone = select(func.count()).where(
        JourneyEvent.customer_id == instance.customer_id,
        JourneyEvent.kind == "unsubscribed",
        JourneyEvent.ts >= since,
    )
    if session.scalar(gone):
        return "opted_out"
    if now >= instance.entered_at + journey.max_age:
        return "timed_out"
    return None


def _wait_until(step: Step, instance: JourneyInstance, session: Session) -> datetime:
    if step.wait is None:
        raise ValueError(f"step {step.id} is not a wait")
    duration = step.wait.duration
    if duration is not None:
        return instance.step_started_at + duration
    minute = step.wait.minute_of_day or 0
    customer = session.get(Customer, instance.customer_id)
    zone = ZoneInfo(customer.timezone if customer is not None and customer.timezone else "Asia/Shanghai")
    local = instance.step_started_at.astimezone(zone)
    target = local.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
    if target <= local:
        target = (local + timedelta(days=1)).replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
    return target.astimezone(UTC)


def _event_seen(session: Session, journey: Journey, instance: JourneyInstance, event: str, closes: datetime) -> bool:
    """The event on record between reaching the step and the window's end (receipts of this instance's messages)."""
    opened = instance.step_started_at
    if event == "answered":
        query = select(func.count()).where(
            CallOutcome.customer_id == instance.customer_id,
            CallOutcome.disposition.in_(ANSWERED_DISPOSITIONS),
            CallOutcome.ts >= opened,
            CallOutcome.ts <= closes,
        )
    elif event == "bought":
        query = select(func.count()).where(
            Conversion.customer_id == instance.customer_id, Conversion.ts >= opened, Conversion.ts <= closes
        )
        if journey.product_id is not None:
            query = query.where(Conversion.product_id == journey.product_id)
    else:
        mine = select(JourneyAction.idempotency_key).where(JourneyAction.instance_id == instance.instance_id)
        query = select(func.count()).where(
            JourneyEvent.customer_id == instance.customer_id,
            JourneyEvent.kind == event,
            JourneyEvent.dedupe_key.in_(mine),
            JourneyEvent.ts <= closes,
        )
    return bool(session.scalar(query))


def _move(instance: JourneyInstance, target: str, now: datetime) -> StepOutcome:
    instance.current_step = target
    instance.step_started_at = now
    instance.next_at = now
    instance.path = [*instance.path, target]
    instance.steps_done += 1
    return StepOutcome("moved")


def _wait(instance: JourneyInstance, until: datetime) -> StepOutcome:
    instance.next_at = until
    return StepOutcome("waiting")


def _exit(instance: JourneyInstance, reason: str, now: datetime) -> StepOutcome:
    instance.state = "exited"
    instance.live = None
    instance.exited_at = now
    instance.exit_reason = reason
    instance.next_at = now
    instance.steps_done += 1
    return StepOutcome("exited")
