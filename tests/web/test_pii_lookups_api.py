"""Look-ups by phone or ID number: exact only, every one audited, and a mask cannot be brute-forced."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from callwise.ops.lookups import LookupLimit
from callwise.ops.models import AuditEntry
from tests.web.conftest import PHONES

LOOKUP = "/api/v1/customer-lookups"


def _lookups(api) -> list[AuditEntry]:
    with api.services.factory() as s:
        query = select(AuditEntry).where(AuditEntry.action.like("customers.lookup%")).order_by(AuditEntry.entry_id)
        return list(s.scalars(query))


def test_an_analyst_cannot_find_the_number_behind_a_mask_by_trying_its_completions(api):
    """The 10,000 completions of 138****8001, in order: 5 answers, then 429 for every further try while the
    window lasts, so the true one (…0013…) is never answered. The loop stops after 100 tries to stay fast;
    answering all 10,000 would take 2,000 windows (two weeks at 5 per 10 minutes; 55 hours at the default 30)."""
    api.services.lookups = LookupLimit(per_window=5, per_window_pii=5, window=timedelta(minutes=10))
    analyst = api.as_("analyst")
    masked = api.client.get("/api/v1/customers/C1", headers=analyst).json()["phone"]
    head, tail = masked[:3], masked[-4:]
    assert masked == f"{head}****{tail}" and PHONES["C1"] == f"{head}0013{tail}"
    statuses, found = [], []
    for n in range(100):
        answer = api.client.post(LOOKUP, json={"phone": f"{head}{n:04d}{tail}"}, headers=analyst)
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            found += answer.json()["customer_ids"]
        else:
            assert answer.status_code == 429 and 0 < int(answer.headers["retry-after"]) <= 600
            error = answer.json()["error"]
            assert error["code"] == "too_many_lookups" and "5" in error["message"] and error["message_zh"]
            assert PHONES["C1"] not in answer.text
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    assert found == []
    entries = _lookups(api)
    assert len(entries) == 100  # every try left an entry, answered or refused
    assert [e.action for e in entries].count("customers.lookup") == 5
    other = api.client.post(LOOKUP, json={"phone": PHONES["C2"]}, headers=api.as_("agent"))
    assert other.status_code == 200 and other.json() == {"customer_ids": ["C2"]}  # the limit is per user


def test_every_look_up_is_audited_by_digest_never_by_the_value(api):
    agent = api.as_("agent")
    tries = [
        ({"phone": "+86 138-0013-8001"}, 200),
        ({"phone": "13700137099"}, 200),  # a whole number that nobody has
        ({"phone": "138****8001"}, 422),
        ({"id_number": "110101********1234"}, 422),
    ]
    for body, status in tries:
        answer = api.client.post(LOOKUP, json=body, headers=agent)
        assert answer.status_code == status, body
        assert PHONES["C1"] not in answer.text and "8001" not in answer.text
    api.services.lookups = LookupLimit(per_window=2, window=timedelta(minutes=10))
    assert api.client.post(LOOKUP, json={"phone": PHONES["C1"]}, headers=agent).status_code == 429
    entries = _lookups(api)
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("agent1", "customers.lookup", "customer:C1"),
        ("agent1", "customers.lookup", "customers:0"),
        ("agent1", "customers.lookup_refused", None),
        ("agent1", "customers.lookup_refused", None),
        ("agent1", "customers.lookup_throttled", None),
    ]
    digest = api.services.pii.hasher.digest(PHONES["C1"]).hex()
    assert entries[0].detail == {"key": "phone", "digest": digest, "customer_ids": ["C1"]}
    assert entries[4].detail == {"key": "phone", "digest": digest}
    assert entries[2].detail == {"key": "phone", "reason": "not_whole"}
    assert all(PHONES["C1"] not in str(e.detail) for e in entries)


def test_only_a_whole_value_is_looked_up_and_never_from_the_url(api):
    agent = api.as_("agent")
    partial = ["138****8001", "1380013", "138%", "13800138001*", "_3800138001", "138 0013 800", "02012345678", " "]
    for phone in partial:
        refused = api.client.post(LOOKUP, json={"phone": phone}, headers=agent)
        assert refused.status_code == 422, phone
        assert refused.json()["error"]["details"][0]["where"] == "body.phone"
    for body in ({}, {"name": "张三丰"}, {"phone": PHONES["C1"], "id_number": "110101199001011234"}):
        assert api.client.post(LOOKUP, json=body, headers=agent).status_code == 422, body
    in_url = api.client.get("/api/v1/customers", params={"phone": PHONES["C1"]}, headers=agent)
    assert in_url.status_code in (404, 405) and "C1" not in in_url.text


def test_the_limit_holds_across_worker_processes(api, db_engine):
    """Two services on one database, as two uvicorn workers are: the answers they give add up to one limit."""
    from fastapi.testclient import TestClient

    from callwise.ops.db import make_engine, session_factory
    from callwise.web.app import create_app
    from callwise.web.deps import Services

    limit = LookupLimit(per_window=3, window=timedelta(minutes=10))
    api.services.lookups = limit
    engine = make_engine(db_engine.url.render_as_string(hide_password=False))
    other = Services(engine=engine, factory=session_factory(engine), pii=api.services.pii, lookups=limit)
    with TestClient(create_app(other)) as second:
        clients = [api.client, second] * 4
        statuses = [
            c.post(LOOKUP, json={"phone": PHONES["C2"]}, headers=api.as_("analyst")).status_code for c in clients
        ]
    engine.dispose()
    assert statuses == [200] * 3 + [429] * 5
