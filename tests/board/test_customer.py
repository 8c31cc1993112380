"""The customer page's data: the API's look-up and reveal (audited, with the reason), the contact history from
the lake and the ops DB, scores from issued lists, and eligibility today that matches a whole-lake policy run."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from callwise.board import customer as cu
from callwise.lake import Lake
from callwise.ops.customers import set_consent, set_dnc, sync_customers
from callwise.ops.db import session_factory, transaction
from callwise.ops.lookups import LookupLimit
from callwise.ops.models import AuditEntry, CallOutcome, Campaign, IssuedList, ListItem, ListMember
from callwise.ops.overlay import export_policy_state
from callwise.ops.users import Principal
from callwise.policy import default_policy, evaluate_customers

ON = date(2026, 12, 2)
PRINCIPAL = Principal(name="sup1", permissions=frozenset({"customers:read", "pii:read"}), user_id=1, kind="session")


@pytest.fixture
def lake(small_bank, tmp_path) -> Lake:
    """A private copy of the small bank's lake (the reference run below writes the overlay into it)."""
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    return Lake(tmp_path / "lake", threads=2)


@pytest.fixture
def factory(db_engine, lake):
    factory = session_factory(db_engine)
    sync_customers(factory, lake)
    return factory


def _someone(lake: Lake) -> str:
    return str(lake.table("customers").order_by("customer_id").customer_id.execute().iloc[7])


def test_find_by_id_phone_and_id_number_as_the_api_does(factory, lake, small_bank, session_pii):
    cid = _someone(lake)
    person = small_bank["people"].loc[cid]
    limit = LookupLimit(per_window=2, per_window_pii=2)
    with transaction(factory) as s:
        assert cu.find(s, session_pii, "customer_id", cid, PRINCIPAL, "1.2.3.4", limit).customer_ids == [cid]
        assert cu.find(s, session_pii, "customer_id", "NOPE", PRINCIPAL, None, limit).status == "missing"
        spaced = f"+86 {person['phone'][:3]} {person['phone'][3:7]} {person['phone'][7:]}"
        assert cu.find(s, session_pii, "phone", spaced, PRINCIPAL, None, limit).customer_ids == [cid]
        assert cu.find(s, session_pii, "phone", "138****8001", PRINCIPAL, None, limit).status == "invalid"
        assert cu.find(s, session_pii, "id_number", person["id_number"], PRINCIPAL, None, limit).status == "ok"
        third = cu.find(s, session_pii, "phone", person["phone"], PRINCIPAL, None, limit)
    assert third.status == "throttled" and third.retry_after_s > 0
    with factory() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.entry_id)))
        details = str(list(s.scalars(select(AuditEntry.detail))))
    assert actions.count("customers.lookup") == 2 and "customers.lookup_throttled" in actions
    assert person["phone"] not in details and person["id_number"] not in details


def test_profile_is_masked_and_a_reveal_is_audited_with_its_reason(factory, lake, small_bank, session_pii):
    cid = _someone(lake)
    phone = small_bank["people"].loc[cid, "phone"]
    with transaction(factory) as s:
        masked = cu.profile(s, session_pii, cid, "sup1", None)
        clear = cu.reveal(
            s, session_pii, cid, "sup1", "1.2.3.4", cu.reveal_reason("  customer asked   to be called back ")
        )
    assert masked["masked"] and phone not in str(masked) and masked["phone"].endswith(phone[-4:])
    assert clear["phone"] == phone and not clear["masked"]
    with factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "pii.reveal")).one()
    assert entry.detail["reason"] == "customer asked to be called back" and entry.target == f"customer:{cid}"
    assert cu.reveal_reason("ok") is None and cu.reveal_reason("x" * 201) is None and cu.reveal_reason(None) is None
    assert cu.reveal_reason(f"caller gave {phone}") == "caller gave ***********"
    with pytest.raises(cu.CustomerNotFound), factory() as s:
        cu.profile(s, session_pii, "NOPE", "sup1", None)


def test_contact_history_merges_the_lake_and_the_outcomes_since(factory, lake):
    contacts = lake.table("contacts")
    cid = str(
        contacts.group_by("customer_id").aggregate(n=contacts.count()).order_by("customer_id").execute().iloc[0, 0]
    )
    in_lake = int(contacts.filter(contacts.customer_id == cid).count().execute())
    with transaction(factory) as s:
        s.add(
            CallOutcome(idempotency_key="k1", customer_id=cid, ts=datetime(2030, 1, 1, tzinfo=UTC), disposition="busy")
        )
    with factory() as s:
        rows = cu.contact_history(s, lake, cid)
    assert len(rows) == in_lake + 1
    assert rows[0]["source"] == "ops" and rows[0]["disposition"] == "busy"
    assert {r["source"] for r in rows[1:]} == {"lake"}
    assert all(rows[i]["ts"] >= rows[i + 1]["ts"] for i in range(len(rows) - 1))


def test_scores_come_from_the_issued_lists_with_the_models_reason(factory, lake):
    cid = _someone(lake)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="K", name="K", product_id="P1", spec={}, created_by="t"))
        s.flush()
        issued = IssuedList(campaign_id="K", issued_by="t", policy_sha256="a" * 64, summary={})
        s.add(issued)
        s.flush()
        s.add(
            ListMember(
                list_id=issued.list_id,
                campaign_id="K",
                customer_id=cid,
                group="treatment",
                arm="a",
                score=0.31,
                score_decile=2,
                product_id="P1",
                assigned_at=at,
            )
        )
        s.add(
            ListItem(
                list_id=issued.list_id,
                customer_id=cid,
                product_id="P1",
                slot_start=at,
                phone_masked="1",
                hints="holds a large deposit",
            )
        )
    with factory() as s:
        rows = cu.scores(s, cid)
    assert rows == [
        {
            "campaign_id": "K",
            "list_id": issued.list_id,
            "product_id": "P1",
            "group": "treatment",
            "arm": "a",
            "score": 0.31,
            "score_decile": 2,
            "assigned_at": rows[0]["assigned_at"],
            "reason": "holds a large deposit",
        }
    ]


def test_eligibility_of_one_customer_is_the_whole_lake_policy_run(factory, db_engine, lake):
    policy = default_policy()
    customers = lake.table("customers").order_by("customer_id").execute()
    consenting = customers[customers["consent_marketing"].fillna(False).astype(bool)]
    cid, other = str(consenting.iloc[0]["customer_id"]), str(consenting.iloc[1]["customer_id"])
    with transaction(factory) as s:
        before = {r["product_id"]: r for r in cu.eligibility(s, lake, policy, cid, ON)}
        set_dnc(s, cid, "sup1", None)
        set_consent(s, other, False, datetime(2026, 12, 1, tzinfo=UTC), "sup1", None)
    assert before and all("dnc" not in r["reasons"] for r in before.values())
    with factory() as s:
        mine = {
            x: {r["product_id"]: r["reasons"] for r in cu.eligibility(s, lake, policy, x, ON)} for x in (cid, other)
        }
    assert all("dnc" in reasons for reasons in mine[cid].values())
    assert all("no_consent" in reasons for reasons in mine[other].values())
    # The reference: the list build's own way, the overlay written into the lake and every customer evaluated.
    export_policy_state(db_engine, lake, policy)
    products = lake.table("products").execute().to_dict("records")
    for product in products:
        verdicts = evaluate_customers(lake, policy, product, None, ON, ON)
        by_id = dict(zip(verdicts.frame["customer_id"], verdicts.reasons, strict=True))
        for x in (cid, other):
            expected = by_id[x].split("|") if isinstance(by_id[x], str) else []
            assert mine[x][product["product_id"]] == expected, (x, product["product_id"])
