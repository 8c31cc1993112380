"""Journey messages and receipts reach the lake as contacts, so the policy's planners see them."""

from __future__ import annotations

from datetime import timedelta

from callwise.clock import utcnow
from callwise.journeys.receipts import Receipt, record_receipt
from callwise.journeys.store import enter
from callwise.lake import Lake
from callwise.ops.db import transaction
from callwise.ops.models import Followup
from callwise.ops.overlay import export_policy_state
from callwise.policy.config import default_policy
from tests.journeys.conftest import Clock, add_customers, load, make_worker, open_channels


def test_sent_messages_and_an_unsubscribe_are_contacts_in_the_lake(factory, db_engine, outbox_dir, tmp_path):
    now = utcnow().replace(hour=2, minute=0, second=0, microsecond=0)  # 10:00 in Shanghai, today
    load(factory)
    add_customers(factory, ["c1", "c2"])
    worker = make_worker(factory, outbox_dir, Clock(now), facts=open_channels(["c1", "c2"]))
    enter(factory, "care", ["c1"], now)
    worker.run_once()
    with transaction(factory) as session:  # a follow-up outside any journey, unsubscribed from
        session.add(
            Followup(
                dedupe_key="fu-1",
                customer_id="c2",
                channel="sms",
                template="x",
                payload={},
                due_at=now,
                next_attempt_at=now,
            )
        )
    with transaction(factory) as session:
        record_receipt(session, Receipt("fu-1", "unsubscribed", now + timedelta(minutes=3)))
    lake = Lake(tmp_path / "lake")
    counts = export_policy_state(db_engine, lake, default_policy())
    contacts = lake.table("ops_contacts").to_pandas().sort_values("customer_id")
    assert counts["messages"] == 2
    rows = contacts[["customer_id", "channel", "disposition", "campaign_id"]].fillna("-").to_dict("records")
    assert rows == [
        {"customer_id": "c1", "channel": "app_push", "disposition": "sent", "campaign_id": "care"},
        {"customer_id": "c2", "channel": "sms", "disposition": "unsubscribed", "campaign_id": "-"},
    ]
    assert str(contacts["ts"].iloc[0]) == f"{now.date()} 10:00:00"  # the customer's wall time, as in the lake
