"""POST /receipts: a sender's receipt stored once, refused unsigned when the service has a secret."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callwise.loop.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from callwise.ops.db import transaction
from callwise.ops.models import Followup, JourneyEvent

T = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def _message(api, key: str = "journey:care:1:push") -> str:
    now = datetime.now(UTC)
    with transaction(api.services.factory) as session:
        session.add(
            Followup(
                dedupe_key=key,
                customer_id="C1",
                channel="app_push",
                template="t",
                payload={},
                due_at=now,
                next_attempt_at=now,
                status="sent",
            )
        )
    return key


def test_a_receipt_is_stored_once_and_an_unknown_key_is_404(api):
    key = _message(api)
    body = {"dedupe_key": key, "kind": "opened", "ts": T}
    first = api.client.post("/api/v1/receipts", json=body, headers=api.as_("agent"))
    again = api.client.post("/api/v1/receipts", json=body, headers=api.as_("agent"))
    assert (first.status_code, first.json(), again.status_code, again.json()) == (
        201,
        {"status": "stored"},
        200,
        {"status": "duplicate"},
    )
    with api.services.factory() as session:
        events = session.execute(select(JourneyEvent.customer_id, JourneyEvent.kind, JourneyEvent.channel)).all()
    assert events == [("C1", "opened", "app_push")]
    missing = api.client.post("/api/v1/receipts", json={**body, "dedupe_key": "nope"}, headers=api.as_("agent"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = api.client.post("/api/v1/receipts", json={**body, "kind": "liked"}, headers=api.as_("agent"))
    assert bad.status_code == 422


def test_with_a_secret_only_a_signed_fresh_receipt_is_taken(api):
    api.services.receipt_secret = "s3cret"
    key = _message(api)
    raw = json.dumps({"dedupe_key": key, "kind": "unsubscribed", "ts": T}).encode()
    stamp = int(time.time())
    headers = {**api.as_("agent"), "Content-Type": "application/json"}
    unsigned = api.client.post("/api/v1/receipts", content=raw, headers=headers)
    forged = api.client.post(
        "/api/v1/receipts",
        content=raw,
        headers={**headers, SIGNATURE_HEADER: sign("other", raw, stamp), TIMESTAMP_HEADER: str(stamp)},
    )
    old = api.client.post(
        "/api/v1/receipts",
        content=raw,
        headers={**headers, SIGNATURE_HEADER: sign("s3cret", raw, stamp - 3600), TIMESTAMP_HEADER: str(stamp - 3600)},
    )
    assert [r.status_code for r in (unsigned, forged, old)] == [401, 401, 401]
    assert unsigned.json()["error"]["code"] == "bad_signature"
    signed = api.client.post(
        "/api/v1/receipts",
        content=raw,
        headers={**headers, SIGNATURE_HEADER: sign("s3cret", raw, stamp), TIMESTAMP_HEADER: str(stamp)},
    )
    assert signed.status_code == 201
