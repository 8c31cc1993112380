"""`callwise audit verify`: intact or the first entry not as written, with the head hash to write down."""

import json
import re

from sqlalchemy import delete, text, update

from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, AuditHead


def fill(db, n: int) -> None:
    for i in range(n):
        with transaction(db) as s:
            audit.append(s, "alice", "pii.reveal", f"customer:C{i}", {"fields": ["phone"]}, "10.0.0.1")


def test_an_intact_log_reports_its_entries_and_head(migrated, db):
    fill(db, 4)
    data = migrated.json("audit", "verify")
    with db() as s:
        head = s.get(AuditHead, 1).last_hash
    assert data == {"ok": True, "checked": 4, "first_bad_id": None, "code": None, "reason": None, "head_hash": head}
    human = migrated.run("audit", "verify")
    assert human.exit_code == 0
    assert (
        human.stdout.splitlines()[0] == "audit log intact: 4 entries verified" and head in human.stdout.splitlines()[1]
    )


def test_an_empty_log_is_intact(migrated):
    data = migrated.json("audit", "verify")
    assert data["ok"] and data["checked"] == 0 and re.fullmatch("0{64}", data["head_hash"])


def test_an_edited_entry_exits_1_with_its_id_and_reason(migrated, db, monkeypatch):
    fill(db, 5)
    with transaction(db) as s:
        s.execute(update(AuditEntry).where(AuditEntry.entry_id == 3).values(target="customer:SOMEONE_ELSE"))
    result = migrated.run("audit", "verify", "--json")
    assert result.exit_code == 1
    assert (
        '"first_bad_id": 3' in result.stdout and '"code": "edited"' in result.stdout and '"checked": 2' in result.stdout
    )
    human = migrated.run("audit", "verify")
    assert human.exit_code == 1
    assert (
        "audit log broken at entry 3 (2 entries intact before it): entry 3 was changed after it was written"
        in human.stdout
    )
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = migrated.run("audit", "verify")
    assert (
        zh.exit_code == 1
        and "审计日志在第 3 条处损坏（此前 2 条完好）：第 3 条写入后被修改" in zh.stdout
        and "链头哈希" in zh.stdout
    )


def test_deleting_the_newest_entries_is_found(migrated, db):
    fill(db, 5)
    with transaction(db) as s:
        s.execute(delete(AuditEntry).where(AuditEntry.entry_id >= 4))
    result = migrated.run("audit", "verify")
    assert result.exit_code == 1 and "the newest entries were deleted or the head was edited" in result.stdout


def test_verify_refuses_an_unmigrated_database(operator):
    result = operator.run("audit", "verify")
    assert result.exit_code == 2 and "callwise db upgrade" in result.stderr


def test_an_entry_whose_detail_is_not_json_is_a_malformed_finding_in_one_sentence(migrated, db, monkeypatch):
    fill(db, 4)
    with transaction(db) as s:
        s.execute(text('UPDATE audit_log SET detail = \'{"fields": ["phone"\' WHERE entry_id = 3'))
    data = json.loads(migrated.run("audit", "verify", "--json").stdout)
    assert data["ok"] is False and data["code"] == "malformed" and data["first_bad_id"] == 3 and data["checked"] == 2
    human = migrated.run("audit", "verify")
    assert human.exit_code == 1 and "Traceback" not in human.output
    assert human.stdout.splitlines()[0] == (
        "audit log broken at entry 3 (2 entries intact before it): "
        "entry 3 cannot be read: its detail is not valid JSON at character 19"
    )
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = migrated.run("audit", "verify")
    assert zh.exit_code == 1 and "第 3 条无法读取：its detail is not valid JSON" in zh.stdout


def test_a_missing_head_row_is_one_sentence_and_exit_1(migrated, db, monkeypatch):
    fill(db, 2)
    with transaction(db) as s:
        s.execute(delete(AuditHead))
    result = migrated.run("audit", "verify")
    assert result.exit_code == 1 and "Traceback" not in result.output and "sqlalchemy" not in result.output.lower()
    assert result.stdout.splitlines()[0].startswith("the audit log has no head row (row 1 of audit_head)")
    assert json.loads(migrated.run("audit", "verify", "--json").stdout)["code"] == "no_head"
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    assert migrated.run("audit", "verify").stdout.startswith("审计日志缺少链头记录")
