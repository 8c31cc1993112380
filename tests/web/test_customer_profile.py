"""GET /api/v1/customers/{id}/profile: the 360 sections, masked unless revealed with pii:read, a sensitive tag
absent for every role without tags:sensitive, each read audited, and clean 404s for unknown and hostile ids."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import select

from callwise.ops.models import AuditEntry
from callwise.tags import load_catalogue
from tests.customers.tiny import tiny_lake_at
from tests.web.conftest import PHONES

NAME = "张三丰"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_lake_at(tmp_path_factory.mktemp("tiny360api"))


@pytest.fixture
def served(api, tiny):
    api.services.lake = tiny
    api.services.tags = load_catalogue(tiny.root.parent / "tags.yaml")
    return api


def _reads(api) -> list[AuditEntry]:
    with api.services.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.profile")))


def _tag_ids(body) -> set[str]:
    return {t["id"] for c in body["tags"]["categories"] for t in c["tags"]}


def test_the_profile_has_every_section_masked_and_is_audited(served):
    got = served.client.get("/api/v1/customers/C1/profile", headers=served.as_("analyst"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert set(body) == {
        "customer_id", "as_of", "identity", "tags", "segment", "holdings", "transactions", "activity",
        "contacts", "consent", "scores", "lists",
    }  # fmt: skip
    assert body["identity"]["masked"] and PHONES["C1"] not in got.text and NAME not in got.text
    assert body["holdings"]["total_balance"] == 1_100_000.0
    assert _tag_ids(body) == {"high_net_worth", "app_active", "secret_income"}
    (entry,) = _reads(served)
    assert (entry.actor, entry.target) == ("analyst1", "customer:C1")
    assert entry.detail == {"source": "api", "revealed": False}


@pytest.mark.parametrize("role", ["supervisor", "agent", "admin"])
def test_a_sensitive_tag_never_reaches_a_role_without_the_permission(served, role):
    got = served.client.get("/api/v1/customers/C1/profile", headers=served.as_(role))
    assert got.status_code == 200
    assert "secret_income" not in got.text and "高收入敏感" not in got.text and "sensitive" not in got.text
    assert _tag_ids(got.json()) == {"high_net_worth", "app_active"}


def test_reveal_needs_pii_read_and_is_audited(served, caplog):
    caplog.set_level("DEBUG")
    refused = served.client.get("/api/v1/customers/C1/profile?reveal=true", headers=served.as_("analyst"))
    assert refused.status_code == 403 and PHONES["C1"] not in refused.text
    clear = served.client.get("/api/v1/customers/C1/profile?reveal=true", headers=served.as_("supervisor"))
    assert clear.status_code == 200 and clear.json()["identity"]["phone"] == PHONES["C1"]
    with served.services.factory() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.target == "customer:C1")))
    assert actions == ["pii.reveal", "customer.profile"]
    assert PHONES["C1"] not in caplog.text and NAME not in caplog.text


@pytest.mark.parametrize(
    "hostile", ["NOPE", "X" * 5000, "C1' OR '1'='1", "C1; DROP TABLE customers;--", "客户😀", "C1\x00", "%25"]
)
def test_unknown_and_hostile_ids_are_a_clean_404(served, hostile):
    got = served.client.get(f"/api/v1/customers/{quote(hostile, safe='')}/profile", headers=served.as_("agent"))
    assert got.status_code == 404, got.text
    body = got.json()
    assert body["error"]["code"] == "not_found" and "Traceback" not in got.text
    assert len(json.dumps(body)) < 600
    assert _reads(served) == []


def test_without_a_lake_the_profile_still_answers(api):
    got = api.client.get("/api/v1/customers/C2/profile", headers=api.as_("agent"))
    assert got.status_code == 200 and got.json()["tags"] == {"cutoff": None, "categories": []}
