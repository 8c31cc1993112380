"""What each channel added in the lake's past randomised campaigns: treated against control, per stratum.

A past campaign counts when its members (``campaign_members``: treatment and randomised control) were assigned at
least ``WINDOW_DAYS`` before the plan's cutoff, so every outcome it is judged by lies strictly before the cutoff
(no leakage). A member's channel is its arm when the arm names a channel (a campaign randomised over channels),
else the campaign's ``channel`` (``campaigns``), else the channel most of its contacts used. The outcome is a
conversion of the campaign's product within ``WINDOW_DAYS`` of assignment.

Per channel and stratum (:mod:`callwise.channels.strata`) the increment is the within-campaign difference of the
treated and control conversion rates, weighted by treated members: intent to treat, so a message that reached no
one (no app, a failed SMS) counts as the nothing it added. Each stratum is shrunk to its channel's overall
increment by ``n / (n + SHRINK_MEMBERS)`` (n: its treated members), so a thin stratum says little of its own.
With campaigns of the plan's product on a channel (at least ``MIN_PRODUCT_MEMBERS`` treated), only they count;
else all products' (``scope: all_products``, said in the summary).

Live moments (lake table ``moments``): the boost of a channel is the increment of members with a moment live at
assignment over the increment of the others, shrunk to 1 the same way; without the table, there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from callwise.channels.config import CHANNELS
from callwise.channels.strata import STRATA, member_strata
from callwise.lake import Lake
from callwise.lake.frames import to_pandas

WINDOW_DAYS = 30
SHRINK_MEMBERS = 2000
MIN_PRODUCT_MEMBERS = 1000
BOOST_RANGE = (0.5, 5.0)
MOMENTS = "moments"


@dataclass(frozen=True)
class ChannelEffect:
    """One channel's measured increment of p(convert within the window) from one touch (or one list place)."""

    channel: str
    overall: float
    se: float
    treated: int
    control: int
    campaigns: int
    by_stratum: dict[str, float] = field(default_factory=dict)  # shrunk to ``overall``
    moment_boost: float = 1.0  # multiplier when a moment is live (1: none measured)
    moment_members: int = 0
    scope: str = "product"  # "product": the plan's product's campaigns; "all_products"; "none": no history

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "overall": round(self.overall, 6),
            "se": round(self.se, 6),
            "treated": self.treated,
            "control": self.control,
            "campaigns": self.campaigns,
            "by_stratum": {k: round(v, 6) for k, v in self.by_stratum.items()},
            "moment_boost": round(self.moment_boost, 4),
            "moment_members": self.moment_members,
            "scope": self.scope,
        }


@dataclass(frozen=True)
class ChannelEffects:
    effects: dict[str, ChannelEffect]
    cutoff: datetime
    moments: bool  # the lake had a moments table

    def of(self, channel: str) -> ChannelEffect:
        return self.effects.get(channel) or ChannelEffect(channel, 0.0, 0.0, 0, 0, 0, scope="none")

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "window_days": WINDOW_DAYS,
            "moments": self.moments,
            "channels": {name: e.as_dict() for name, e in self.effects.items()},
        }


def member_outcomes(lake: Lake, cutoff: datetime) -> ir.Table | None:
    """Past campaign members with channel, product, stratum, live moment and outcome (converted within the window).

    Grouped: campaign_id, product_id, channel (null for control), grp, stratum, live, members, converted."""
    if not all(lake.has(n) for n in ("campaign_members", "campaigns", "conversions")):
        return None
    m = lake.table("campaign_members")
    camp = lake.table("campaigns")
    last = cutoff - timedelta(days=WINDOW_DAYS)
    m = m.select(
        campaign_id=m.campaign_id.cast("string"),
        customer_id=m.customer_id.cast("string"),
        grp=m.group.cast("string"),
        arm=(m.arm.cast("string") if "arm" in m.columns else ibis.null("string")),
        assigned_at=m.assigned_at.cast("timestamp"),
    )
    camp_channel = camp.channel.cast("string") if "channel" in camp.columns else ibis.null("string")
    c = camp.select(
        cid=camp.campaign_id.cast("string"),
        product_id=camp.product_id.cast("string"),
        camp_channel=camp_channel,
        start_at=camp.start_at.cast("timestamp"),
    )
    m = m.join(c, m.campaign_id == c.cid).drop("cid")
    m = m.mutate(assigned_at=m.assigned_at.fill_null(m.start_at))
    m = m.filter(m.assigned_at < last)
    if lake.has("contacts"):
        m = m.left_join(_contact_channel(lake), "campaign_id").drop("campaign_id_right")
        camp_channel = m.camp_channel.fill_null(m.contact_channel)
    else:
        camp_channel = m.camp_channel
    arm_channel = m.arm.isin(list(CHANNELS)).fill_null(False).ifelse(m.arm, camp_channel)
    m = m.mutate(channel=(m.grp == "treatment").ifelse(arm_channel, ibis.null("string")))
    m = m.select("campaign_id", "customer_id", "grp", "assigned_at", "product_id", "channel")
    m = member_strata(lake, m, cutoff.date())
    m = _live(lake, m)
    k = lake.table("conversions")
    k = k.select(kid=k.customer_id.cast("string"), kproduct=k.product_id.cast("string"), kts=k.ts.cast("timestamp"))
    hit = m.join(k, (m.customer_id == k.kid) & (m.product_id == k.kproduct) & (k.kts >= m.assigned_at))
    hit = hit.filter(hit.kts < hit.assigned_at + ibis.interval(days=WINDOW_DAYS))
    won = hit.select("campaign_id", "customer_id").distinct().mutate(won=ibis.literal(1))
    m = m.left_join(won, ["campaign_id", "customer_id"]).drop("campaign_id_right", "customer_id_right")
    keys = ["campaign_id", "product_id", "channel", "grp", "stratum", "live"]
    return m.group_by(keys).aggregate(members=m.count(), converted=m.won.fill_null(0).sum())


def _contact_channel(lake: Lake) -> ir.Table:
    """Per campaign: the channel most of its contacts used (ties: the first in name order)."""
    k = lake.table("contacts")
    k = k.filter(k.campaign_id.notnull())
    counts = k.group_by([k.campaign_id.cast("string").name("campaign_id"), k.channel.cast("string").name("ch")])
    counts = counts.aggregate(n=k.count())
    top = ibis.row_number().over(group_by=counts.campaign_id, order_by=[counts.n.desc(), counts.ch])
    counts = counts.mutate(_r=top)
    return counts.filter(counts._r == 0).select("campaign_id", contact_channel=counts.ch)


def _live(lake: Lake, m: ir.Table) -> ir.Table:
    if not lake.has(MOMENTS):
        return m.mutate(live=ibis.literal(False))
    mo = lake.table(MOMENTS)
    mo = mo.select(
        mid=mo.customer_id.cast("string"), ms=mo.started_at.cast("timestamp"), me=mo.expires_at.cast("timestamp")
    )
    hit = m.join(mo, (m.customer_id == mo.mid) & (mo.ms <= m.assigned_at) & (m.assigned_at < mo.me))
    live = hit.select("campaign_id", "customer_id").distinct().mutate(live=ibis.literal(True))
    m = m.left_join(live, ["campaign_id", "customer_id"]).drop("campaign_id_right", "customer_id_right")
    return m.mutate(live=m.live.fill_null(False))


def estimate_effects(
    lake: Lake, cutoff: datetime, product_id: str, channels: tuple[str, ...] = CHANNELS
) -> ChannelEffects:
    """Each channel's increment per stratum and its moment boost, from campaigns whose outcomes precede ``cutoff``."""
    expr = member_outcomes(lake, cutoff)
    rows = to_pandas(expr) if expr is not None else pd.DataFrame()
    effects = {ch: _channel_effect(rows, ch, product_id) for ch in channels}
    return ChannelEffects(effects, cutoff, lake.has(MOMENTS))


def _channel_effect(rows: pd.DataFrame, channel: str, product_id: str) -> ChannelEffect:
    empty = ChannelEffect(channel, 0.0, 0.0, 0, 0, 0, scope="none")
    if rows.empty:
        return empty
    treated_campaigns = rows.loc[(rows["grp"] == "treatment") & (rows["channel"] == channel), "campaign_id"]
    mine = rows[rows["campaign_id"].isin(treated_campaigns.unique())]
    if mine.empty:
        return empty
    own = mine[mine["product_id"] == product_id]
    own_treated = own.loc[(own["grp"] == "treatment") & (own["channel"] == channel), "members"].sum()
    scope = "product" if own_treated >= MIN_PRODUCT_MEMBERS else "all_products"
    use = own if scope == "product" else mine
    overall, se, n_t, n_c, campaigns = _increment(use, channel)
    by_stratum = {}
    for name in STRATA:
        inc, _, n, _, _ = _increment(use[use["stratum"] == name], channel)
        w = n / (n + SHRINK_MEMBERS)
        by_stratum[name] = float(w * inc + (1 - w) * overall)
    boost, n_live = _boost(use, channel)
    return ChannelEffect(channel, overall, se, n_t, n_c, campaigns, by_stratum, boost, n_live, scope)


def _increment(rows: pd.DataFrame, channel: str) -> tuple[float, float, int, int, int]:
    """Within-campaign treated − control rate, weighted by treated; its standard error; members; campaigns."""
    if rows.empty:
        return 0.0, 0.0, 0, 0, 0
    t = rows[(rows["grp"] == "treatment") & (rows["channel"] == channel)].groupby("campaign_id")[["members", "converted"]]
    c = rows[rows["grp"] == "control"].groupby("campaign_id")[["members", "converted"]]
    both = t.sum().join(c.sum(), lsuffix="_t", rsuffix="_c", how="inner")
    both = both[(both["members_t"] > 0) & (both["members_c"] > 0)]
    if both.empty:
        return 0.0, 0.0, 0, 0, 0
    n_t, n_c = both["members_t"].to_numpy(float), both["members_c"].to_numpy(float)
    r_t, r_c = both["converted_t"].to_numpy(float) / n_t, both["converted_c"].to_numpy(float) / n_c
    w = n_t / n_t.sum()
    inc = float((w * (r_t - r_c)).sum())
    var = float((w**2 * (r_t * (1 - r_t) / n_t + r_c * (1 - r_c) / n_c)).sum())
    return inc, float(np.sqrt(var)), int(n_t.sum()), int(n_c.sum()), len(both)


def _boost(rows: pd.DataFrame, channel: str) -> tuple[float, int]:
    live, rest = rows[rows["live"].astype(bool)], rows[~rows["live"].astype(bool)]
    inc_live, _, n_live, _, _ = _increment(live, channel)
    inc_rest, _, _, _, _ = _increment(rest, channel)
    if n_live == 0 or inc_rest <= 0:
        return 1.0, n_live
    raw = float(np.clip(inc_live / inc_rest, *BOOST_RANGE))
    w = n_live / (n_live + SHRINK_MEMBERS)
    return float(w * raw + (1 - w)), n_live
