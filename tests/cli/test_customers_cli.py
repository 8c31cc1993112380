"""`callwise customers sync / export / erase`: the lake's customers in, and PIPL requests answered and audited."""

import json
import stat
from datetime import datetime

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from callwise.lake import Lake
from callwise.ops.models import AuditEntry, Customer
from callwise.security.pii import seal_customers

CUSTOMERS = pa.table(
    {
        "customer_id": ["C1", "C2", "C3"],
        "phone": ["13800138001", "13900139002", None],
        "name": ["张三丰", None, "李四"],
        "id_number": ["110101199003071234", None, None],
        "timezone": ["Asia/Shanghai", "Asia/Urumqi", None],
        "status": ["active", "active", "frozen"],
        "dnc": [False, True, False],
        "consent_marketing": [True, False, True],
        "consent_updated_at": [datetime(2026, 3, 1, 9), None, datetime(2026, 2, 1, 9)],
    }
)


@pytest.fixture
def lake(migrated):
    """The operator's lake (under CALLWISE_DATA_DIR) with three customers."""
    store = Lake(migrated.data_dir / "lake")
    store.write("customers", seal_customers(CUSTOMERS, migrated.pii()))  # as ingest writes it
    return store


def audit_actions(db) -> list[tuple[str, str, str]]:
    with db() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.target).order_by(AuditEntry.entry_id)
            )
        ]


def test_sync_encrypts_the_lake_customers_and_a_second_sync_updates(migrated, db, lake):
    assert migrated.json("customers", "sync") == {"read": 3, "inserted": 3, "updated": 0, "skipped": 0}
    again = migrated.json("customers", "sync", "--lake", str(lake.root))
    assert again == {"read": 3, "inserted": 0, "updated": 3, "skipped": 0}
    pii = migrated.pii()
    with db() as s:
        c1, c2 = s.get(Customer, "C1"), s.get(Customer, "C2")
        assert b"13800138001" not in c1.phone_enc and pii.open("C1", "phone", c1.phone_enc) == "13800138001"
        assert c2.name_enc is None and c2.dnc is True and c2.timezone == "Asia/Urumqi"
    human = migrated.run("customers", "sync")
    expected = "read 3 customers from the lake: 0 new, 3 updated, 0 erased and skipped"
    assert human.exit_code == 0 and human.stdout.strip() == expected


def test_sync_refuses_without_a_lake_and_copies_sealed_values_without_keys(migrated, lake, monkeypatch, tmp_path):
    missing = migrated.run("customers", "sync", "--lake", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "has no table 'customers'; ingest it first" in missing.stderr
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY")
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    result = migrated.run("customers", "sync")  # the lake's tokens are copied as they are: no key is used
    assert result.exit_code == 0, result.output


def test_a_lake_with_personal_data_in_clear_is_refused_in_one_sentence_in_either_language(
    migrated, monkeypatch, tmp_path
):
    Lake(tmp_path / "old").write("customers", CUSTOMERS)  # written before ingest sealed the contact details
    for lang, sentence in (("en", "holds personal data in clear"), ("zh", "以明文保存个人信息")):
        monkeypatch.setenv("CALLWISE_LANG", lang)
        result = migrated.run("customers", "sync", "--lake", str(tmp_path / "old"))
        assert result.exit_code == 2 and sentence in result.stderr and "phone" in result.stderr
        assert "13800138001" not in result.output and "Traceback" not in result.output


def test_export_writes_a_private_new_file_and_is_audited(migrated, db, lake, tmp_path):
    migrated.run("customers", "sync")
    out = tmp_path / "exports" / "C1.json"
    out.parent.mkdir()
    result = migrated.run("customers", "export", "C1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "customer C1's personal data exported to" in result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["customer"]["phone"] == "13800138001" and data["customer"]["name"] == "张三丰"
    assert data["customer"]["consent_updated_at"].startswith("2026-03-01T01:00:00")  # Beijing 09:00 in UTC
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert audit_actions(db)[-1] == ("cli", "customer.export", "customer:C1")
    again = migrated.run("customers", "export", "C1", "--out", str(out))
    assert again.exit_code == 2 and "exists already" in again.stderr
    assert [a for a in audit_actions(db) if a[1] == "customer.export"] == [("cli", "customer.export", "customer:C1")]


def test_export_to_stdout(migrated, lake):
    migrated.run("customers", "sync")
    result = migrated.run("customers", "export", "C3")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["customer"] == data["customer"] | {
        "customer_id": "C3",
        "phone": None,
        "name": "李四",
        "status": "frozen",
    }
    assert data["call_outcomes"] == [] and data["calls_planned"] == []


def test_unknown_customers_are_one_sentence(migrated, db, lake):
    for args in (["export", "C404"], ["erase", "C404", "--yes"]):
        result = migrated.run("customers", *args)
        assert result.exit_code == 2
        assert result.stderr == "error: there is no customer C404 in the operational database\n"
    assert audit_actions(db) == []


def test_erase_needs_yes_then_removes_the_contact_details(migrated, db, lake, monkeypatch):
    migrated.run("customers", "sync")
    refused = migrated.run("customers", "erase", "C1")
    assert refused.exit_code == 2 and "add --yes" in refused.stderr
    with db() as s:
        assert s.get(Customer, "C1").phone_enc is not None
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    done = migrated.run("customers", "erase", "C1", "--yes")
    assert done.exit_code == 0 and "客户 C1 的个人信息已删除" in done.stdout
    with db() as s:
        c = s.get(Customer, "C1")
        assert c.phone_enc is None and c.name_enc is None and c.phone_lookup is None and c.dnc and c.erased_at
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "customer.erase")) == 1
    assert migrated.json("customers", "sync")["inserted"] == 0
    with db() as s:
        assert s.get(Customer, "C1").phone_enc is None  # the next sync does not bring it back
    exported = json.loads(migrated.run("customers", "export", "C1").stdout)
    assert exported["customer"]["phone"] is None and exported["customer"]["dnc"] is True
