"""Numeric work held to one BLAS/OpenMP thread, where thread pools cost more than they save.

The scheduler's LP and k-means and the answer model's fit make many small products; on a busy two-core machine
their pools spent more time waking and waiting than computing (decision 0022). The limit is entered at each call,
so every library loaded by then is held, and it is process-wide while the call runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def one_thread(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run with BLAS/OpenMP pools held to one thread."""

    @functools.wraps(func)
    def held(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return held
