"""`callwise outbox deliver`: what an outcome planned reaches the files once, and a webhook must be signed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from callwise.loop import load_followup_rules
from callwise.ops.db import transaction
from callwise.ops.followups import outcome_planner
from callwise.ops.models import Customer
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.policy import default_policy


def test_due_follow_ups_are_delivered_once_to_files(migrated, db):
    # 10:00 in Beijing two days ago, planned a minute later: due in legal hours, whatever time the test runs at.
    call = datetime.combine((datetime.now(UTC) - timedelta(days=2)).date(), time(2, 0), UTC)
    products = {"P": {"category": "deposit"}}
    rules, policy = load_followup_rules(), default_policy()
    planner = outcome_planner(rules, policy, products, "Asia/Shanghai", "示例银行", lambda: call + timedelta(minutes=1))
    with transaction(db) as s:
        s.add(Customer(customer_id="C1", consent_marketing=True))
        s.flush()
        record_outcomes(s, [OutcomeIn("k1", "C1", "converted", call, product_id="P")], "t", plan_followups=planner)
    first = migrated.json("outbox", "deliver")
    assert first == {"claimed": 1, "sent": 1, "retried": 0, "dead": 0}
    assert migrated.json("outbox", "deliver")["claimed"] == 0
    files = list((migrated.data_dir / "outbox").glob("sms-*.jsonl"))
    assert len(files) == 1 and len(files[0].read_text(encoding="utf-8").splitlines()) == 1
    human = migrated.run("outbox", "deliver")
    assert human.exit_code == 0 and "sent 0" in human.stdout


def test_a_webhook_without_its_secret_is_refused(migrated, monkeypatch):
    monkeypatch.setenv("CALLWISE_WEBHOOK_URL", "https://crm.example/hook")
    refused = migrated.run("outbox", "deliver")
    assert refused.exit_code == 2 and "CALLWISE_WEBHOOK_SECRET" in refused.output
