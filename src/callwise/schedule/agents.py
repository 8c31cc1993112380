"""Hand each planned call to an agent on shift in its slot, in proportion to what each agent can place."""

from __future__ import annotations

import numpy as np
import pandas as pd

from callwise.schedule.slots import Workforce


def assign_agents(calls: pd.DataFrame, force: Workforce) -> pd.Series:
    """Agent id per call. ``calls`` needs ``pool`` (index into force.pools), ``slot`` and ``priority``.

    Within one (pool, slot) the calls, best first, are spread over the agents on shift so that each gets a
    share equal to their share of the slot's capacity; first attempts and re-attempts are mixed the same way,
    since a re-attempt only happens when the customer did not answer.
    """
    out = np.full(len(calls), None, dtype=object)
    if calls.empty:
        return pd.Series(out, index=calls.index, dtype=object)
    agent_pool = pd.Index(force.pools).get_indexer(pd.Index(force.agents["pool"]))
    agent_ids = force.agents["agent_id"].to_numpy(dtype=object)
    order = np.lexsort((calls["priority"].to_numpy(), calls["slot"].to_numpy(), calls["pool"].to_numpy()))
    pools, slots = calls["pool"].to_numpy()[order], calls["slot"].to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, (pools[1:] != pools[:-1]) | (slots[1:] != slots[:-1])])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):  # one pass per (pool, slot): a few hundred at most
        pool, slot = pools[start], slots[start]
        capacity = np.where(agent_pool == pool, force.per_agent[:, slot], 0.0)
        if capacity.sum() <= 0:
            continue  # nobody on shift: the calls stay without an agent (the plan never puts calls here)
        share = np.cumsum(capacity) / capacity.sum()
        position = (np.arange(end - start) + 0.5) / (end - start)
        out[order[start:end]] = agent_ids[np.minimum(np.searchsorted(share, position), len(share) - 1)]
    return pd.Series(out, index=calls.index, dtype=object)
