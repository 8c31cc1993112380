"""What a sender receives and answers: an outbox message and the result of one delivery attempt.

The outbox table lives in the operational database; these are its rows as a sender sees them. A sender
answers ok, retryable (try again later: the receiver is down, busy or timed out) or permanent (trying again
cannot help: the receiver refused the message), and never raises for a failed delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from callwise.loop.rules import FOLLOWUP_CHANNELS


@dataclass(frozen=True, kw_only=True)
class OutboxMessage:
    """One message to deliver; ``attempt`` counts from 1, ``dedupe_key`` makes delivery idempotent."""

    id: str | int
    dedupe_key: str
    channel: str
    customer_id: str
    template: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.dedupe_key, str) or not self.dedupe_key.strip():
            raise ValueError(f"dedupe_key must be non-empty text, not {self.dedupe_key!r}")
        if self.channel not in FOLLOWUP_CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}; expected one of {', '.join(FOLLOWUP_CHANNELS)}")
        if not isinstance(self.payload, dict):
            raise ValueError(f"payload must be a mapping, not {type(self.payload).__name__}")
        if isinstance(self.attempt, bool) or not isinstance(self.attempt, int) or self.attempt < 1:
            raise ValueError(f"attempt must be a whole number from 1, not {self.attempt!r}")

    def to_dict(self) -> dict[str, Any]:
        """The message as it is written to a file or posted to a webhook."""
        return {
            "id": self.id,
            "dedupe_key": self.dedupe_key,
            "channel": self.channel,
            "customer_id": self.customer_id,
            "template": self.template,
            "payload": self.payload,
            "attempt": self.attempt,
        }


class DeliveryStatus(StrEnum):
    OK = "ok"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class DeliveryResult:
    """How one attempt went; ``retry_after`` is the receiver's own request (HTTP Retry-After), if any."""

    status: DeliveryStatus
    detail: str = ""
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.OK

    @classmethod
    def success(cls, detail: str = "") -> DeliveryResult:
        return cls(DeliveryStatus.OK, detail)

    @classmethod
    def retryable(cls, detail: str, retry_after: timedelta | None = None) -> DeliveryResult:
        return cls(DeliveryStatus.RETRYABLE, detail, retry_after)

    @classmethod
    def permanent(cls, detail: str) -> DeliveryResult:
        return cls(DeliveryStatus.PERMANENT, detail)


class Sender(Protocol):
    """Delivers one message; must be idempotent by ``dedupe_key`` (the outbox may send a message twice)."""

    def send(self, message: OutboxMessage) -> DeliveryResult: ...
