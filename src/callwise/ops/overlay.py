"""What the operational DB knows that the lake does not yet: written into the lake before a list build.

DNC requests, consent changes and call outcomes arrive one at a time between two loads of the bank's data.
The policy engine reads the lake, so the live state goes there as two small tables — ``ops_customer_state``
and ``ops_contacts`` (call outcomes, and the messages journeys sent with their receipts) — which
``callwise.policy`` lays over ``customers`` and ``contacts``. A DNC request recorded a second ago is therefore in
force for the very next list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, select

from callwise.clock import utcnow
from callwise.lake import Lake
from callwise.ops.models import CallOutcome, Customer, JourneyAction, JourneyEvent, PolicyEvent
from callwise.policy import Policy

STATE_SCHEMA = pa.schema(
    [("customer_id", pa.string()), ("dnc", pa.bool_()), ("consent_marketing", pa.bool_()), ("erased", pa.bool_())]
)
CONTACT_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("campaign_id", pa.string()),
        ("customer_id", pa.string()),
        ("product_id", pa.string()),
        ("channel", pa.string()),
        ("ts", pa.timestamp("us")),  # customer-local wall time, as in the lake's contacts
        ("disposition", pa.string()),
        ("duration_s", pa.float64()),
    ]
)


def export_policy_state(engine: Engine, lake: Lake, policy: Policy, campaign_id: str | None = None) -> dict[str, int]:
    """Write what the policy can still see into the lake (atomically, each table).

    Only customers whose state changed here (a policy event, or an erasure) and only the outcomes inside the
    policy's longest look-back — plus every outcome of ``campaign_id``, whose attempts count for good — so a
    year of outcomes is not copied again for every build.
    """
    rules = policy.rules
    days = max(
        rules.refusal_cooldown.days,
        rules.recent_complaint.days,
        rules.frequency_cap.days,
        policy.channels.cross_channel_cap.days,
    )
    since = utcnow() - timedelta(days=days + 1)  # a day's margin for customers' clocks ahead of UTC
    changed = Customer.customer_id.in_(select(PolicyEvent.customer_id)) | Customer.erased_at.is_not(None)
    recent = CallOutcome.ts >= since
    if campaign_id is not None:
        recent |= CallOutcome.campaign_id == campaign_id
    with engine.connect() as connection:
        state = pd.read_sql(
            select(
                Customer.customer_id,
                Customer.dnc,
                Customer.consent_marketing,
                Customer.erased_at.is_not(None).label("erased"),
            ).where(changed),
            connection,
        )
        outcomes = pd.read_sql(
            select(
                CallOutcome.outcome_id,
                CallOutcome.campaign_id,
                CallOutcome.customer_id,
                CallOutcome.product_id,
                CallOutcome.ts,
                CallOutcome.disposition,
                CallOutcome.duration_s,
                Customer.timezone,
            )
            .join(Customer, Customer.customer_id == CallOutcome.customer_id)
            .where(recent),
            connection,
        )
        messages = _messages(connection, since)
    lake.write(
        "ops_customer_state",
        pa.Table.from_pandas(
            state.astype({"dnc": bool, "consent_marketing": bool, "erased": bool}),
            schema=STATE_SCHEMA,
            preserve_index=False,
        ),
    )
    contacts = _contacts(outcomes)
    if len(messages):
        contacts = pa.concat_tables([contacts, _message_contacts(messages)])
    lake.write("ops_contacts", contacts)
    return {"customers": len(state), "outcomes": len(outcomes), "messages": len(messages)}


# A journey action's status as a contact's disposition: queued in the outbox counts as sent (it is a touch).
_MESSAGE_STATUS = {"queued": "sent", "sent": "sent", "delivered": "delivered", "failed": "failed"}
_MESSAGE_STATUS |= {"opened": "opened", "clicked": "clicked", "unsubscribed": "unsubscribed"}


def _messages(connection: Any, since: Any) -> pd.DataFrame:
    """Journey messages (not calls: a call's contact is its outcome) and unsubscribe receipts of other messages,
    as contacts of the policy's look-back (unsubscribes of any age: they hold until consent is given again)."""
    actions = pd.read_sql(
        select(
            JourneyAction.idempotency_key.label("key"),
            JourneyAction.journey_id.label("campaign_id"),
            JourneyAction.customer_id,
            JourneyAction.channel,
            JourneyAction.created_at.label("ts"),
            JourneyAction.status.label("disposition"),
            Customer.timezone,
        )
        .join(Customer, Customer.customer_id == JourneyAction.customer_id)
        .where(
            JourneyAction.channel.not_in(("call", "task")),
            JourneyAction.status.in_(list(_MESSAGE_STATUS)),
            (JourneyAction.created_at >= since) | (JourneyAction.status == "unsubscribed"),
        ),
        connection,
    )
    actions["disposition"] = actions["disposition"].map(_MESSAGE_STATUS)
    others = pd.read_sql(
        select(
            JourneyEvent.event_key.label("key"),
            JourneyEvent.customer_id,
            JourneyEvent.channel,
            JourneyEvent.ts,
            JourneyEvent.kind.label("disposition"),
            Customer.timezone,
        )
        .join(Customer, Customer.customer_id == JourneyEvent.customer_id)
        .where(
            JourneyEvent.kind == "unsubscribed",
            JourneyEvent.dedupe_key.not_in(select(JourneyAction.idempotency_key)),
        ),
        connection,
    )
    others["campaign_id"] = None
    return pd.concat([actions, others], ignore_index=True) if len(others) else actions


def _message_contacts(messages: pd.DataFrame) -> pa.Table:
    frame = pd.DataFrame(
        {
            "contact_id": "ops-msg-" + messages["key"].astype(str),
            "campaign_id": messages["campaign_id"],
            "customer_id": messages["customer_id"],
            "product_id": None,
            "channel": messages["channel"],
            "ts": _local(messages),
            "disposition": messages["disposition"],
            "duration_s": float("nan"),
        }
    )
    return pa.Table.from_pandas(frame, schema=CONTACT_SCHEMA, preserve_index=False)


def _local(rows: pd.DataFrame) -> pd.Series:
    """Each row's ``ts`` (UTC) as wall time in its ``timezone``, as the lake's contacts keep it."""
    utc = pd.to_datetime(rows["ts"], utc=True)
    local = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]")
    for zone, where in rows.groupby("timezone").groups.items():
        local[where] = utc[where].dt.tz_convert(str(zone)).dt.tz_localize(None).astype("datetime64[us]")
    return local


def _contacts(outcomes: pd.DataFrame) -> pa.Table:
    local = _local(outcomes)
    frame = pd.DataFrame(
        {
            "contact_id": "ops-" + outcomes["outcome_id"].astype(str),
            "campaign_id": outcomes["campaign_id"],
            "customer_id": outcomes["customer_id"],
            "product_id": outcomes["product_id"],
            "channel": "call",
            "ts": local,
            "disposition": outcomes["disposition"],
            "duration_s": outcomes["duration_s"].astype(float),
        }
    )
    return pa.Table.from_pandas(frame, schema=CONTACT_SCHEMA, preserve_index=False)
