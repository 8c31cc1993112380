"""Expected incremental value per customer × channel: increment × value per conversion − the channel's cost.

The call's increment is what the list's uplift model says a list place adds (``ranked.uplift``). A message's is
the customer's call uplift (at least 0) × the channel's measured ratio to the call in the customer's stratum
(:mod:`callwise.channels.effects`). Without an uplift (a list ranked by response, or a customer the call policy
bars) or without a measured ratio, the channel's measured increment in the stratum stands in. A customer with a
moment live at the plan's cutoff gets that moment's measured boost on every channel (the largest of its live
moments'; a moment never measured, the pooled boost); without a ``moments`` table no one does.
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


def customer_context(lake: Lake, ids: np.ndarray, at: datetime) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Stratum, live moment (bool) and the live moments (customers × moment ids, bool) of every customer ``ids``
    as of ``at`` (rows strictly before it)."""
    wanted = ibis.memtable(pa.table({"customer_id": pa.array(ids, pa.string())}))
    strata = to_pandas(customer_strata(lake, wanted, at)).drop_duplicates("customer_id").set_index("customer_id")
    stratum = strata["stratum"].reindex(ids).fillna(STRATA[-1]).to_numpy(object)
    moments = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    if lake.has(MOMENTS):
        m = lake.table(MOMENTS)
        m = m.filter((m.started_at.cast("timestamp") <= at) & (m.expires_at.cast("timestamp") > at))
        found = to_pandas(m.select(customer_id=m.customer_id.cast("string"), moment_id=m.moment_id).distinct())
        wide = pd.crosstab(found["customer_id"], found["moment_id"]) > 0
        moments = wide.reindex(ids, fill_value=False).astype(bool)
    live = moments.any(axis=1).to_numpy(bool) if moments.shape[1] else np.zeros(len(ids), bool)
    return stratum, live, moments


def channel_values(
    ids: np.ndarray,
    stratum: np.ndarray,
    live: np.ndarray,
    effects: ChannelEffects,
    channels: tuple[str, ...],
    costs: np.ndarray,
    value_per_conversion: float,
    call_uplift: np.ndarray | None = None,
    moments: pd.DataFrame | None = None,
) -> Values:
    """The (n × C) matrices; ``call_uplift`` (n,) is the call's increment per customer (NaN: not known);
    ``moments`` (customers × moment ids, bool) the live moments, each valued by its own boost (the largest holds);
    without it a live customer gets the pooled boost."""
    n = len(ids)
    codes = pd.Categorical(stratum, categories=list(STRATA)).codes
    codes = np.where(codes < 0, len(STRATA) - 1, codes)
    inc = np.zeros((n, len(channels)))
    uplift = np.full(n, np.nan) if call_uplift is None else np.asarray(call_uplift, float)
    known = np.isfinite(uplift)
    boost = np.where(live, effects.moment_boost, 1.0)
    if moments is not None and moments.shape[1]:
        per = np.array([effects.boost_of(str(c)) for c in moments.columns])
        boost = np.where(moments.to_numpy(bool), per[None, :], 1.0).max(axis=1)
    for j, name in enumerate(channels):
        effect = effects.of(name)
        direct = np.array([effect.by_stratum.get(s, effect.overall) for s in STRATA])[codes]
        if name == "call":
            col = np.where(known, uplift, direct)
        elif effect.ratio is not None:
            ratio = np.array([effect.ratio_by_stratum.get(s, effect.ratio) for s in STRATA])[codes]
            col = np.where(known, np.maximum(uplift, 0.0) * ratio, direct)
        else:
            col = direct
        inc[:, j] = col * boost
    value = inc * value_per_conversion - np.asarray(costs, float)[None, :]
    return Values(ids, channels, inc, value, stratum, live)
