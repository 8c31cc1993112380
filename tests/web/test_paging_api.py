"""Every list endpoint pages the same way (cursor + limit, a next_cursor), over more rows than one page, on SQLite
and PostgreSQL: walked to the end, each row comes exactly once and in the endpoint's order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from callwise.clock import utcnow
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList, ListItem, ModelVersion

T0 = datetime(2026, 7, 1, 9, tzinfo=UTC)


def _walk(api, url: str, role: str, limit: int | None = None) -> tuple[list[dict], int]:
    """Every item of ``url``, page after page by next_cursor; and how many pages that took."""
    items: list[dict] = []
    params: dict[str, object] = {} if limit is None else {"limit": limit}
    pages = 0
    while True:
        got = api.client.get(url, params=params, headers=api.as_(role))
        assert got.status_code == 200, got.text
        body = got.json()
        pages += 1
        assert set(body) >= {"items", "next_cursor"}
        items += body["items"]
        if body["next_cursor"] is None:
            return items, pages
        params = {**params, "cursor": body["next_cursor"]}


def _campaigns(api, n: int = 1_005) -> None:
    # More than the 1,000 the endpoint used to stop at; created in bursts of ten at one instant (ties).
    rows = [
        {
            "campaign_id": f"CMP{i:05d}",
            "name": "c",
            "product_id": "P_WM01",
            "spec": {},
            "created_by": "t",
            "created_at": T0 + timedelta(minutes=i // 10),
        }
        for i in range(n)
    ]
    with api.services.engine.begin() as connection:
        connection.execute(insert(Campaign), rows)


def _lists(api, n: int = 7) -> None:
    _campaigns(api, 1)
    with transaction(api.services.factory) as session:
        session.add_all(
            IssuedList(campaign_id="CMP00000", issued_by="t", policy_sha256="0" * 64, summary={}) for _ in range(n)
        )


def _items(api, n: int = 9) -> None:
    _lists(api, 1)
    with transaction(api.services.factory) as session:
        session.add_all(
            ListItem(list_id=1, customer_id=f"C{i}", product_id="P_WM01", slot_start=T0, phone_masked="138****0000")
            for i in range(n)
        )


def _models(api, n: int = 5) -> None:
    with transaction(api.services.factory) as session:
        session.add_all(ModelVersion(name="response", version=f"v{i}", path="x", card={}) for i in range(n))


def _outcomes(api, n: int = 5) -> None:
    ts = (utcnow() - timedelta(hours=2)).isoformat()
    batch = {
        "outcomes": [
            {"idempotency_key": f"k{i}", "customer_id": "C1", "disposition": "no_answer", "ts": ts} for i in range(n)
        ]
    }
    assert api.client.post("/api/v1/outcomes", json=batch, headers=api.as_("agent")).status_code == 200


def _nothing(api) -> None:
    """The fixture's users (one per role) and the audit entries their creation wrote are enough."""


# endpoint → (who may read it, how to fill it, page size, the key its order is by, newest first?)
CASES: dict[str, tuple[str, Callable[..., None], int | None, str, bool]] = {
    "/api/v1/campaigns": ("analyst", _campaigns, None, "campaign_id", True),
    "/api/v1/campaigns/CMP00000/lists": ("analyst", _lists, 3, "list_id", False),
    "/api/v1/lists/1/items": ("analyst", _items, 4, "item_id", False),
    "/api/v1/models": ("analyst", _models, 2, "model_id", True),
    "/api/v1/outcomes": ("agent", _outcomes, 2, "outcome_id", False),
    "/api/v1/users": ("admin", _nothing, 2, "username", False),
    "/api/v1/audit": ("auditor", _nothing, 2, "entry_id", False),
}


@pytest.mark.parametrize("url", list(CASES))
def test_a_list_endpoint_walked_by_its_cursor_gives_every_row_once_in_order(api, url):
    role, fill, limit, key, newest_first = CASES[url]
    fill(api)
    items, pages = _walk(api, url, role, limit)
    keys = [item[key] for item in items]
    assert len(set(keys)) == len(keys) and pages > 1, (pages, keys)
    if url == "/api/v1/campaigns":
        assert len(items) == 1_005 and pages == 3  # 500 a page by default
        ordered = sorted(items, key=lambda c: (c["created_at"], c["campaign_id"]), reverse=True)
        assert keys == [c["campaign_id"] for c in ordered]
    else:
        assert keys == sorted(keys, reverse=newest_first)


def test_every_list_endpoint_of_the_app_is_paged(api):
    """A new list endpoint must page like the others: no GET of the spec answers a bare array."""
    spec = api.client.get("/api/v1/openapi.json").json()
    paged = set()
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        schema = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema.get("type") != "array", f"GET {path} answers a bare list, not a page"
        if "$ref" in schema:
            properties = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]].get("properties", {})
            if "items" in properties and "next_cursor" in properties:
                paged.add(path.replace("{campaign_id}", "CMP00000").replace("{list_id}", "1"))
    assert paged == set(CASES)


def test_after_id_still_pages_the_id_keyed_endpoints_like_the_cursor(api):
    _outcomes(api, 5)
    by_cursor, _ = _walk(api, "/api/v1/outcomes", "agent", 2)
    by_id, after = [], 0
    while True:
        page = api.client.get(
            "/api/v1/outcomes", params={"after_id": after, "limit": 2}, headers=api.as_("agent")
        ).json()
        by_id += page["items"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [o["outcome_id"] for o in by_id] == [o["outcome_id"] for o in by_cursor]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WzFd", "WyJ4Il0", "WyIyMDI2LTAxLTAxIiwiYSJd"])
def test_a_cursor_no_page_gave_is_a_422_in_both_languages(api, cursor):
    # "WzFd" is [1] (one value for a two-column order), "WyJ4Il0" ["x"], the last a time without its zone.
    refused = api.client.get("/api/v1/campaigns", params={"cursor": cursor}, headers=api.as_("analyst"))
    assert refused.status_code == 422, refused.text
    (detail,) = refused.json()["error"]["details"]
    assert detail["where"] == "query.cursor" and "next_cursor" in detail["problem"] and detail["problem_zh"]


def test_rows_written_while_paging_neither_repeat_nor_shift_a_page(api):
    first = api.client.get("/api/v1/audit", params={"limit": 2}, headers=api.as_("auditor")).json()
    seen = [e["entry_id"] for e in first["items"]]
    made = {"username": "late1", "password": "Correct-Horse-42", "roles": ["agent"]}
    assert api.client.post("/api/v1/users", json=made, headers=api.as_("admin")).status_code == 201  # audited
    rest, cursor = [], first["next_cursor"]
    while cursor is not None:
        page = api.client.get("/api/v1/audit", params={"limit": 2, "cursor": cursor}, headers=api.as_("auditor"))
        rest += [e["entry_id"] for e in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert rest == sorted(rest) and min(rest) > max(seen)  # nothing repeated, the new entry at the end
    with api.services.factory() as session:
        assert max(rest) == session.scalar(select(func.max(AuditEntry.entry_id)))
