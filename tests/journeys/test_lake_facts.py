"""The lake's channel facts for the worker: consent per channel, unsubscribes, and the touches on record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from callwise.journeys.gate import TableFacts, lake_facts
from callwise.journeys.store import enter
from callwise.lake import Lake
from callwise.policy.config import default_policy
from tests.journeys.conftest import Clock, add_customers, load, make_worker

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


def _lake_of(tmp_path, ids: list[str]) -> Lake:
    lake = Lake(tmp_path / "lake")
    n = len(ids)
    lake.write(
        "customers",
        pa.table({"customer_id": ids, "age": [40] * n, "status": ["active"] * n, "consent_marketing": [True] * n}),
    )
    lake.write(
        "consents",
        pa.table(
            {
                "customer_id": ids,
                "channel": ["sms"] * n,
                "purpose": ["marketing"] * n,
                "granted": [True] * n,
                "ts": [datetime(2026, 1, 1)] * n,
                "source": ["app"] * n,
            }
        ),
    )
    lake.write(
        "contacts",
        pa.table(
            {
                "contact_id": [f"k{i}" for i in range(n)],
                "customer_id": ids,
                "campaign_id": ["camp1"] * n,
                "channel": ["call"] * n,
                "ts": [datetime(2026, 11, 28, 10)] * n,
                "disposition": ["answered"] * n,
            }
        ),
    )
    return lake


def test_only_the_given_customers_facts_are_read(tmp_path):
    lake = _lake_of(tmp_path, ["A", "B", "C"])
    facts = lake_facts(lake, default_policy(), AT, ["A", "C"])
    assert facts.customers == {"A", "C"}
    assert {c for c, _ in facts.bars} == {"A", "C"}  # nothing of B was read
    assert set(facts.touches) == set(facts.calls) == {"A", "C"}
    assert facts.prior_calls("A", "camp1") == [datetime(2026, 11, 28, 10)]
    assert facts.missing(["A", "B"]) == ["B"]
    everyone = lake_facts(lake, default_policy(), AT)
    assert everyone.customers is None and everyone.missing(["B"]) == []
    assert {c for c, _ in everyone.bars} == {"A", "B", "C"}
    assert lake_facts(lake, default_policy(), AT, []).bars == {}


def test_the_worker_reads_the_facts_of_live_instances_and_of_those_entered_since(tmp_path, factory, outbox_dir):
    lake = _lake_of(tmp_path, ["c1", "c2", "c3"])
    policy = default_policy()
    asked: list[list[str]] = []

    def read(at: datetime, ids) -> TableFacts:
        asked.append(sorted(ids))
        return lake_facts(lake, policy, at, ids)

    load(factory)
    add_customers(factory, ["c1", "c2", "c3"])
    clock = Clock(AT)
    worker = make_worker(factory, outbox_dir, clock)
    worker.refresh_facts = read
    enter(factory, "care", ["c1"], AT)
    worker.run_once()
    assert asked == [["c1"]]  # c2 and c3 are in no journey: their facts are not read
    enter(factory, "care", ["c2"], AT)
    clock.now = AT + timedelta(minutes=1)
    worker.run_once()  # within the ten minutes: c1's facts are kept, c2's read now
    assert asked == [["c1"], ["c2"]]
    assert isinstance(worker.facts, TableFacts) and worker.facts.customers == {"c1", "c2"}
    assert worker.facts.bar("c2", "sms") is None  # c2's consent was read: its SMS is not refused
    clock.now = AT + timedelta(minutes=11)
    worker.run_once()  # the next full read: the live instances' customers
    assert asked[-1] == ["c1", "c2"]
