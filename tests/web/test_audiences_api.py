"""POST /api/v1/audiences/preview on a three-customer bank: exact sizes, permissions, sensitive tags hidden."""

from __future__ import annotations

import pytest

from callwise.tags import load_catalogue
from tests.tags.conftest import write_bank
from tests.tags.helpers import entry, write

TAGS = (
    entry("old", "age >= 50", "flag", zh="年长"),
    entry("shanghai", "city == '上海'", "flag", zh="上海客户"),
    entry("secret", "income_monthly > 10000", "flag", sensitivity="sensitive"),
)
URL = "/api/v1/audiences/preview"


@pytest.fixture
def served(api, tmp_path):
    api.services.lake = write_bank(tmp_path / "lake")
    api.services.tags = load_catalogue(write(tmp_path / "tags.yaml", *TAGS))
    return api


def _preview(api, role: str, expression: str, **more):
    return api.client.post(URL, json={"expression": expression, "cutoff": "2026-06-01", **more}, headers=api.as_(role))


def test_the_preview_counts_exactly_and_profiles_the_audience(served):
    response = _preview(served, "analyst", "not 年长")  # A (36) and C (age unknown), not B (66)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["size"], body["bank"], body["share"], body["cutoff"]) == (2, 3, 0.666667, "2026-06-01")
    age = next(p for p in body["profile"] if p["feature"] == "age")
    assert age["audience_mean"] == 36.0 and age["bank_mean"] == 51.0
    lifts = {t["id"]: t["lift"] for t in body["tags"]}
    assert lifts == {"shanghai": 1.5, "secret": 1.5} and body["eligible"] is None


def test_a_role_without_tags_sensitive_never_sees_a_sensitive_tag(served):
    body = _preview(served, "supervisor", "not old").json()
    assert [t["id"] for t in body["tags"]] == ["shanghai"]
    assert "secret" not in str(body)
    refused = _preview(served, "supervisor", "secret and not old")
    assert refused.status_code == 403 and "tags:sensitive" in refused.json()["error"]["message"]
    assert "secret" not in refused.text


def test_a_bad_expression_is_a_422_naming_the_column_and_the_reason(served):
    response = _preview(served, "analyst", "old and olld")
    assert response.status_code == 422
    problem = response.json()["error"]["details"][0]
    assert (
        problem["where"] == "body.expression"
        and "column 9 of the audience expression: unknown name 'olld'" in (problem["problem"])
    )
    assert _preview(served, "analyst", "age + 1").status_code == 422


@pytest.mark.parametrize("role", ["agent", "auditor", "admin"])
def test_roles_without_tags_read_are_refused(served, role):
    assert _preview(served, role, "old").status_code == 403


def test_an_unknown_campaign_is_404(served):
    assert _preview(served, "analyst", "old", campaign_id="nope").status_code == 404


def test_a_campaigns_audience_is_checked_when_it_is_created(served):
    def create(role: str, campaign_id: str, audience: str):
        body = {"campaign_id": campaign_id, "product_id": "P1", "date": "2026-07-01", "audience": audience}
        return served.client.post("/api/v1/campaigns", json=body, headers=served.as_(role))

    assert create("supervisor", "c-secret", "secret and old").status_code == 403
    bad = create("analyst", "c-bad", "old and")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["where"] == "body.audience"
    made = create("supervisor", "c-ok", "年长 and not shanghai")
    assert made.status_code == 201 and made.json()["spec"]["audience"] == "年长 and not shanghai"
