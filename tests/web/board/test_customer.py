"""The customer page through TestClient: look-up (POST + CSRF, audited, rate-limited as the API's), the masked
profile, contacts, scores and eligibility, and reveal only for pii:read with a reason, audited with it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.lookups import LookupLimit
from callwise.ops.models import AuditEntry, Customer

PHONES = {"C1": "13800138001", "C2": "13900139002", "C3": "13700137003"}
NAME = "张三丰"


def _actions(board, action: str) -> list[AuditEntry]:
    with board.services.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.entry_id)))


@pytest.mark.parametrize("role", ["auditor"])
def test_without_customers_read_every_route_is_refused(board, role):
    client = board.client_for(role)
    token = board.csrf(client)
    assert client.get("/board/customers").status_code == 403
    assert client.get("/board/customers/C1").status_code == 403
    assert (
        client.post("/board/customers", data={"csrf_token": token, "key": "phone", "value": PHONES["C1"]}).status_code
        == 403
    )
    assert client.get("/board/customers/C1/export/contacts.csv").status_code == 403
    assert _actions(board, "customers.lookup") == []


def test_look_up_by_phone_is_a_csrf_post_that_redirects_to_the_id_and_is_audited(board):
    client = board.client_for("analyst")
    form = client.get("/board/customers")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text and 'method="post"' in form.text
    refused = client.post("/board/customers", data={"key": "phone", "value": PHONES["C1"]})
    assert refused.status_code == 403
    got = client.post(
        "/board/customers",
        data={"csrf_token": board.csrf(client), "key": "phone", "value": "+86 138-0013-8001"},
        follow_redirects=False,
    )
    assert got.status_code == 303 and got.headers["location"] == "/board/customers/C1"
    assert PHONES["C1"] not in got.headers["location"]
    (entry,) = _actions(board, "customers.lookup")
    assert (
        entry.actor == "analyst1" and entry.detail["customer_ids"] == ["C1"] and PHONES["C1"] not in str(entry.detail)
    )
    by_id = client.post(
        "/board/customers",
        data={"csrf_token": board.csrf(client), "key": "customer_id", "value": "C2"},
        follow_redirects=False,
    )
    assert by_id.status_code == 303 and by_id.headers["location"] == "/board/customers/C2"


def test_a_masked_or_unknown_value_is_refused_without_echoing_it(board):
    client = board.client_for("analyst")
    masked = client.post(
        "/board/customers", data={"csrf_token": board.csrf(client), "key": "phone", "value": "138****8001"}
    )
    assert masked.status_code == 422 and "138****8001" not in masked.text
    unknown = client.post(
        "/board/customers", data={"csrf_token": board.csrf(client), "key": "phone", "value": "13600136000"}
    )
    assert unknown.status_code == 404 and "13600136000" not in unknown.text
    long = client.post("/board/customers", data={"csrf_token": board.csrf(client), "key": "phone", "value": "1" * 500})
    assert long.status_code == 422 and "1" * 20 not in long.text


def test_look_ups_are_limited_exactly_as_the_apis(board):
    board.services.lookups = LookupLimit(per_window=2, per_window_pii=3)
    analyst, supervisor = board.client_for("analyst"), board.client_for("supervisor")

    def ask(client):
        return client.post(
            "/board/customers",
            data={"csrf_token": board.csrf(client), "key": "phone", "value": PHONES["C2"]},
            follow_redirects=False,
        )

    assert [ask(analyst).status_code for _ in range(3)] == [303, 303, 429]
    last = ask(analyst)
    assert last.status_code == 429 and int(last.headers["retry-after"]) > 0 and PHONES["C2"] not in last.text
    assert [ask(supervisor).status_code for _ in range(4)] == [303, 303, 303, 429]  # pii:read holders get more
    assert len(_actions(board, "customers.lookup_throttled")) == 3


def test_the_masked_page_never_holds_the_clear_phone_and_offers_no_reveal_without_pii_read(board):
    client = board.client_for("analyst")
    page = client.get("/board/customers/C1")
    assert page.status_code == 200
    assert PHONES["C1"] not in page.text and NAME not in page.text and "8001" in page.text
    assert "/board/customers/C1/reveal" not in page.text
    assert client.get("/board/customers/C1/reveal").status_code == 403
    posted = client.post("/board/customers/C1/reveal", data={"csrf_token": board.csrf(client), "reason": "I want to"})
    assert posted.status_code == 403 and PHONES["C1"] not in posted.text
    assert _actions(board, "pii.reveal") == []
    assert client.get("/board/customers/NOPE").status_code == 404


def test_reveal_needs_pii_read_a_reason_and_csrf_and_is_audited_with_the_reason(board):
    client = board.client_for("supervisor")
    page = client.get("/board/customers/C1")
    assert page.status_code == 200 and "/board/customers/C1/reveal" in page.text and PHONES["C1"] not in page.text
    form = client.get("/board/customers/C1/reveal")
    assert form.status_code == 200 and 'name="reason"' in form.text and PHONES["C1"] not in form.text
    assert client.post("/board/customers/C1/reveal", data={"reason": "customer called back"}).status_code == 403
    empty = client.post("/board/customers/C1/reveal", data={"csrf_token": board.csrf(client), "reason": "  "})
    assert empty.status_code == 422 and PHONES["C1"] not in empty.text
    too_long = client.post("/board/customers/C1/reveal", data={"csrf_token": board.csrf(client), "reason": "x" * 201})
    assert too_long.status_code == 422 and PHONES["C1"] not in too_long.text
    assert _actions(board, "pii.reveal") == []
    shown = client.post(
        "/board/customers/C1/reveal", data={"csrf_token": board.csrf(client), "reason": "customer called back"}
    )
    assert shown.status_code == 200 and PHONES["C1"] in shown.text and NAME in shown.text
    assert "no-store" in shown.headers["cache-control"]
    (entry,) = _actions(board, "pii.reveal")
    assert entry.actor == "supervisor1" and entry.target == "customer:C1"
    assert entry.detail["reason"] == "customer called back"
    again = client.get("/board/customers/C1")  # the next response is masked again
    assert PHONES["C1"] not in again.text


def test_a_lake_customer_shows_contacts_eligibility_and_exports_without_pii(board, small_bank):
    lake = board.services.lake
    contacts = lake.table("contacts")
    cid = str(contacts.order_by("customer_id").customer_id.execute().iloc[0])
    phone = small_bank["people"].loc[cid, "phone"]
    pii = board.services.pii
    with transaction(board.services.factory) as s:
        s.add(
            Customer(
                customer_id=cid,
                phone_enc=pii.seal(cid, "phone", phone),
                phone_lookup=pii.lookup(phone),
                consent_marketing=True,
            )
        )
    client = board.client_for("supervisor")
    page = client.get(f"/board/customers/{cid}")
    assert page.status_code == 200 and phone not in page.text
    assert f'hx-get="/board/customers/{cid}/eligibility"' in page.text  # loaded after the rest of the page
    fragment = client.get(f"/board/customers/{cid}/eligibility")
    assert fragment.status_code == 200 and "<html" not in fragment.text and phone not in fragment.text
    products = lake.table("products").product_id.execute().astype(str).tolist()
    assert all(p in fragment.text for p in products)  # one eligibility row per product
    assert "可呼" in fragment.text or "不可呼" in fragment.text
    assert client.get("/board/customers/NOPE/eligibility").status_code == 404
    assert client.get("/board/customers/NOPE/export/contacts.csv").status_code == 404
    for table in ("contacts", "scores", "eligibility"):
        got = client.get(f"/board/customers/{cid}/export/{table}.csv")
        assert got.status_code == 200 and phone not in got.content.decode("utf-8-sig")
    assert client.get(f"/board/customers/{cid}/export/contacts.xlsx").status_code == 200


def test_the_page_in_english(board):
    client = board.client_for("supervisor")
    page = client.get("/board/customers/C1", params={"lang": "en"})
    assert page.status_code == 200 and "Contact history" in page.text and "Reveal" in page.text
