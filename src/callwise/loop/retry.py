"""When to try a failed delivery again, and when to give up (dead-letter the message).

Exponential backoff from 30 seconds doubling to a one-hour cap, with "equal jitter": each wait is between
half and all of the exponential step. The jitter comes from a hash of the dedupe key and the attempt, not a
random generator, so a message's schedule is the same on every worker and every re-run, while many messages
failing together (a receiver outage) still spread out instead of returning in one burst.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from callwise.loop.outbox import DeliveryResult, DeliveryStatus

MAX_ATTEMPTS = 10  # with the defaults, two to three hours of trying before a message is dead-lettered
BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)


def backoff(attempt: int, dedupe_key: str, base: timedelta = BASE, cap: timedelta = CAP) -> timedelta:
    """Wait after failed attempt number ``attempt`` (from 1): in [step / 2, step), step = min(cap, base·2^(n-1))."""
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt must be a whole number from 1, not {attempt!r}")
    if base <= timedelta(0) or cap < base:
        raise ValueError(f"need 0 < base <= cap, not base {base} and cap {cap}")
    step = min(cap, base * 2 ** min(attempt - 1, 40))
    digest = hashlib.sha256(f"{dedupe_key}\x1f{attempt}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return step / 2 + step / 2 * fraction


def next_attempt_at(result: DeliveryResult, attempt: int, dedupe_key: str, now: datetime) -> datetime | None:
    """When to try again after ``result`` of attempt ``attempt``; None when the message is to be dead-lettered.

    A receiver's Retry-After is honoured up to the cap, never shortened by the backoff.
    """
    if result.status is DeliveryStatus.OK:
        raise ValueError("a delivered message is not retried")
    if result.status is DeliveryStatus.PERMANENT or attempt >= MAX_ATTEMPTS:
        return None
    wait = backoff(attempt, dedupe_key)
    if result.retry_after is not None:
        wait = max(wait, min(result.retry_after, CAP))
    return now.astimezone(UTC) + wait
