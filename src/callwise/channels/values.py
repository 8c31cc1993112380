"""Expected incremental value per customer × channel: increment × value per conversion − the channel's cost.

The call's increment is what the list's uplift model says a list place adds (``ranked.uplift``); a list ranked
by response has no increment per customer, so then the call's measured effect per stratum stands in. A message's
increment is its channel's measured effect in the customer's stratum (:mod:`callwise.channels.effects`). A customer
with a moment live at the plan's first send time gets the channel's measured moment boost on top; without a
``moments`` table no one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.channels.effects import MOMENTS, ChannelEffects
from callwise.channels.strata import STRATA, customer_strata
from callwise.lake import Lake
from callwise.lake.frames import to_pandas


@dataclass(frozen=True)
class Values:
    ids: np.ndarray  # (n,) customer ids
    channels: tuple[str, ...]
    increment: np.ndarray  # (n × C) expected increment of p(convert) from one touch (a list place for calls)
    value: np.ndarray  # (n × C) increment × value per conversion − cost per touch
    stratum: np.ndarray  # (n,) stratum names
    live: np.ndarray  # (n,) bool: a moment live at the first send time


def customer_context(lake: Lake, ids: np.ndarray, at: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Stratum and live moment (bool) of every customer ``ids`` as of ``at`` (rows strictly before it)."""
    wanted = ibis.memtable(pa.table({"customer_id": pa.array(ids, pa.string())}))
    strata = to_pandas(customer_strata(lake, wanted, at)).drop_duplicates("customer_id").set_index("customer_id")
    stratum = strata["stratum"].reindex(ids).fillna(STRATA[-1]).to_numpy(object)
    live = np.zeros(len(ids), bool)
    if lake.has(MOMENTS):
        m = lake.table(MOMENTS)
        m = m.filter((m.started_at.cast("timestamp") <= at) & (m.expires_at.cast("timestamp") > at))
        found = to_pandas(m.select(customer_id=m.customer_id.cast("string")).distinct())
        live = pd.Index(ids).isin(found["customer_id"])
    return stratum, np.asarray(live, bool)


def channel_values(
    ids: np.ndarray,
    stratum: np.ndarray,
    live: np.ndarray,
    effects: ChannelEffects,
    channels: tuple[str, ...],
    costs: np.ndarray,
    value_per_conversion: float,
    call_uplift: np.ndarray | None = None,
) -> Values:
    """The (n × C) matrices; ``call_uplift`` (n,) is the call's increment per customer (NaN: not known)."""
    n = len(ids)
    codes = pd.Categorical(stratum, categories=list(STRATA)).codes
    codes = np.where(codes < 0, len(STRATA) - 1, codes)
    inc = np.zeros((n, len(channels)))
    for j, name in enumerate(channels):
        effect = effects.of(name)
        table = np.array([effect.by_stratum.get(s, effect.overall) for s in STRATA])
        col = table[codes]
        if name == "call" and call_uplift is not None:
            col = np.where(np.isfinite(call_uplift), call_uplift, col)
        inc[:, j] = col * np.where(live, effect.moment_boost, 1.0)
    value = inc * value_per_conversion - np.asarray(costs, float)[None, :]
    return Values(ids, channels, inc, value, stratum, live)
