"""Key rotation: every encrypted value moves to the current key, once, resumably, and is read the same after."""

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from callwise.ops import audit
from callwise.ops.customers import Pii
from callwise.ops.db import session_factory, transaction
from callwise.ops.keys import RotationError, rotate_keys
from callwise.ops.models import AuditEntry, Campaign, Customer, IssuedList, ListItem
from callwise.security.crypto import LookupHasher, PiiCipher

K0, K1, K2 = os.urandom(32), os.urandom(32), os.urandom(32)
PEOPLE = {  # customer → (phone, name, id_number); None is a value never given
    "C1": ("13800138001", "张三丰", "110101199003071234"),
    "C2": ("13900139002", None, None),
    "C3": (None, "李四", None),
    "C4": ("13700137004", "Ａｌｉｃｅ 王", "44030119851201123X"),
    "C5": ("13600136005", "赵六", None),
}
FIELDS = ("phone", "name", "id_number")


def pii(cipher: PiiCipher) -> Pii:
    return Pii(cipher, LookupHasher(os.urandom(32)))


@pytest.fixture
def factory(db_engine):
    """Five customers, one of them erased (no values left), and a list of their calls, all under key k1."""
    factory = session_factory(db_engine)
    sealer = pii(PiiCipher({"k1": K1}))
    with transaction(factory) as s:
        for cid, values in PEOPLE.items():
            s.add(
                Customer(
                    customer_id=cid,
                    dnc=cid == "C5",
                    **{f"{f}_enc": sealer.seal(cid, f, v) for f, v in zip(FIELDS, values, strict=True)},
                )
            )
        s.add(Customer(customer_id="C9", erased_at=datetime(2026, 1, 1, tzinfo=UTC)))
        s.add(Campaign(campaign_id="w", name="wealth", product_id="P", spec={}, created_by="t"))
        s.flush()
        issued = IssuedList(campaign_id="w", issued_by="t", policy_sha256="0" * 64, items=0, summary={})
        s.add(issued)
        s.flush()
        for i, cid in enumerate(["C1", "C2", "C4", "C1", "C9"]):
            phone = s.get(Customer, cid).phone_enc
            slot = datetime(2026, 7, 1, 1 + i, tzinfo=UTC)
            s.add(
                ListItem(
                    list_id=issued.list_id,
                    customer_id=cid,
                    product_id="P",
                    slot_start=slot,
                    phone_enc=phone,
                    phone_masked="***",
                )
            )
    return factory


def tokens(factory) -> dict[str, tuple[str, bytes]]:
    """Every stored token by where it is (``customers.phone_enc:C1``, ``list_items:3``), with its context."""
    found = {}
    with factory() as s:
        for c in s.scalars(select(Customer).order_by(Customer.customer_id)):
            for f in FIELDS:
                if getattr(c, f"{f}_enc") is not None:
                    found[f"customers.{f}_enc:{c.customer_id}"] = (
                        f"customers.{f}:{c.customer_id}",
                        getattr(c, f"{f}_enc"),
                    )
        for item in s.scalars(select(ListItem).order_by(ListItem.item_id)):
            if item.phone_enc is not None:
                found[f"list_items:{item.item_id}"] = (f"customers.phone:{item.customer_id}", item.phone_enc)
    return found


def key_ids(factory, cipher: PiiCipher) -> dict[str, str]:
    return {where: cipher.key_id(token) for where, (_, token) in tokens(factory).items()}


def plaintexts(factory, cipher: PiiCipher) -> list[str]:
    return [cipher.decrypt(token, context) for context, token in tokens(factory).values()]


def test_rotation_moves_every_token_to_the_new_key_and_keeps_the_text(factory):
    before = plaintexts(factory, PiiCipher({"k1": K1}))
    assert len(before) == 10 + 4  # 10 customer values, 4 list items with a phone
    ring = PiiCipher([("k2", K2), ("k1", K1)])
    report = rotate_keys(factory, ring, batch=2)
    assert (report.rows_checked, report.rows_reencrypted) == (5 + 4, 5 + 4)  # C9 and its item hold nothing
    assert set(key_ids(factory, ring).values()) == {"k2"}
    assert plaintexts(factory, ring) == before
    assert plaintexts(factory, PiiCipher({"k2": K2})) == before  # the old key can now be retired
    with factory() as s:
        assert s.get(Customer, "C5").dnc is True and s.get(Customer, "C3").phone_enc is None
        assert s.get(Customer, "C9").phone_enc is None


def test_a_second_run_reencrypts_nothing_and_leaves_the_tokens_as_they_are(factory):
    ring = PiiCipher([("k2", K2), ("k1", K1)])
    rotate_keys(factory, ring, batch=3)
    first = tokens(factory)
    again = rotate_keys(factory, ring, batch=3)
    assert (again.rows_checked, again.rows_reencrypted) == (9, 0)
    assert tokens(factory) == first


def test_values_already_under_the_current_key_are_skipped(factory):
    ring = PiiCipher([("k2", K2), ("k1", K1)])
    with transaction(factory) as s:  # written by the service after k2 was put first
        s.get(Customer, "C2").phone_enc = ring.encrypt("13900139002", "customers.phone:C2")
    kept = tokens(factory)["customers.phone_enc:C2"]
    report = rotate_keys(factory, ring, batch=100)
    assert (report.rows_checked, report.rows_reencrypted) == (9, 8)
    assert tokens(factory)["customers.phone_enc:C2"] == kept


def test_each_run_is_audited_once_with_its_counts(factory):
    ring = PiiCipher([("k2", K2), ("k1", K1)])
    rotate_keys(factory, ring)
    rotate_keys(factory, ring, actor="ops-team")
    with factory() as s:
        runs = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "keys.rotate").order_by(AuditEntry.entry_id)
        ).all()
        assert audit.verify(s).ok
    assert [(r.actor, r.target) for r in runs] == [("cli", "key:k2"), ("ops-team", "key:k2")]
    assert runs[0].detail == {
        "key_id": "k2",
        "tables": ["customers", "list_items"],
        "rows_checked": 9,
        "rows_reencrypted": 9,
    }
    assert runs[1].detail["rows_reencrypted"] == 0


def test_a_value_under_a_missing_key_stops_the_run_and_a_fixed_ring_resumes_it(factory):
    with transaction(factory) as s:
        s.get(Customer, "C4").name_enc = PiiCipher({"k0": K0}).encrypt("王", "customers.name:C4")
    ring = PiiCipher([("k2", K2), ("k1", K1)])
    with pytest.raises(
        RotationError, match=r"customers\.name_enc of row 'C4' \(customer 'C4'\) cannot be re-encrypted: .*'k0'"
    ):
        rotate_keys(factory, ring, batch=1)
    done = key_ids(factory, ring)
    assert done["customers.name_enc:C3"] == "k2" and done["customers.phone_enc:C4"] == "k1"  # earlier batches stay
    with factory() as s:
        assert s.scalar(select(AuditEntry.entry_id).where(AuditEntry.action == "keys.rotate")) is None
    full = PiiCipher([("k2", K2), ("k1", K1), ("k0", K0)])
    report = rotate_keys(factory, full, batch=1)
    assert report.rows_reencrypted == 9 - 3  # C1, C2 and C3 were done by the first run
    assert set(key_ids(factory, full).values()) == {"k2"}


def test_a_token_moved_to_another_customer_is_refused_not_rotated(factory):
    with factory() as s:
        stolen = s.get(Customer, "C1").phone_enc
    with transaction(factory) as s:
        s.execute(update(Customer).where(Customer.customer_id == "C2").values(phone_enc=stolen))
    with pytest.raises(RotationError, match=r"customer 'C2'.*does not authenticate"):
        rotate_keys(factory, PiiCipher([("k2", K2), ("k1", K1)]))


def test_a_corrupt_token_is_named(factory):
    with transaction(factory) as s:
        s.get(Customer, "C3").name_enc = b"\x01\x02k1"
    with pytest.raises(RotationError, match=r"customers\.name_enc of row 'C3'.*too short"):
        rotate_keys(factory, PiiCipher([("k2", K2), ("k1", K1)]))


@pytest.mark.parametrize("batch", [0, -1, True, 2.5, "100", None])
def test_batch_must_be_a_positive_whole_number(factory, batch):
    with pytest.raises(ValueError, match="batch must be a positive whole number of rows"):
        rotate_keys(factory, PiiCipher({"k1": K1}), batch=batch)


def test_an_empty_database_rotates_nothing(db_engine):
    report = rotate_keys(session_factory(db_engine), PiiCipher({"k1": K1}))
    assert (report.rows_checked, report.rows_reencrypted) == (0, 0)
