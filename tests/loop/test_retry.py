"""Backoff: exponential, capped, jittered by a stable hash; dead-lettering after MAX_ATTEMPTS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callwise.loop.outbox import DeliveryResult
from callwise.loop.retry import BASE, CAP, MAX_ATTEMPTS, backoff, next_attempt_at

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_each_wait_lies_between_half_and_all_of_the_capped_exponential_step():
    for key in ("fu:a", "fu:b", "dialer:T1:42"):
        for attempt in range(1, 30):
            step = min(CAP, BASE * 2 ** (attempt - 1))
            wait = backoff(attempt, key)
            assert step / 2 <= wait < step or (step == CAP and wait <= CAP)


def test_the_same_key_always_waits_the_same_and_keys_spread_out():
    assert backoff(3, "fu:a") == backoff(3, "fu:a")
    waits = {backoff(3, f"fu:{i}") for i in range(200)}
    assert len(waits) > 190  # a burst of failures comes back spread over the interval
    assert min(waits) < BASE * 4 * 0.6 and max(waits) > BASE * 4 * 0.9


def test_waits_grow_and_stop_at_the_cap():
    assert backoff(1, "k") < BASE
    assert backoff(40, "k") <= CAP and backoff(10_000, "k") <= CAP
    assert backoff(3, "k", base=timedelta(seconds=1), cap=timedelta(seconds=2)) <= timedelta(seconds=2)


@pytest.mark.parametrize("attempt", [0, -1, 1.5, "2", True, None])
def test_attempt_must_be_a_whole_number_from_one(attempt):
    with pytest.raises(ValueError, match="attempt must be a whole number from 1"):
        backoff(attempt, "k")


def test_base_and_cap_must_make_sense():
    with pytest.raises(ValueError, match="need 0 < base <= cap"):
        backoff(1, "k", base=timedelta(0))
    with pytest.raises(ValueError, match="need 0 < base <= cap"):
        backoff(1, "k", base=timedelta(hours=2), cap=timedelta(hours=1))


def test_next_attempt_retries_until_max_attempts_then_dead_letters():
    failed = DeliveryResult.retryable("HTTP 503")
    assert next_attempt_at(failed, 1, "k", NOW) == NOW + backoff(1, "k")
    assert next_attempt_at(failed, MAX_ATTEMPTS - 1, "k", NOW) is not None
    assert next_attempt_at(failed, MAX_ATTEMPTS, "k", NOW) is None
    assert next_attempt_at(DeliveryResult.permanent("HTTP 404"), 1, "k", NOW) is None
    with pytest.raises(ValueError, match="a delivered message is not retried"):
        next_attempt_at(DeliveryResult.success(), 1, "k", NOW)


def test_retry_after_lengthens_the_wait_but_never_beyond_the_cap():
    busy = DeliveryResult.retryable("HTTP 429", retry_after=timedelta(minutes=10))
    assert next_attempt_at(busy, 1, "k", NOW) == NOW + timedelta(minutes=10)
    huge = DeliveryResult.retryable("HTTP 503", retry_after=timedelta(days=2))
    assert next_attempt_at(huge, 1, "k", NOW) == NOW + CAP
    short = DeliveryResult.retryable("HTTP 503", retry_after=timedelta(seconds=1))
    assert next_attempt_at(short, 5, "k", NOW) == NOW + backoff(5, "k")
