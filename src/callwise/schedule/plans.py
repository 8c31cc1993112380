"""Candidate call plans per customer: a first slot and the re-attempts that follow a no-answer.

For each customer the K legal slots where they are most likely to answer are tried as first attempts. After
a no-answer the next attempt goes to the customer's most likely slot on a *later day* (one call per number
per day) at a *different hour of day* (an hour at which they just did not answer is the worst bet). An
attempt is planned only while it still pays: p(answer) × margin > cost. A plan's value is

    margin × p(answered by some attempt) − cost × expected attempts,

and it uses capacity 1 in its first slot and p(not answered yet) in each re-attempt's slot — capacity is
planned in expectation, since nobody knows beforehand who answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from callwise.schedule.slots import Slots

FIELDS = ("slot", "reach", "p_answer", "value")


@dataclass(frozen=True)
class Plans:
    """K candidate plans for each of n customers, up to A attempts each."""

    slot: np.ndarray  # (n, K, A) int32 slot index, -1 = no attempt
    reach: np.ndarray  # (n, K, A) float32 p(this attempt is placed) = p(no answer before)
    p_answer: np.ndarray  # (n, K, A) float32 p(answer) of each planned attempt
    value: np.ndarray  # (n, K) float64 expected value; -inf where the plan is not usable

    def take(self, rows: np.ndarray) -> Plans:
        """The plans of the given customers."""
        return Plans(self.slot[rows], self.reach[rows], self.p_answer[rows], self.value[rows])

    def columns(self, keep: np.ndarray) -> Plans:
        """Plans ``keep[i]`` (a row of plan indices) of each customer i."""
        rows = np.arange(len(keep))[:, None]
        return Plans(self.slot[rows, keep], self.reach[rows, keep], self.p_answer[rows, keep], self.value[rows, keep])

    @staticmethod
    def join(left: Plans, right: Plans) -> Plans:
        """The candidate plans of both, side by side (same customers and attempts, more plans each)."""
        return Plans(*(np.concatenate([getattr(left, f), getattr(right, f)], axis=1) for f in FIELDS))

    @staticmethod
    def concat(parts: list[Plans]) -> Plans:
        """The plans of several groups of customers, one after the other."""
        return Plans(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))


def candidate_plans(
    p_answer: np.ndarray,
    slots: Slots,
    margin: np.ndarray,
    cost: float,
    attempts: np.ndarray,
    max_attempts: int | None = None,
    slot_price: np.ndarray | None = None,
    k: int = 4,
    jitter: np.ndarray | None = None,
) -> Plans:
    """Plans for one chunk of n customers.

    ``p_answer`` is (n × slots), zero where a call is not allowed (quiet hours in the customer's time, a closed
    day, too soon after their last call); ``margin`` the value of an answered call (p(convert | answered) ×
    value per conversion); ``attempts`` the most attempts each may still get. ``slot_price`` (n × slots) is
    the optimiser's current price of capacity: slots are picked by p × margin − cost − price, the marginal
    reduced value of an attempt, so that busy slots are avoided where an almost-as-good one is free.
    ``jitter`` (n × slots, tiny) spreads customers over equally good slots instead of piling them on one.
    """
    n, n_slots = p_answer.shape
    a_max = max(max_attempts or int(attempts.max(initial=1)), 1)
    key = p_answer * margin[:, None].astype(np.float32) - np.float32(cost)
    if slot_price is not None:
        key -= slot_price
    if jitter is not None:
        key += jitter
    key = np.where((p_answer > 0) & (attempts[:, None] > 0), key, np.float32(-np.inf))
    k = min(k, n_slots)
    first = np.argpartition(-key, k - 1, axis=1)[:, :k] if k < n_slots else np.tile(np.arange(n_slots), (n, 1))
    order = np.argsort(-np.take_along_axis(key, first, axis=1), axis=1, kind="stable")
    first = np.take_along_axis(first, order, axis=1)

    slot = np.full((n, k, a_max), -1, np.int32)
    prob = np.zeros((n, k, a_max), np.float32)
    rows = np.arange(n)
    later = _LaterBest(key, slots) if a_max > 1 else None
    for j in range(k):
        current = first[:, j]
        ok = np.ones(n, bool)
        tried: list[np.ndarray] = []  # hour (as an index) of each attempt so far
        for a in range(a_max):
            ok &= (a < attempts) & (key[rows, current] > 0)
            slot[:, j, a] = np.where(ok, current, -1)
            prob[:, j, a] = np.where(ok, p_answer[rows, current], 0)
            if later is None or a + 1 == a_max or not ok.any():
                break
            tried.append(later.hour_index[current])
            current, found = later.follow(slots.day[current], tried)
            ok &= found  # no later day left at a new hour: no more attempts
    return valued_plans(slot, prob, margin, cost)


class _LaterBest:
    """For each customer, day d and hour of day h: the best slot at hour h on a day after d (by ``key``).

    A re-attempt goes to the best slot on a later day at an hour not tried yet; with these running bests
    (one backward pass over the days) it is a choice among the hours instead of a scan of every slot. Ties go
    to the lower slot index, as a scan with ``argmax`` would give them.
    """

    def __init__(self, key: np.ndarray, slots: Slots) -> None:
        n, n_slots = key.shape
        hours, self.hour_index = np.unique(slots.hour, return_inverse=True)
        n_days = int(slots.day.max(initial=0)) + 1
        grid = np.full((n_days, len(hours)), n_slots)  # slot of each (day, hour); n_slots = none
        grid[slots.day, self.hour_index] = np.arange(n_slots)
        if (grid < n_slots).sum() != n_slots:
            raise ValueError("two slots share a day and an hour")
        padded = np.concatenate([key, np.full((n, 1), -np.inf, key.dtype)], axis=1)
        # Day-major (days × customers × hours), so that each day's bests are one contiguous block.
        self.value = np.empty((n_days, n, len(hours)), key.dtype)
        self.slot = np.empty((n_days, n, len(hours)), np.int32)
        self.value[-1], self.slot[-1] = -np.inf, n_slots
        for day in range(n_days - 2, -1, -1):
            value, slot = padded[:, grid[day + 1]], grid[day + 1][None, :]
            best, best_slot = self.value[day + 1], self.slot[day + 1]
            take = (value > best) | ((value == best) & (slot < best_slot))
            np.copyto(self.value[day], np.where(take, value, best))
            np.copyto(self.slot[day], np.where(take, slot, best_slot))

    def follow(self, last_day: np.ndarray, tried: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's best slot after ``last_day`` at an hour not in ``tried``; and whether there is one."""
        rows = np.arange(len(last_day))
        value, slot = self.value[last_day, rows], self.slot[last_day, rows]
        for hour in tried:
            value[rows, hour] = -np.inf
        best = value.max(axis=1)
        found = np.isfinite(best)
        chosen = np.where(value == best[:, None], slot, np.iinfo(np.int32).max).min(axis=1)
        return np.where(found, chosen, 0), found


def valued_plans(slot: np.ndarray, prob: np.ndarray, margin: np.ndarray, cost: float) -> Plans:
    """Plans from their slots and p(answer) per attempt: reach of each attempt and expected value."""
    miss = 1 - prob.astype(np.float64)
    reach = np.cumprod(np.concatenate([np.ones_like(miss[..., :1]), miss[..., :-1]], axis=-1), axis=-1)
    reach = np.where(slot >= 0, reach, 0.0)
    answered = 1 - np.prod(miss, axis=-1)
    value = margin[:, None] * answered - cost * reach.sum(axis=-1)
    value = np.where(slot[..., 0] >= 0, value, -np.inf)
    return Plans(slot=slot, reach=reach.astype(np.float32), p_answer=prob, value=value)
