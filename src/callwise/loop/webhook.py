"""Webhook delivery, signed so the receiver can tell the message came from callwise and is fresh.

Each POST carries ``X-Callwise-Timestamp`` (Unix seconds), ``X-Callwise-Signature: sha256=<hex>`` and
``Idempotency-Key`` (the dedupe key). The signature is HMAC-SHA256 over ``<timestamp>.<raw body>``: the
timestamp is signed with the body, otherwise anyone who saw one request could replay it later under a fresh
timestamp and the age check would mean nothing. Receivers call :func:`verify_signature`.

Responses: 2xx delivered; 408, 429 and 5xx, timeouts and connection errors are retryable; any other status
(other 4xx, and 3xx: redirects are not followed, the URL should be the final one) is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from callwise import __version__
from callwise.clock import utcnow
from callwise.loop.outbox import DeliveryResult, OutboxMessage

SIGNATURE_HEADER = "X-Callwise-Signature"
TIMESTAMP_HEADER = "X-Callwise-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_MAX_AGE = 300  # seconds a receiver accepts between signing and checking, either way (clock skew)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _key(secret: object) -> bytes:
    """The secret as bytes; accepts text, bytes or a pydantic ``SecretStr``."""
    if hasattr(secret, "get_secret_value"):
        secret = secret.get_secret_value()
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("the webhook secret must be non-empty text")
    return secret


def sign(secret: object, body: bytes, timestamp: int) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with ``secret``."""
    mac = hmac.new(_key(secret), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: object,
    body: bytes,
    header: str | None,
    timestamp: str | int | None,
    max_age: int = DEFAULT_MAX_AGE,
    now: float | None = None,
) -> bool:
    """True only for a well-formed, matching signature whose timestamp is within ``max_age`` seconds of now."""
    if not isinstance(header, str) or not header.startswith("sha256=") or not isinstance(body, bytes):
        return False
    try:
        stamp = int(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > max_age:
        return False
    expected = sign(secret, body, stamp)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


class WebhookSender:
    """POSTs each message as JSON to ``url``, signed with ``secret``; reuses one HTTP connection pool."""

    def __init__(
        self,
        url: str,
        secret: object,
        timeout: float = 10.0,
        *,
        allow_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL {url!r} must be an http(s) address with a host")
        if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS and not allow_http:
            raise ValueError(f"webhook URL {url!r} is not https; messages carry customer data (allow_http to override)")
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.url = url
        self._secret = _key(secret)
        self._clock = clock
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, message: OutboxMessage) -> DeliveryResult:
        try:
            body = json.dumps(message.to_dict(), ensure_ascii=False, sort_keys=True, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            return DeliveryResult.permanent(f"the payload cannot be written as JSON: {exc}")
        stamp = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"callwise/{__version__}",
            SIGNATURE_HEADER: sign(self._secret, body, stamp),
            TIMESTAMP_HEADER: str(stamp),
            IDEMPOTENCY_HEADER: message.dedupe_key,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return DeliveryResult.retryable(f"no answer from {self.url} within the timeout")
        except httpx.TransportError as exc:
            return DeliveryResult.retryable(f"cannot reach {self.url}: {type(exc).__name__}")
        return _result(response)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _result(response: httpx.Response) -> DeliveryResult:
    code = response.status_code
    if 200 <= code < 300:
        return DeliveryResult.success(f"HTTP {code}")
    detail = f"HTTP {code} {response.reason_phrase}".strip()
    if code in (408, 429) or code >= 500:
        return DeliveryResult.retryable(detail, _retry_after(response.headers.get("Retry-After")))
    return DeliveryResult.permanent(detail)


def _retry_after(value: str | None) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - utcnow(), timedelta(0))
