"""Customers in the operational DB: encrypted at rest, found by phone, DNC and consent in force at once."""

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from callwise.lake import Lake
from callwise.ops.customers import (
    Pii,
    customer_view,
    erase_customer,
    export_customer,
    set_consent,
    set_dnc,
    sync_customers,
)
from callwise.ops.db import session_factory, transaction
from callwise.ops.lookups import LookupLimit, lookup_customers
from callwise.ops.models import AuditEntry, Customer
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.ops.overlay import export_policy_state
from callwise.ops.users import Principal
from callwise.policy import default_policy, evaluate_customers


@pytest.fixture
def pii(session_pii) -> Pii:
    return session_pii  # the keys the small bank's lake was sealed with


@pytest.fixture
def lake(small_bank, tmp_path) -> Lake:
    """A private copy of the small bank's lake: these tests write the overlay tables into it."""
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    return Lake(tmp_path / "lake", threads=2)


@pytest.fixture
def synced(db_engine, lake, pii):
    factory = session_factory(db_engine)
    report = sync_customers(factory, lake, batch_rows=1_500)
    return factory, report


def test_sync_copies_the_lakes_tokens_and_a_second_sync_updates_in_place(synced, lake, pii, small_bank):
    factory, report = synced
    customers = lake.table("customers").to_pandas()
    assert report.read == len(customers) == report.inserted and report.updated == 0
    again = sync_customers(factory, lake)
    assert again.inserted == 0 and again.updated == len(customers)
    first = customers.iloc[0]
    phone = small_bank["people"].loc[first["customer_id"], "phone"]
    with factory() as s:
        row = s.get(Customer, first["customer_id"])
        assert phone.encode() not in row.phone_enc
        assert row.phone_enc == first["phone_token"] and row.phone_lookup == first["phone_lookup"]
        assert pii.open(row.customer_id, "phone", row.phone_enc) == phone
        assert (
            pii.open(row.customer_id, "id_number", row.id_number_enc)
            == small_bank["people"].loc[first["customer_id"], "id_number"]
        )


def test_the_database_file_holds_no_plaintext_phone_or_name(lake, small_bank, tmp_path):
    from callwise.ops.db import make_engine
    from callwise.ops.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'scan.db'}")
    upgrade(engine)
    sync_customers(session_factory(engine), lake)
    engine.dispose()
    customers = small_bank["people"]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("scan.db*"))
    assert len(raw) > 100_000
    assert not [p for p in customers["phone"].head(500) if p.encode() in raw]
    assert not [n for n in customers["name"].dropna().head(500) if len(n) >= 3 and n.encode() in raw]


AGENT = Principal("agent1", "session", frozenset({"customers:read"}))


def _find(s, pii, key: str, value: str):
    return lookup_customers(s, pii, key, value, AGENT, None, LookupLimit())


def test_find_by_phone_or_id_number_however_it_is_written(synced, pii, small_bank):
    factory, _ = synced
    row = small_bank["people"].reset_index().iloc[0]
    spaced = f"+86 {row.phone[:3]} {row.phone[3:7]} {row.phone[7:]}"
    full_width = row.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    with transaction(factory) as s:
        assert row.customer_id in _find(s, pii, "phone", spaced).customer_ids
        assert row.customer_id in _find(s, pii, "id_number", f" {full_width} ").customer_ids
        assert _find(s, pii, "phone", "12345").status == "invalid"


def test_view_is_masked_unless_revealed_and_a_reveal_is_audited(synced, pii, small_bank):
    factory, _ = synced
    row = small_bank["people"].reset_index().iloc[0]
    with transaction(factory) as s:
        masked = customer_view(s, pii, row.customer_id, False, "agent1", "10.0.0.2")
        assert masked["masked"] and row.phone not in str(masked) and masked["phone"].endswith(row.phone[-4:])
        assert s.scalar(select(AuditEntry.entry_id)) is None
        clear = customer_view(s, pii, row.customer_id, True, "sup1", "10.0.0.3")
        assert clear["phone"] == row.phone
    with factory() as s:
        entries = s.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)).all()
    assert [tuple(e) for e in entries] == [("sup1", "pii.reveal", f"customer:{row.customer_id}")]


def test_a_dnc_recorded_now_excludes_the_customer_from_the_next_list(synced, lake, db_engine):
    factory, _ = synced
    product = {"product_id": "P_DEP01", "category": "deposit", "risk_level": None}
    day = date(2026, 7, 1)
    before = evaluate_customers(lake, default_policy(), product, "K", day)
    eligible = before.frame.loc[before.primary.isna(), "customer_id"].tolist()
    first, second, third = eligible[:3]
    with transaction(factory) as s:
        set_dnc(s, first, "sup1", None)
        set_consent(s, second, False, datetime.now(UTC), "sup1", None)
        record_outcomes(s, [OutcomeIn("x1", third, "dnc_requested", datetime.now(UTC) - timedelta(hours=1))], "dialer")
    export_policy_state(db_engine, lake, default_policy())
    after = evaluate_customers(lake, default_policy(), product, "K", day)
    reasons = dict(zip(after.frame["customer_id"], after.primary, strict=True))
    assert reasons[first] == "dnc" and reasons[third] == "dnc"
    assert reasons[second] == "no_consent"
    assert after.primary.notna().sum() == before.primary.notna().sum() + 3


def test_a_consent_grant_older_than_the_change_on_record_is_refused(synced, lake):
    factory, _ = synced
    cid = lake.table("customers").select("customer_id").limit(1).to_pandas().iloc[0, 0]
    with transaction(factory) as s:
        set_consent(s, cid, True, datetime(2026, 7, 1, tzinfo=UTC), "sup1", None)
    with pytest.raises(ValueError, match="older than the change on record"), transaction(factory) as s:
        set_consent(s, cid, True, datetime(2026, 6, 1, tzinfo=UTC), "sup1", None)


def test_pipl_export_and_erase(synced, lake, pii, small_bank):
    factory, _ = synced
    row = small_bank["people"].reset_index().iloc[0]
    with transaction(factory) as s:
        record_outcomes(s, [OutcomeIn("e1", row.customer_id, "refused", datetime.now(UTC))], "dialer")
        exported = export_customer(s, pii, row.customer_id, "admin", None)
    assert exported["customer"]["phone"] == row.phone
    assert [o["disposition"] for o in exported["call_outcomes"]] == ["refused"]
    with transaction(factory) as s:
        erase_customer(s, row.customer_id, "admin", None)
    with factory() as s:
        c = s.get(Customer, row.customer_id)
        assert c.phone_enc is None and c.name_enc is None and c.erased_at is not None and c.dnc
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.entry_id)).all()
    assert actions == ["customer.export", "customer.erase"]
    with transaction(factory) as s:
        assert _find(s, pii, "phone", row.phone).customer_ids == []
    report = sync_customers(factory, lake)  # the next load does not bring the erased customer back
    with factory() as s:
        assert s.get(Customer, row.customer_id).phone_enc is None
    assert report.read == report.inserted + report.updated + report.skipped and report.skipped == 1


def test_lake_times_are_read_on_each_customers_clock():
    import pandas as pd

    from callwise.ops.customers import _columns

    frame = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "phone_token": [b"\x01token", None, None],
            "timezone": ["Asia/Shanghai", "Asia/Urumqi", None],
            "consent_updated_at": pd.to_datetime(["2026-03-01 09:00", "2026-03-01 09:00", None]),
            "dnc": pd.array([True, None, False], dtype="boolean"),
        }
    )
    c = _columns(frame)
    assert c["consent_at"][:2] == [datetime(2026, 3, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, 3, tzinfo=UTC)]
    assert c["consent_at"][2] is None and c["timezone"][2] == "Asia/Shanghai"
    assert c["phone_token"] == [b"\x01token", None, None] and c["dnc"] == [True, False, False]
    assert c["name_token"] == [None] * 3 and c["status"] == ["active"] * 3


def test_the_overlay_carries_only_what_the_policy_can_still_see(synced, lake, db_engine):
    factory, _ = synced
    ids = lake.table("customers").select("customer_id").limit(3).to_pandas()["customer_id"].tolist()
    now = datetime.now(UTC)
    with transaction(factory) as s:
        set_dnc(s, ids[0], "sup1", None)
        record_outcomes(
            s,
            [
                OutcomeIn("recent", ids[1], "no_answer", now - timedelta(days=3), campaign_id="OLD"),
                OutcomeIn("too-old", ids[1], "refused", now - timedelta(days=400), campaign_id="OLD"),
                OutcomeIn("this-campaign", ids[2], "no_answer", now - timedelta(days=400), campaign_id="K"),
            ],
            "dialer",
        )
    counts = export_policy_state(db_engine, lake, default_policy(), campaign_id="K")
    assert counts == {
        "customers": 2,
        "outcomes": 2,
        "messages": 0,
    }  # the DNC'd and the refusing customer; 2 outcomes in view
    state = lake.table("ops_customer_state").to_pandas().set_index("customer_id")
    assert set(state.index) == {ids[0], ids[1]} and state.loc[ids[0], "dnc"]
    contacts = lake.table("ops_contacts").to_pandas()
    assert set(contacts["campaign_id"]) == {"OLD", "K"} and len(contacts) == 2
