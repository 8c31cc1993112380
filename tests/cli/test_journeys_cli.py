"""`callwise journeys load | enter | run | status`, as an operator runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from callwise.lake import Lake
from callwise.ops.db import transaction
from callwise.ops.models import Customer

JOURNEY = """id: salary_call
name: {zh: 工资到账关怀, en: Salary arrival care}
entry:
  moment: [salary_arrived]
steps:
  - id: call
    action: {channel: task, template: salary_script}
    next: done
  - id: done
    exit: completed
templates:
  salary_script: {zh: 请致电客户介绍理财产品, en: Call the customer about wealth products}
"""


def _moments(data_dir, now: datetime) -> None:
    wall = now.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)  # the bank's (Shanghai) wall time
    rows = {
        "customer_id": ["C1", "C2", "C3"],
        "moment_id": ["salary_arrived", "salary_arrived", "birthday"],
        "started_at": [wall - timedelta(days=1)] * 3,
        "expires_at": [wall + timedelta(days=2), wall - timedelta(hours=1), wall + timedelta(days=2)],
        "built_at": [wall] * 3,
        "detail": [None] * 3,
    }
    Lake(data_dir / "lake").write("moments", pa.table(rows))


def test_load_enter_run_and_status(migrated, db, tmp_path):
    path = tmp_path / "salary.yaml"
    path.write_text(JOURNEY, encoding="utf-8")
    assert migrated.json("journeys", "load", str(path)) == {"journey_id": "salary_call", "version": 1, "new": True}
    assert migrated.json("journeys", "load", str(path))["new"] is False
    with transaction(db) as s:
        for customer_id in ("C1", "C2", "C3"):
            s.add(Customer(customer_id=customer_id, consent_marketing=True))
    at = datetime.now(UTC) - timedelta(minutes=1)  # a staff task: no quiet hours, so any time of day
    _moments(migrated.data_dir, at)
    entered = migrated.json("journeys", "enter", "salary_call", "--at", at.isoformat())
    assert (entered["entered"], entered["already"], entered["unknown"]) == (1, 0, 0)  # only C1's moment is live
    assert migrated.json("journeys", "enter", "salary_call", "--at", at.isoformat())["already"] == 1
    status = migrated.json("journeys", "status", "salary_call")["journeys"][0]
    assert status["active"] == {"call": 1} and status["exits"] == {}
    ran = migrated.json("journeys", "run", "--once")
    assert (ran["queued"], ran["sent"], ran["exited"]) == (1, 1, 1)
    status = migrated.json("journeys", "status")["journeys"][0]
    assert status["active"] == {} and status["exits"] == {"completed": 1} and status["actions"] == {"sent": 1}
    assert len(list((migrated.data_dir / "outbox").glob("task-*.jsonl"))) == 1
    human = migrated.run("journeys", "status")
    assert human.exit_code == 0 and "salary_call" in human.stdout


def test_an_ugly_file_and_an_unknown_journey_are_one_sentence(migrated, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(JOURNEY.replace("next: done", "next: nowhere"), encoding="utf-8")
    refused = migrated.run("journeys", "load", str(path))
    assert refused.exit_code == 2 and "bad.yaml:8" in refused.output and "Traceback" not in refused.output
    unknown = migrated.run("journeys", "enter", "ghost")
    assert unknown.exit_code == 2 and "ghost" in unknown.output
    bad_time = migrated.run("journeys", "enter", "ghost", "--at", "tomorrow")
    assert bad_time.exit_code == 2 and "tomorrow" in bad_time.output
