"""Recording call outcomes: exactly once per idempotency key, with their effects in the same transaction.

An outcome is not just a row. ``dnc_requested`` blocks the customer at once and withdraws every call of
theirs still waiting in an issued list; ``refused`` starts the cool-down; ``complaint`` is on file for the
policy; ``converted`` records the conversion; a customer reached on one attempt needs no more attempts; an
issued campaign whose call has an outcome is running; the dashboard's roll-ups count it. All of it commits
with the outcome or not at all, so a crash or a retry can neither lose nor double it.
Follow-up actions are planned by a caller-given function and land in the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callwise.clock import utcnow
from callwise.ops.campaign_state import mark_running
from callwise.ops.db import table_of
from callwise.ops.models import CallOutcome, Conversion, Customer, Followup, ListItem, PolicyEvent
from callwise.ops.rollups import add_outcomes
from callwise.ops.types import in_future
from callwise.schema.contract import ANSWERED_DISPOSITIONS, DISPOSITIONS

# Dispositions that change what the policy allows, with the policy event they record.
POLICY_EVENTS = {"dnc_requested": "dnc", "refused": "refusal", "complaint": "complaint"}
# After these, every call of the customer still waiting in an issued list is withdrawn.
BLOCKING = ("dnc_requested", "complaint")


@dataclass(frozen=True)
class OutcomeIn:
    """One outcome as a dialer or agent reports it (times time-zone aware)."""

    idempotency_key: str
    customer_id: str
    disposition: str
    ts: datetime
    campaign_id: str | None = None
    item_id: int | None = None
    product_id: str | None = None
    agent_id: str | None = None
    duration_s: float | None = None
    callback_at: datetime | None = None


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item of a batch: ``stored``, ``duplicate`` (stored before) or ``rejected``."""

    index: int
    idempotency_key: str
    status: str
    outcome_id: int | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class StoredOutcome:
    """A newly stored outcome with the customer's state, for planning its follow-ups."""

    outcome_id: int
    outcome: OutcomeIn
    timezone: str
    dnc: bool
    consent: bool


class PlannedFollowup(TypedDict):
    """One follow-up a planner wants in the outbox (its columns; status and attempts are set on writing)."""

    dedupe_key: str
    outcome_id: int
    customer_id: str
    channel: str
    template: str
    payload: dict[str, Any]
    due_at: datetime


# Given the outcome's session (to read what it needs, e.g. recent calls) and the stored outcomes: outbox rows.
FollowupPlanner = Callable[[Session, list[StoredOutcome]], list[PlannedFollowup]]


def record_outcomes(
    session: Session,
    outcomes: Sequence[OutcomeIn],
    actor: str,
    source: str = "api",
    plan_followups: FollowupPlanner | None = None,
    bank_timezone: str | None = None,
) -> list[ItemResult]:
    """Store every valid, new outcome of ``outcomes`` with its effects; report per item. Caller commits.

    The new outcomes are also counted into the roll-ups by local day in ``bank_timezone`` (default: the settings').
    """
    results: dict[int, ItemResult] = {}
    fresh: dict[str, int] = {}
    repeats: dict[int, int] = {}  # a key seen earlier in the same batch → that item's index
    for i, o in enumerate(outcomes):
        problem = _problem(o)
        if problem:
            results[i] = ItemResult(i, o.idempotency_key, "rejected", code=problem[0], message=problem[1])
        elif o.idempotency_key in fresh:
            repeats[i] = fresh[o.idempotency_key]
        else:
            fresh[o.idempotency_key] = i
    known = _customers(session, {outcomes[i].customer_id for i in fresh.values()})
    for key, i in list(fresh.items()):
        if outcomes[i].customer_id not in known:
            message = f"customer {outcomes[i].customer_id!r} is not known to the operational database"
            results[i] = ItemResult(i, key, "rejected", code="unknown_customer", message=message)
            del fresh[key]

    inserted = _insert_new(session, [outcomes[i] for i in fresh.values()], source)
    earlier = _existing_ids(session, [k for k in fresh if k not in inserted])
    stored = []
    for key, i in fresh.items():
        if key in inserted:
            results[i] = ItemResult(i, key, "stored", inserted[key])
            state = known[outcomes[i].customer_id]
            stored.append(StoredOutcome(inserted[key], outcomes[i], state[0], state[1], state[2]))
        else:
            results[i] = ItemResult(i, key, "duplicate", earlier.get(key))
    _apply_effects(session, stored, actor)
    add_outcomes(session, [s.outcome for s in stored], bank_timezone)
    if stored:  # the first outcome of an issued campaign's calls: it is running now
        campaigns = [s.outcome.campaign_id for s in stored if s.outcome.campaign_id]
        mark_running(session, campaigns, [s.outcome.item_id for s in stored if s.outcome.item_id is not None], actor)
    if plan_followups is not None and stored:
        _enqueue(session, plan_followups(session, stored))
    for i, first in repeats.items():  # a repeat within the batch fares as its first occurrence did
        r = results[first]
        results[i] = replace(r, index=i, status="rejected" if r.status == "rejected" else "duplicate")
    return [results[i] for i in range(len(outcomes))]


def _problem(o: OutcomeIn) -> tuple[str, str] | None:
    if not o.idempotency_key or len(o.idempotency_key) > 128:
        return "bad_idempotency_key", "idempotency_key must be 1 to 128 characters"
    if o.disposition not in DISPOSITIONS:
        return (
            "unknown_disposition",
            f"unknown disposition {o.disposition!r}; expected one of {', '.join(DISPOSITIONS)}",
        )
    if o.ts.tzinfo is None or (o.callback_at is not None and o.callback_at.tzinfo is None):
        return "naive_time", "times must carry a UTC offset, e.g. 2026-07-01T10:15:00+08:00"
    if in_future(o.ts):
        return "future_time", f"the call time {o.ts.isoformat()} lies in the future"
    if o.duration_s is not None and not 0 <= o.duration_s <= 86_400:
        return "bad_duration", "duration_s must be between 0 and 86400 seconds"
    return None


def _customers(session: Session, ids: set[str]) -> dict[str, tuple[str, bool, bool]]:
    """Known customers among ``ids`` with (timezone, dnc, consent); erased customers are unknown."""
    found: dict[str, tuple[str, bool, bool]] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(Customer.customer_id, Customer.timezone, Customer.dnc, Customer.consent_marketing)
        rows = session.execute(query.where(Customer.customer_id.in_(chunk), Customer.erased_at.is_(None)))
        found.update({r[0]: (r[1], r[2], r[3]) for r in rows})
    return found


def _insert_new(session: Session, outcomes: list[OutcomeIn], source: str) -> dict[str, int]:
    """Insert, skipping keys already stored (also by a concurrent request); returns key → id of the new ones."""
    if not outcomes:
        return {}
    now = utcnow()
    columns: dict[str, list[Any]] = {
        "idempotency_key": [o.idempotency_key for o in outcomes],
        "customer_id": [o.customer_id for o in outcomes],
        "campaign_id": [o.campaign_id for o in outcomes],
        "item_id": [o.item_id for o in outcomes],
        "product_id": [o.product_id for o in outcomes],
        "ts": [o.ts for o in outcomes],
        "disposition": [o.disposition for o in outcomes],
        "agent_id": [o.agent_id for o in outcomes],
        "duration_s": [o.duration_s for o in outcomes],
        "callback_at": [o.callback_at for o in outcomes],
        "source": [source] * len(outcomes),
        "received_at": [now] * len(outcomes),
    }
    table = table_of(CallOutcome)
    if session.get_bind().dialect.name == "postgresql":
        result = session.execute(_unnest_insert(table, list(columns)), columns)
    else:
        # One statement, the rows as its parameters: compiled once and cached, sent in pages ("insertmanyvalues").
        statement = (
            sqlite.insert(table)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.idempotency_key, table.c.outcome_id)
        )
        rows = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
        result = session.execute(statement, rows)
    return dict(result.all())


def _unnest_insert(table: Any, names: list[str]) -> Any:
    """PostgreSQL: one array per column, unnested into rows. The statement stays short, so psycopg parses it once
    and caches it; a VALUES list of a whole batch is too long for its cache and was re-parsed on every request."""
    arrays = [bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in names]
    rows = func.unnest(*arrays).table_valued(*names).render_derived()
    return (
        postgresql.insert(table)
        .from_select(names, select(*(rows.c[name] for name in names)))
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.idempotency_key, table.c.outcome_id)
    )


def _existing_ids(session: Session, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(CallOutcome.idempotency_key, CallOutcome.outcome_id).where(CallOutcome.idempotency_key.in_(chunk))
        )
        found.update((k, v) for k, v in rows)
    return found


def _apply_effects(session: Session, stored: list[StoredOutcome], actor: str) -> None:
    """Policy state, conversions and list items, changed set-wise for the whole batch."""
    _lock_customers(session, sorted({s.outcome.customer_id for s in stored}))
    events, conversions = [], []
    latest: dict[tuple[str, str], datetime] = {}
    for s in stored:
        o = s.outcome
        kind = POLICY_EVENTS.get(o.disposition)
        if kind:
            events.append(
                {
                    "customer_id": o.customer_id,
                    "kind": kind,
                    "ts": o.ts,
                    "source": "outcome",
                    "actor": actor,
                    "outcome_id": s.outcome_id,
                }
            )
            key = (o.customer_id, kind)
            latest[key] = max(latest.get(key, o.ts), o.ts)
        if o.disposition == "converted":
            conversions.append(
                {
                    "outcome_id": s.outcome_id,
                    "customer_id": o.customer_id,
                    "product_id": o.product_id,
                    "campaign_id": o.campaign_id,
                    "ts": o.ts,
                }
            )
    if events:
        session.execute(table_of(PolicyEvent).insert(), events)
    if conversions:
        session.execute(table_of(Conversion).insert(), conversions)
    _stamp_customers(session, latest)
    _update_items(session, stored)


def _lock_customers(session: Session, customer_ids: list[str]) -> None:
    """Lock the batch's customers in id order before any of their rows (or their list items) change.

    Two batches that share customers then wait for each other instead of deadlocking on rows taken in batch
    order (PostgreSQL; SQLite writes one transaction at a time anyway).
    """
    for chunk in _chunks(customer_ids):
        query = select(Customer.customer_id).where(Customer.customer_id.in_(chunk))
        # FOR NO KEY UPDATE: what the stamp updates take anyway, and no conflict with the key-share locks the
        # batch's own outcome rows (foreign keys to these customers) already hold.
        session.execute(query.order_by(Customer.customer_id).with_for_update(key_share=True))


def _stamp_customers(session: Session, latest: dict[tuple[str, str], datetime]) -> None:
    """Each customer's newest DNC, refusal and complaint time; one statement per kind, the customers as its rows."""
    table = table_of(Customer)
    column = {"dnc": table.c.dnc_at, "refusal": table.c.refused_at, "complaint": table.c.complaint_at}
    for kind, stamp in column.items():
        rows = [{"cid": customer_id, "ts": ts} for (customer_id, k), ts in latest.items() if k == kind]
        if not rows:
            continue
        values: dict[str, Any] = {stamp.key: bindparam("ts")}
        if kind == "dnc":
            values["dnc"] = True
        stale = stamp.is_(None) | (stamp < bindparam("ts"))
        statement = update(table).where(table.c.customer_id == bindparam("cid"), stale).values(values)
        session.execute(statement, rows)


def _update_items(session: Session, stored: list[StoredOutcome]) -> None:
    """The dialled item is done; a reached customer needs no more attempts; DNC or a complaint withdraws all."""
    item_ids = [s.outcome.item_id for s in stored if s.outcome.item_id is not None]
    for chunk in _chunks(item_ids):
        session.execute(
            update(ListItem).where(ListItem.item_id.in_(chunk), ListItem.status == "pending").values(status="dialled")
        )
    blocked = {s.outcome.customer_id: s.outcome.disposition for s in stored if s.outcome.disposition in BLOCKING}
    for reason in set(blocked.values()):
        customers = sorted(c for c, d in blocked.items() if d == reason)
        for chunk in _chunks(customers):
            session.execute(
                update(ListItem)
                .where(ListItem.customer_id.in_(chunk), ListItem.status == "pending")
                .values(status="withdrawn", status_reason=reason)
            )
    list_of = _lists_of_items(session, item_ids)
    reached: dict[str, set[tuple[int, str]]] = {}
    for s in stored:
        o = s.outcome
        if o.item_id in list_of and o.disposition in ANSWERED_DISPOSITIONS and o.customer_id not in blocked:
            reason = "converted" if o.disposition == "converted" else "reached"
            reached.setdefault(reason, set()).add((list_of[o.item_id], o.customer_id))
    for reason, pairs in reached.items():
        for chunk in _chunks(sorted(pairs)):
            session.execute(
                update(ListItem)
                .where(tuple_(ListItem.list_id, ListItem.customer_id).in_(chunk), ListItem.status == "pending")
                .values(status="withdrawn", status_reason=reason)
            )


def _lists_of_items(session: Session, item_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in _chunks(item_ids):
        query = select(ListItem.item_id, ListItem.list_id).where(ListItem.item_id.in_(chunk))
        found.update((k, v) for k, v in session.execute(query))
    return found


def _enqueue(session: Session, actions: list[PlannedFollowup]) -> None:
    """Write planned follow-ups to the outbox; a dedupe key already there is skipped (no duplicate sends)."""
    if not actions:
        return
    rows = [{**a, "status": "pending", "attempts": 0, "next_attempt_at": a["due_at"]} for a in actions]
    statement = _dialect(session).insert(table_of(Followup)).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(statement, rows)


def _dialect(session: Session) -> Any:
    """The dialect module whose INSERT knows ON CONFLICT (both backends have it)."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _chunks(values: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
