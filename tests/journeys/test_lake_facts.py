"""The lake's channel facts for the worker: consent per channel, unsubscribes, and the touches on record."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from callwise.journeys.gate import lake_facts
from callwise.lake import Lake
from callwise.policy.config import default_policy

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_consents_unsubscribes_and_touches_come_from_the_lake(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write(
        "customers",
        pa.table(
            {
                "customer_id": ["A", "B", "C"],
                "age": [40, 40, 16],
                "status": ["active", "active", "active"],
                "consent_marketing": [True, True, True],
            }
        ),
    )
    lake.write(
        "consents",
        pa.table(
            {
                "customer_id": ["A", "A", "B", "C"],
                "channel": ["sms", "email", "sms", "sms"],
                "purpose": ["marketing"] * 4,
                "granted": [True, True, True, True],
                "ts": [datetime(2026, 1, 1)] * 4,
                "source": ["app"] * 4,
            }
        ),
    )
    lake.write(
        "contacts",
        pa.table(
            {
                "contact_id": ["k1", "k2", "k3"],
                "customer_id": ["A", "B", "A"],
                "channel": ["call", "sms", "sms"],
                "ts": [datetime(2026, 11, 25, 10), datetime(2026, 11, 28, 10), datetime(2026, 11, 29, 10)],
                "disposition": ["answered", "unsubscribed", "failed"],
            }
        ),
    )
    facts = lake_facts(lake, default_policy(), AT)
    assert facts.bar("A", "sms") is None and facts.bar("A", "email") is None
    assert facts.bar("A", "wechat") == "no_channel_consent"
    assert facts.bar("B", "sms") == "channel_unsubscribed"
    assert facts.bar("C", "sms") == facts.bar("C", "call") == "under_18"
    assert facts.bar("A", "call") is None
    assert facts.bar("nobody", "sms") == "no_channel_consent"
    # A's call is a touch, the failed SMS is not; B's unsubscribe receipt counts as the touch it answered.
    assert facts.prior_touches("A", datetime(2026, 11, 1), datetime(2026, 12, 1)) == 1
    assert facts.prior_touches("B", datetime(2026, 11, 1), datetime(2026, 12, 1)) == 1
