"""WebhookSender against a real local HTTP receiver: signature, headers, status mapping, retries, duplicates."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

import pytest
from pydantic import SecretStr

from callwise.loop.outbox import DeliveryStatus, OutboxMessage
from callwise.loop.retry import MAX_ATTEMPTS, next_attempt_at
from callwise.loop.senders import WebhookSender, sign, verify_signature


def message(key: str = "fu:abc", attempt: int = 1, **payload) -> OutboxMessage:
    return OutboxMessage(
        id=7,
        dedupe_key=key,
        channel="sms",
        customer_id="C000101",
        template="product_link",
        payload=payload or {"product_name": "稳健理财A", "product_link": "https://bank.example/w1"},
        attempt=attempt,
    )


def test_posts_signed_json_with_the_idempotency_key(receiver):
    with WebhookSender(receiver.url, receiver.secret, timeout=5) as sender:
        result = sender.send(message())
    assert result.ok and result.status is DeliveryStatus.OK and result.detail == "HTTP 200"
    [request] = receiver.requests
    assert request.signature_ok and request.path == "/hooks/callwise"
    assert request.headers["Idempotency-Key"] == "fu:abc"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["X-Callwise-Signature"].startswith("sha256=")
    assert abs(int(request.headers["X-Callwise-Timestamp"]) - time.time()) < 60
    body = json.loads(request.body.decode("utf-8"))
    assert body == {
        "id": 7,
        "dedupe_key": "fu:abc",
        "channel": "sms",
        "customer_id": "C000101",
        "template": "product_link",
        "payload": {"product_name": "稳健理财A", "product_link": "https://bank.example/w1"},
        "attempt": 1,
    }
    assert "稳健理财A".encode() in request.body  # UTF-8, not \\u escapes


def test_fails_twice_with_503_then_delivers_once(receiver):
    receiver.fail_first = 2
    msg = message("fu:retry")
    with WebhookSender(receiver.url, receiver.secret) as sender:
        results = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result = sender.send(message("fu:retry", attempt=attempt))
            results.append(result.status)
            if result.ok:
                break
    assert results == [DeliveryStatus.RETRYABLE, DeliveryStatus.RETRYABLE, DeliveryStatus.OK]
    assert [r.status for r in receiver.requests] == [503, 503, 200]
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {msg.dedupe_key}
    assert receiver.processed == {"fu:retry": 1} and receiver.duplicates == 0


def test_a_resent_message_is_recognisable_as_a_duplicate(receiver):
    with WebhookSender(receiver.url, receiver.secret) as sender:
        assert sender.send(message("fu:twice")).ok
        assert sender.send(message("fu:twice", attempt=2)).ok  # e.g. the outbox crashed before marking it sent
        assert sender.send(message("fu:other")).ok
    assert receiver.duplicates == 1 and receiver.processed == {"fu:twice": 2, "fu:other": 1}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, DeliveryStatus.OK),
        (204, DeliveryStatus.OK),
        (408, DeliveryStatus.RETRYABLE),
        (429, DeliveryStatus.RETRYABLE),
        (500, DeliveryStatus.RETRYABLE),
        (502, DeliveryStatus.RETRYABLE),
        (503, DeliveryStatus.RETRYABLE),
        (400, DeliveryStatus.PERMANENT),
        (404, DeliveryStatus.PERMANENT),
        (410, DeliveryStatus.PERMANENT),
        (422, DeliveryStatus.PERMANENT),
        (301, DeliveryStatus.PERMANENT),
    ],
)
def test_status_codes_map_to_ok_retryable_or_permanent(receiver, status, expected):
    receiver.status = status
    with WebhookSender(receiver.url, receiver.secret) as sender:
        result = sender.send(message())
    assert result.status is expected
    assert str(status) in result.detail
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_wrong_secret_is_refused_by_the_receiver_as_permanent(receiver):
    with WebhookSender(receiver.url, "not-the-secret") as sender:
        result = sender.send(message())
    assert result.status is DeliveryStatus.PERMANENT and "401" in result.detail
    assert not receiver.requests[0].signature_ok and receiver.processed == {}


def test_retry_after_is_read_and_honoured(receiver):
    receiver.fail_first, receiver.fail_status, receiver.retry_after = 1, 429, "120"
    with WebhookSender(receiver.url, receiver.secret) as sender:
        result = sender.send(message())
    assert result.status is DeliveryStatus.RETRYABLE and result.retry_after == timedelta(seconds=120)
    from datetime import UTC, datetime

    now = datetime(2026, 7, 1, tzinfo=UTC)
    assert next_attempt_at(result, 1, "fu:abc", now) == now + timedelta(seconds=120)


def test_a_slow_receiver_is_a_retryable_timeout(receiver):
    receiver.delay = 0.6
    with WebhookSender(receiver.url, receiver.secret, timeout=0.1) as sender:
        result = sender.send(message())
    assert result.status is DeliveryStatus.RETRYABLE and "timeout" in result.detail


def test_nobody_listening_is_retryable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with WebhookSender(f"http://127.0.0.1:{port}/x", "k", timeout=1) as sender:
        result = sender.send(message())
    assert result.status is DeliveryStatus.RETRYABLE and "cannot reach" in result.detail


def test_a_payload_that_is_not_json_is_permanent_and_nothing_is_posted(receiver):
    with WebhookSender(receiver.url, receiver.secret) as sender:
        assert sender.send(message(amount=float("nan"))).status is DeliveryStatus.PERMANENT
        assert sender.send(message(tags={"a", "b"})).status is DeliveryStatus.PERMANENT
    assert receiver.requests == []


def test_secret_may_be_a_settings_secret(receiver):
    with WebhookSender(receiver.url, SecretStr(receiver.secret)) as sender:
        assert sender.send(message()).ok
    assert receiver.requests[0].signature_ok


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/x", "http(s) address"),
        ("not a url", "http(s) address"),
        ("http://crm.bank.example/hook", "not https"),
    ],
)
def test_bad_urls_are_refused(url, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        WebhookSender(url, "k")


def test_plain_http_to_another_host_only_when_allowed():
    WebhookSender("http://crm.bank.example/hook", "k", allow_http=True).close()


@pytest.mark.parametrize("secret", ["", b"", None, 123])
def test_an_empty_or_odd_secret_is_refused(secret):
    with pytest.raises(ValueError, match="webhook secret must be non-empty"):
        WebhookSender("https://crm.bank.example/hook", secret)


@pytest.mark.parametrize("timeout", [0, -1, "5", True])
def test_a_bad_timeout_is_refused(timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        WebhookSender("https://crm.bank.example/hook", "k", timeout=timeout)


# verify_signature, as a receiver uses it


BODY = b'{"dedupe_key":"fu:1"}'


def test_verify_accepts_the_exact_signature_within_max_age():
    header = sign("k", BODY, 1_000_000)
    assert verify_signature("k", BODY, header, "1000000", max_age=300, now=1_000_100)
    assert verify_signature(b"k", BODY, header, 1_000_000, max_age=300, now=999_800)  # small clock skew


@pytest.mark.parametrize(
    ("secret", "body", "header", "stamp", "now"),
    [
        ("other", BODY, None, "1000000", 1_000_000),  # wrong secret (header filled below)
        ("k", BODY + b" ", None, "1000000", 1_000_000),  # body changed
        ("k", BODY, None, "1000001", 1_000_000),  # timestamp changed: it is signed with the body
        ("k", BODY, None, "1000000", 1_000_301),  # stale
        ("k", BODY, None, "1000000", 999_699),  # from the future
        ("k", BODY, "sha256=", "1000000", 1_000_000),
        ("k", BODY, "md5=abc", "1000000", 1_000_000),
        ("k", BODY, "", "1000000", 1_000_000),
        ("k", BODY, None, "", 1_000_000),
        ("k", BODY, None, "yesterday", 1_000_000),
        ("k", BODY, None, None, 1_000_000),
        ("k", BODY, "sha256=é", "1000000", 1_000_000),
    ],
)
def test_verify_rejects_anything_else(secret, body, header, stamp, now):
    good = sign("k", BODY, 1_000_000)
    assert not verify_signature(secret, body, good if header is None else header, stamp, max_age=300, now=now)


def test_verify_rejects_a_header_of_the_wrong_type():
    assert not verify_signature("k", BODY, 123, "1000000", now=1_000_000)  # type: ignore[arg-type]
    assert not verify_signature("k", BODY.decode(), sign("k", BODY, 1), "1", now=1)  # type: ignore[arg-type]
