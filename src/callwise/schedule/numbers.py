"""The phone rule inside the plan: at most ``limit`` calls per number per local day, across customers sharing it.

The optimiser plans each customer alone; these two functions let its repair and fill steps keep the rule for the
customers whose number is watched (shared, or with calls on record on a campaign day — see
:class:`callwise.policy.phones.NumberDays`): which planned attempts are one call too many, and in which slots a
waiting customer's number still has a call left.
"""

from __future__ import annotations

import numpy as np

from callwise.policy.phones import NumberDays, count_in, nth_in_group
from callwise.schedule.plans import Plans


def over_limit(numbers: NumberDays, schedule: Plans, value: np.ndarray) -> np.ndarray:
    """(n × attempts) bool: the planned attempts beyond what their number may get on its day.

    Within one number and day, first attempts go before re-attempts (a re-attempt may never happen), then the
    more valuable customers (``value``), then the earlier rows.
    """
    slot = schedule.slot[:, 0]
    out = np.zeros(slot.shape, bool)
    rows = np.flatnonzero(numbers.watch & (slot[:, 0] >= 0))
    i, a = np.nonzero(slot[rows] >= 0)
    if not len(i):
        return out
    customer = rows[i]
    keys = numbers.keys(customer, slot[customer, a])
    order = np.lexsort((customer, -value[customer], a > 0, keys))
    nth = nth_in_group(keys[order])
    over = order[nth >= numbers.left(keys[order])]
    out[customer[over], a[over]] = True
    return out


def free_slots(numbers: NumberDays, schedule: Plans, rows: np.ndarray, n_slots: int) -> np.ndarray:
    """(len(rows) × slots) bool: where each customer's number still has a call left that day.

    Only first attempts already planned take a number's day: a re-attempt gives way to another customer's first
    call (see :func:`over_limit`), so that a shared number reaches as many of its customers as it has days.
    """
    out = np.ones((len(rows), n_slots), bool)
    watched = np.flatnonzero(numbers.watch[rows])
    if not len(watched):
        return out
    first = schedule.slot[:, 0, 0]
    planned = np.flatnonzero(numbers.watch & (first >= 0))
    taken = np.sort(numbers.keys(planned, first[planned]))
    keys = numbers.keys(rows[watched][:, None], np.arange(n_slots)[None, :])
    out[watched] = count_in(taken, keys) < numbers.left(keys)
    return out
