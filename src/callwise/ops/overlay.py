"""What the operational DB knows that the lake does not yet: written into the lake before a list build.

DNC requests, consent changes and call outcomes arrive one at a time between two loads of the bank's data.
The policy engine reads the lake, so the live state goes there as two small tables — ``ops_customer_state``
and ``ops_contacts`` — which ``callwise.policy`` lays over ``customers`` and ``contacts``. A DNC request
recorded a second ago is therefore in force for the very next list.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, select

from callwise.clock import utcnow
from callwise.lake import Lake
from callwise.ops.models import CallOutcome, Customer, PolicyEvent
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
    days = max(rules.refusal_cooldown.days, rules.recent_complaint.days, rules.frequency_cap.days)
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
    lake.write(
        "ops_customer_state",
        pa.Table.from_pandas(
            state.astype({"dnc": bool, "consent_marketing": bool, "erased": bool}),
            schema=STATE_SCHEMA,
            preserve_index=False,
        ),
    )
    lake.write("ops_contacts", _contacts(outcomes))
    return {"customers": len(state), "outcomes": len(outcomes)}


def _contacts(outcomes: pd.DataFrame) -> pa.Table:
    utc = pd.to_datetime(outcomes["ts"], utc=True)
    local = pd.Series(pd.NaT, index=outcomes.index, dtype="datetime64[us]")
    for zone, rows in outcomes.groupby("timezone").groups.items():
        local[rows] = utc[rows].dt.tz_convert(str(zone)).dt.tz_localize(None).astype("datetime64[us]")
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
