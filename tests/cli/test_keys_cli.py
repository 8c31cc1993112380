"""`callwise keys new / rotate`: a key for the settings, and the database moved to the first key of the ring."""

import base64

from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Customer
from callwise.security.crypto import PiiCipher, new_key, parse_key_ring


def test_new_prints_a_fresh_key_the_settings_accept(operator):
    first, second = (operator.run("keys", "new") for _ in range(2))
    assert first.exit_code == second.exit_code == 0
    key = first.stdout.strip()
    assert first.stdout == key + "\n" and len(base64.b64decode(key, validate=True)) == 32
    assert key != second.stdout.strip()
    assert [k for k, _ in parse_key_ring(f"2026b:{key},2026a:{second.stdout.strip()}")] == ["2026b", "2026a"]


def seed_customers(operator, db, n: int = 7) -> dict[str, str]:
    pii = operator.pii()  # the operator's ring: k1 only
    phones = {f"C{i}": f"1380013800{i}" for i in range(n)}
    with transaction(db) as s:
        for cid, phone in phones.items():
            s.add(
                Customer(
                    customer_id=cid, phone_enc=pii.seal(cid, "phone", phone), name_enc=pii.seal(cid, "name", "王五")
                )
            )
    return phones


def test_rotate_moves_everything_to_the_new_first_key_once(migrated, db, monkeypatch):
    phones = seed_customers(migrated, db)
    ring = f"k2:{new_key()},{migrated.pii_keys}"
    monkeypatch.setenv("CALLWISE_PII_KEYS", ring)
    first = migrated.json("keys", "rotate", "--batch", "3")
    assert first == {"rows_checked": 7, "rows_reencrypted": 7, "key_id": "k2"}
    assert migrated.json("keys", "rotate") == {"rows_checked": 7, "rows_reencrypted": 0, "key_id": "k2"}
    only_new = PiiCipher.from_spec(ring.split(",")[0])
    with db() as s:
        for c in s.scalars(select(Customer)):
            assert only_new.decrypt(c.phone_enc, f"customers.phone:{c.customer_id}") == phones[c.customer_id]
        actions = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "keys.rotate")).all()
    assert actions == ["cli", "cli"]
    human = migrated.run("keys", "rotate")
    assert (
        human.exit_code == 0
        and "checked 7 rows of encrypted data; re-encrypted 0 under the current key k2" in human.stdout
    )
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    assert "已检查 7 行加密数据，其中 0 行已重新加密到当前密钥 k2" in migrated.run("keys", "rotate").stdout


def test_rotate_without_the_old_key_stops_with_the_row_and_the_missing_key(migrated, db, monkeypatch):
    seed_customers(migrated, db, n=2)
    monkeypatch.setenv("CALLWISE_PII_KEYS", f"k2:{new_key()}")
    result = migrated.run("keys", "rotate")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "customers.phone_enc of row 'C0' (customer 'C0') cannot be re-encrypted" in result.stderr
    assert "encrypted under key 'k1', which is not in CALLWISE_PII_KEYS" in result.stderr


def test_rotate_refuses_without_keys_or_before_migration(operator, monkeypatch):
    before = operator.run("keys", "rotate")
    assert before.exit_code == 2 and "callwise db upgrade" in before.stderr
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    assert operator.run("db", "upgrade").exit_code == 0
    result = operator.run("keys", "rotate")
    assert result.exit_code == 2 and "CALLWISE_PII_KEYS is not set" in result.stderr
    monkeypatch.setenv("CALLWISE_PII_KEYS", "k1:not base64!")
    result = operator.run("keys", "rotate")
    assert result.exit_code == 2 and "is not valid base64" in result.stderr and "not base64!" not in result.stderr
    assert operator.run("keys", "rotate", "--batch", "0").exit_code == 2
