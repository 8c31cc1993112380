"""POST /campaigns/{id}/lists/{list_id}/dialer-exports: the file with real numbers for pii:read, 403 otherwise."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from callwise.ops.models import AuditEntry
from tests.dialer_lists import CAMPAIGN, PHONES, seed_list


def _url(list_id: int, campaign: str = CAMPAIGN) -> str:
    return f"/api/v1/campaigns/{campaign}/lists/{list_id}/dialer-exports"


def _entries(api) -> list[AuditEntry]:
    with api.services.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "list.export_dialer")))


def test_a_supervisor_gets_each_format_with_real_numbers_and_each_export_is_audited(api):
    list_id = seed_list(api.services.factory, api.services.pii)
    wanted = [PHONES["D1"], PHONES["D2"], PHONES["D1"]]
    got = api.client.post(_url(list_id), json={"format": "csv"}, headers=api.as_("supervisor"))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv") and got.headers["cache-control"] == "no-store"
    assert got.headers["x-callwise-rows"] == "3" and "attachment" in got.headers["content-disposition"]
    assert [r["phone"] for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))] == wanted

    vici = api.client.post(_url(list_id), json={"format": "vicidial"}, headers=api.as_("supervisor"))
    assert [r[4] for r in csv.reader(io.StringIO(vici.text))] == wanted

    book = api.client.post(_url(list_id), json={"format": "xlsx"}, headers=api.as_("supervisor"))
    header, *rows = load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True)
    assert [r[header.index("phone")] for r in rows] == wanted

    entries = _entries(api)
    assert [(e.actor, e.detail["format"], e.detail["rows"]) for e in entries] == [
        ("supervisor1", "csv", 3),
        ("supervisor1", "vicidial", 3),
        ("supervisor1", "xlsx", 3),
    ]
    assert all(e.ip for e in entries)
    assert not any(p in repr(e.detail) for e in entries for p in PHONES.values())


def test_without_pii_read_it_is_403_and_nothing_is_audited(api):
    list_id = seed_list(api.services.factory, api.services.pii)
    for role in ("agent", "analyst", "admin", "auditor"):
        refused = api.client.post(_url(list_id), json={"format": "csv"}, headers=api.as_(role))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["error"]["code"] == "forbidden" and "pii:read" in refused.json()["error"]["message"]
        assert not any(p in refused.text for p in PHONES.values())
    assert _entries(api) == []


def test_a_list_of_another_campaign_is_404_and_an_unknown_format_422(api):
    list_id = seed_list(api.services.factory, api.services.pii)
    other = api.client.post(_url(list_id, "other"), json={"format": "csv"}, headers=api.as_("supervisor"))
    assert other.status_code == 404
    bad = api.client.post(_url(list_id), json={"format": "genesys"}, headers=api.as_("supervisor"))
    assert bad.status_code == 422
    assert _entries(api) == []
