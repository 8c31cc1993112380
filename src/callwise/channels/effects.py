"""What each channel added in the lake's past randomised campaigns, per stratum, and as a ratio to the call's.

The outcome is a conversion of the campaign's product from assignment (``campaign_members``) until
``WINDOW_DAYS`` after the campaign's end (``campaigns.end_at``; its start without one): the same window for touched
and untouched members, so a touch late in the campaign loses none of its conversions. A past campaign counts when
that window closed before the plan's cutoff, so every outcome it is judged by lies strictly before the cutoff (no
leakage). Its channels are the channels its contacts used; a single-channel campaign compares its touched members
with its control group.

Multi-channel campaigns randomise each channel on its own (a treatment member gets each channel they may get by a
coin of its own; the control group gets none). So a channel's increment in a campaign is the conversion rate of
the treatment members it touched (a contact on the channel, delivered or not) minus that of the treatment members
who could have had it (consent in force at assignment: the ``consents`` table for messages, consent_marketing for
calls) and did not. The other channels' touches fall alike on both sides. Per channel and stratum
(:mod:`callwise.channels.strata`) the increments of the campaigns are weighted by the touched members, and each
stratum is shrunk to its channel's overall increment by ``n / (n + SHRINK_MEMBERS)``, and the overall one to zero
the same way (a channel barely tried is assumed to add little).

The plan uses a message's effect as a **ratio to the call's**: in the campaigns that used both, the message's
increment over the call's, per stratum (shrunk to the channel's overall ratio the same way). A customer's message
increment is then their own call uplift × the ratio (the overall ratio, too, shrunk to zero by its touched
members), so what the uplift model knows of a customer (how much a contact can move them at all) carries to every
channel. Without call campaigns beside a channel the ratio is
unknown and the direct increment of the stratum stands.

Live moments (when the lake has a ``moments`` table, :mod:`callwise.moments`): a touch is live with the moments
live at its own time (the shipped triggers evaluated as of every ``BUILD_EVERY_DAYS``-th day of the campaign's
touches, from rows before that day, a build's moment counting when it is no later than the touch and its window
holds the touch); the untouched are judged at the mean touch time of their campaign's channel. The pooled boost is
the increment of touches with any moment live over the increment of those with none, in the same campaigns ×
channels, shrunk to 1 by the live touched members; each moment's own boost is the same ratio for the touches it
is the largest live moment of, against the touches with nothing live of the members the moment came to at another
time of the campaign (so a moment of customers who answer more anyway does not pass for a boost), shrunk to the
pooled boost by its touched members. Without the table there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.channels.config import CHANNELS
from callwise.channels.strata import STRATA, member_strata
from callwise.lake import Lake
from callwise.lake.frames import to_pandas

WINDOW_DAYS = 30
SHRINK_MEMBERS = 2000
BOOST_RANGE = (1.0, 5.0)
RATIO_RANGE = (0.0, 2.0)
MOMENTS = "moments"
BUILD_EVERY_DAYS = 3  # past campaigns' moments are built as of every third day of their touches


@dataclass(frozen=True)
class ChannelEffect:
    """One channel's measured increment of p(convert within the window) from one touch (a list place for calls)."""

    channel: str
    overall: float
    se: float
    touched: int
    campaigns: int
    by_stratum: dict[str, float] = field(default_factory=dict)  # shrunk to ``overall``
    ratio: float | None = None  # increment over the call's in the same campaigns (None: no such campaigns)
    ratio_by_stratum: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "overall": round(self.overall, 6),
            "se": round(self.se, 6),
            "touched": self.touched,
            "campaigns": self.campaigns,
            "by_stratum": {k: round(v, 6) for k, v in self.by_stratum.items()},
            "ratio_to_call": None if self.ratio is None else round(self.ratio, 4),
            "ratio_by_stratum": {k: round(v, 4) for k, v in self.ratio_by_stratum.items()},
        }


@dataclass(frozen=True)
class ChannelEffects:
    effects: dict[str, ChannelEffect]
    cutoff: datetime
    moments: bool  # the lake had a moments table
    moment_boost: float = 1.0  # pooled over moments
    moment_touched: int = 0
    moment_boosts: dict[str, float] = field(default_factory=dict)  # per moment id, shrunk to ``moment_boost``
    moment_touched_by: dict[str, int] = field(default_factory=dict)

    def boost_of(self, moment_id: str) -> float:
        """A moment's boost: its own, else the pooled one (a moment never measured)."""
        return self.moment_boosts.get(moment_id, self.moment_boost)

    def of(self, channel: str) -> ChannelEffect:
        return self.effects.get(channel) or ChannelEffect(channel, 0.0, 0.0, 0, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "window_days": WINDOW_DAYS,
            "moments": self.moments,
            "moment_boost": round(self.moment_boost, 4),
            "moment_touched": self.moment_touched,
            "moment_boosts": {k: round(v, 4) for k, v in self.moment_boosts.items()},
            "moment_touched_by": dict(self.moment_touched_by),
            "channels": {name: e.as_dict() for name, e in self.effects.items()},
        }


def member_outcomes(lake: Lake, cutoff: datetime) -> ir.Table | None:
    """Treatment members of past campaigns × the campaign's channels they could have had, grouped:
    campaign_id, channel, touched, stratum, live, members, converted."""
    if not all(lake.has(n) for n in ("campaign_members", "campaigns", "conversions", "contacts")):
        return None
    m = lake.table("campaign_members")
    camp = lake.table("campaigns")
    end = camp.end_at.cast("timestamp") if "end_at" in camp.columns else ibis.null("timestamp")
    c = camp.select(
        cid=camp.campaign_id.cast("string"),
        product_id=camp.product_id.cast("string"),
        start=camp.start_at,
        touch_end=end.fill_null(camp.start_at.cast("timestamp")),
    )
    m = m.select(
        campaign_id=m.campaign_id.cast("string"),
        customer_id=m.customer_id.cast("string"),
        assigned_at=m.assigned_at.cast("timestamp"),
        treated=m.group == "treatment",
    )
    m = m.join(c, m.campaign_id == c.cid).drop("cid")
    m = m.mutate(assigned_at=m.assigned_at.fill_null(m.start.cast("timestamp"))).drop("start")
    # Every member is judged over the same window, to WINDOW_DAYS after the campaign's last touching day (a touch
    # late in the campaign must not lose the conversions it would have had after assignment + WINDOW_DAYS).
    m = m.mutate(outcome_end=ibis.greatest(m.touch_end, m.assigned_at) + ibis.interval(days=WINDOW_DAYS))
    m = m.filter(m.outcome_end < cutoff).drop("touch_end")
    k = lake.table("contacts")
    k = k.filter(k.campaign_id.notnull())
    k = k.select(
        campaign_id=k.campaign_id.cast("string"),
        customer_id=k.customer_id.cast("string"),
        channel=k.channel,
        ts=k.ts.cast("timestamp"),
    )
    # A member's touch on a channel is their first contact on it (a call's first attempt).
    touches = k.group_by(["campaign_id", "customer_id", "channel"]).aggregate(touch_at=k.ts.min())
    used = touches.select("campaign_id", "channel").distinct()
    single = used.group_by("campaign_id").aggregate(n_channels=used.count())
    used = used.join(single, "campaign_id")
    pairs = m.join(used, "campaign_id")
    # The control group is the comparison of a single-channel campaign only (in a multi-channel one it lacks the
    # other channels' touches too).
    pairs = pairs.filter(pairs.treated | (pairs.n_channels == 1)).drop("treated", "n_channels")
    pairs = pairs.left_join(touches, ["campaign_id", "customer_id", "channel"])
    pairs = pairs.drop("campaign_id_right", "customer_id_right", "channel_right")
    pairs = pairs.mutate(touched=pairs.touch_at.notnull())
    pairs = _with_consent(lake, pairs)
    pairs = pairs.filter(pairs.touched | pairs.consented)
    pairs = member_strata(lake, pairs, cutoff.date())
    pairs = _live(lake, pairs)
    won = _converted(lake, m)
    pairs = pairs.left_join(won, ["campaign_id", "customer_id"]).drop("campaign_id_right", "customer_id_right")
    keys = ["campaign_id", "channel", "touched", "stratum", "live", "moments", "seen"]
    return pairs.group_by(keys).aggregate(members=pairs.count(), converted=pairs.won.fill_null(0).sum())


def _with_consent(lake: Lake, pairs: ir.Table) -> ir.Table:
    """``consented``: the channel's consent in force at assignment (messages: newest consents row at or before it;
    calls: customers.consent_marketing)."""
    cust = lake.table("customers")
    call_ok = cust.consent_marketing.fill_null(False) if "consent_marketing" in cust.columns else ibis.literal(False)
    calls = cust.select(customer_id=cust.customer_id.cast("string"), call_ok=call_ok)
    pairs = pairs.left_join(calls, "customer_id").drop("customer_id_right")
    granted = ibis.literal(False)
    if lake.has("consents"):
        s = lake.table("consents")
        s = s.filter(s.purpose == "marketing").select(
            sid=s.customer_id.cast("string"), sch=s.channel.cast("string"), sts=s.ts.cast("timestamp"), ok=s.granted
        )
        hit = pairs.join(s, (pairs.customer_id == s.sid) & (pairs.channel == s.sch) & (s.sts <= pairs.assigned_at))
        newest = hit.group_by(["campaign_id", "customer_id", "channel"]).aggregate(
            msg_ok=hit.ok.fill_null(False).argmax(hit.sts)
        )
        pairs = pairs.left_join(newest, ["campaign_id", "customer_id", "channel"])
        pairs = pairs.drop("campaign_id_right", "customer_id_right", "channel_right")
        granted = pairs.msg_ok.fill_null(False)
    consented = (pairs.channel == "call").ifelse(pairs.call_ok.fill_null(False), granted)
    out = pairs.mutate(consented=consented).drop("call_ok")
    return out.drop("msg_ok") if "msg_ok" in out.columns else out


def _converted(lake: Lake, m: ir.Table) -> ir.Table:
    k = lake.table("conversions")
    k = k.select(kid=k.customer_id.cast("string"), kproduct=k.product_id.cast("string"), kts=k.ts.cast("timestamp"))
    hit = m.join(k, (m.customer_id == k.kid) & (m.product_id == k.kproduct) & (k.kts >= m.assigned_at))
    hit = hit.filter(hit.kts < hit.outcome_end)
    return hit.select("campaign_id", "customer_id").distinct().mutate(won=ibis.literal(1))


def moment_ids() -> tuple[str, ...]:
    """The moments measured one by one: the shipped triggers, in catalogue order (bit ``i`` of ``moments``)."""
    from callwise.moments import default_triggers

    return tuple(t.id for t in default_triggers())


def _live(lake: Lake, pairs: ir.Table) -> ir.Table:
    """``moments``: the moments live when the member was touched on the channel, as bits (bit ``i`` = the ``i``-th
    of :func:`moment_ids`; 0 none), and ``live`` (any). A touch is judged at its time; a member the channel did not
    touch at the mean touch time of the campaign's channel (touches fall at random times, so the untouched are
    judged where the touched are on average).

    The shipped triggers are evaluated as of every ``BUILD_EVERY_DAYS``-th day from the campaign's first touch
    day to its last (from rows strictly before that day's midnight); a moment of a build at or before the judging
    time counts when its window [started_at, expires_at) holds that time. A moment that starts after the last
    build before a touch is not seen (no row after a build is read for it)."""
    if not lake.has(MOMENTS):
        return pairs.mutate(live=ibis.literal(False), moments=ibis.literal(0, "int64"), seen=ibis.literal(0, "int64"))
    from callwise.moments import default_triggers, moments_table

    ts = pairs.touch_at
    spans = to_pandas(
        pairs.filter(pairs.touched)
        .group_by(["campaign_id", "channel"])
        .aggregate(lo=ts.min(), hi=ts.max(), mean=ts.epoch_seconds().mean())
    )
    if spans.empty:
        return pairs.mutate(
            live=ibis.literal(False), moments=ibis.literal(0, "int64"), seen=ibis.literal(0, "int64")
        ).drop("touch_at")
    mean_at = pd.to_datetime(spans["mean"].astype(float), unit="s").dt.floor("s")
    means = pa.table(
        {
            "campaign_id": pa.array(spans["campaign_id"].astype(str), pa.string()),
            "channel": pa.array(spans["channel"].astype(str), pa.string()),
            "mean_at": pa.array(mean_at, pa.timestamp("us")),
        }
    )
    pairs = pairs.left_join(ibis.memtable(means), ["campaign_id", "channel"])
    pairs = pairs.drop("campaign_id_right", "channel_right")
    pairs = pairs.mutate(judged_at=pairs.touch_at.fill_null(pairs.mean_at)).drop("touch_at", "mean_at")
    span = spans.groupby("campaign_id").agg(lo=("lo", "min"), hi=("hi", "max"))
    triggers = default_triggers()
    parts = []
    for campaign_id, row in span.iterrows():  # a few builds per past campaign, not a loop over rows
        first, last = pd.Timestamp(row["lo"]).floor("D"), pd.Timestamp(row["hi"])
        for at in pd.date_range(first, last, freq=f"{BUILD_EVERY_DAYS}D"):
            built = moments_table(lake, triggers, at.to_pydatetime())
            parts.append(
                built.select(
                    mid=built.customer_id.cast("string"),
                    moment_id=built.moment_id,
                    started_at=built.started_at,
                    expires_at=built.expires_at,
                    mcampaign=ibis.literal(str(campaign_id), "string"),
                    built=ibis.literal(at.to_pydatetime(), "timestamp"),
                )
            )
    if not parts:
        return pairs.mutate(
            live=ibis.literal(False), moments=ibis.literal(0, "int64"), seen=ibis.literal(0, "int64")
        ).drop("judged_at")
    found = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    keys = pairs.select("campaign_id", "customer_id", "channel", "judged_at")
    hit = keys.join(
        found,
        (keys.campaign_id == found.mcampaign)
        & (keys.customer_id == found.mid)
        & (found.built <= keys.judged_at)
        & (found.started_at <= keys.judged_at)
        & (found.expires_at > keys.judged_at),
    )
    hit = hit.select("campaign_id", "customer_id", "channel", "moment_id").distinct()
    bits = hit.group_by(["campaign_id", "customer_id", "channel"]).aggregate(moments=_bits(hit.moment_id).sum())
    pairs = pairs.left_join(bits, ["campaign_id", "customer_id", "channel"])
    pairs = pairs.drop("campaign_id_right", "customer_id_right", "channel_right", "judged_at")
    # ``seen``: the moments the member had in any build of the campaign (the kind of customer a moment comes to,
    # whether or not it was live at the touch): the comparison a moment's own boost is measured against.
    any_build = found.select(campaign_id="mcampaign", customer_id="mid", moment_id="moment_id").distinct()
    seen = any_build.group_by(["campaign_id", "customer_id"]).aggregate(seen=_bits(any_build.moment_id).sum())
    pairs = pairs.left_join(seen, ["campaign_id", "customer_id"]).drop("campaign_id_right", "customer_id_right")
    moments = pairs.moments.fill_null(0).cast("int64")
    return pairs.mutate(moments=moments, live=moments > 0, seen=pairs.seen.fill_null(0).cast("int64"))


def _bits(moment_id: ir.StringValue) -> ir.IntegerValue:
    """Bit ``i`` for the ``i``-th of :func:`moment_ids` (0 for a moment of no shipped trigger)."""
    cases = ((moment_id == m, ibis.literal(1 << i, "int64")) for i, m in enumerate(moment_ids()))
    return ibis.cases(*cases, else_=ibis.literal(0, "int64"))


def estimate_effects(lake: Lake, cutoff: datetime, channels: tuple[str, ...] = CHANNELS) -> ChannelEffects:
    """Each channel's increment and ratio to the call's per stratum, and the moment boost, from campaigns whose
    outcomes all precede ``cutoff``."""
    expr = member_outcomes(lake, cutoff)
    rows = to_pandas(expr) if expr is not None else pd.DataFrame()
    if rows.empty:
        return ChannelEffects({ch: ChannelEffect(ch, 0.0, 0.0, 0, 0) for ch in channels}, cutoff, lake.has(MOMENTS))
    rows["touched"] = rows["touched"].astype(bool)
    rows["live"] = rows["live"].astype(bool)
    effects = {ch: _channel_effect(rows, ch) for ch in channels}
    boost, touched, boosts, touched_by = _boost(rows)
    return ChannelEffects(effects, cutoff, lake.has(MOMENTS), boost, touched, boosts, touched_by)


def _per_campaign(rows: pd.DataFrame) -> pd.DataFrame:
    """Per campaign: touched members, increment (touched − could have been), its variance."""
    if rows.empty:
        return pd.DataFrame(columns=["n", "inc", "var"])
    g = rows.groupby(["campaign_id", "touched"])[["members", "converted"]].sum().unstack("touched", fill_value=0)
    if (True not in g["members"].columns) or (False not in g["members"].columns):
        return pd.DataFrame(columns=["n", "inc", "var"])
    n1, n0 = g["members"][True].astype(float), g["members"][False].astype(float)
    ok = (n1 > 0) & (n0 > 0)
    n1, n0 = n1[ok], n0[ok]
    r1, r0 = g["converted"][True][ok] / n1, g["converted"][False][ok] / n0
    return pd.DataFrame({"n": n1, "inc": r1 - r0, "var": r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0})


def _pooled(per: pd.DataFrame) -> tuple[float, float, int, int]:
    if per.empty or per["n"].sum() <= 0:
        return 0.0, 0.0, 0, 0
    w = per["n"] / per["n"].sum()
    return float((w * per["inc"]).sum()), float(np.sqrt((w**2 * per["var"]).sum())), int(per["n"].sum()), len(per)


def _channel_effect(rows: pd.DataFrame, channel: str) -> ChannelEffect:
    mine = rows[rows["channel"] == channel]
    raw, se, n, campaigns = _pooled(_per_campaign(mine))
    overall = raw * n / (n + SHRINK_MEMBERS)  # a channel barely tried is assumed to add little
    by_stratum = {}
    for name in STRATA:
        inc, _, n_s, _ = _pooled(_per_campaign(mine[mine["stratum"] == name]))
        w = n_s / (n_s + SHRINK_MEMBERS)
        by_stratum[name] = float(w * inc + (1 - w) * overall)
    ratio, ratio_by_stratum = _ratio(rows, channel)
    return ChannelEffect(channel, overall, se, n, campaigns, by_stratum, ratio, ratio_by_stratum)


def _ratio(rows: pd.DataFrame, channel: str) -> tuple[float | None, dict[str, float]]:
    """The channel's increment over the call's, in the campaigns that used both (overall and per stratum)."""
    if channel == "call":
        return 1.0, dict.fromkeys(STRATA, 1.0)
    both = set(rows.loc[rows["channel"] == "call", "campaign_id"]) & set(
        rows.loc[rows["channel"] == channel, "campaign_id"]
    )
    shared = rows[rows["campaign_id"].isin(both)]

    def ratio_of(part: pd.DataFrame) -> tuple[float | None, int]:
        msg, _, n, _ = _pooled(_per_campaign(part[part["channel"] == channel]))
        call, _, _, _ = _pooled(_per_campaign(part[part["channel"] == "call"]))
        if n == 0 or call <= 0:
            return None, 0
        return float(np.clip(msg / call, *RATIO_RANGE)), n

    raw, n_all = ratio_of(shared)
    if raw is None:
        return None, {}
    overall = raw * n_all / (n_all + SHRINK_MEMBERS)
    by_stratum = {}
    for name in STRATA:
        r, n = ratio_of(shared[shared["stratum"] == name])
        w = n / (n + SHRINK_MEMBERS) if r is not None else 0.0
        by_stratum[name] = float(w * (r or 0.0) + (1 - w) * overall)
    return overall, by_stratum


def _ratio_to_rest(part: pd.DataFrame, rest: pd.DataFrame) -> tuple[float | None, int]:
    """The pooled increment of ``part`` over that of ``rest`` in the same experiments (each campaign × channel),
    weighted alike (by ``part``'s touched members), so campaigns of different products and channels do not mix in."""
    mine, other = _per_campaign_channel(part), _per_campaign_channel(rest)
    both = mine.join(other.add_suffix("_rest"), how="inner")
    n = int(both["n"].sum()) if not both.empty else 0
    if n == 0:
        return None, int(mine["n"].sum()) if not mine.empty else 0
    w = both["n"] / both["n"].sum()
    inc, inc_rest = float((w * both["inc"]).sum()), float((w * both["inc_rest"]).sum())
    if inc_rest <= 0:
        return None, n
    return float(np.clip(inc / inc_rest, *BOOST_RANGE)), n


def _boost(rows: pd.DataFrame) -> tuple[float, int, dict[str, float], dict[str, int]]:
    """The pooled boost (increment with any moment live at the touch over the increment with none, shrunk to 1 by
    the live touched members) and one per moment (shrunk to the pooled boost the same way), measured against the
    touches of the customers the moment came to in the campaign with nothing live at the touch (``seen``). A touch
    with several live moments counts for the one of them with the largest boost (the largest holds), found by
    estimating twice: first with every touch counting for each of its moments, then by the first round's largest."""
    ids = moment_ids()
    bits = rows["moments"].astype("int64").to_numpy()
    rest = rows[bits == 0]
    raw, n_live = _ratio_to_rest(rows[bits != 0], rest)
    if raw is None:
        return 1.0, n_live, {}, {}
    w = n_live / (n_live + SHRINK_MEMBERS)
    pooled = float(w * raw + (1 - w))
    has = np.stack([(bits >> i) & 1 == 1 for i in range(len(ids))], axis=1)

    seen = rows["seen"].astype("int64").to_numpy() if "seen" in rows else bits

    def estimate(member: np.ndarray) -> tuple[dict[str, float], dict[str, int]]:
        boosts, touched = {}, {}
        for i, moment in enumerate(ids):
            # against the touches of the same kind of customer (the moment came to them in the campaign) with
            # nothing live: a moment that comes to customers who answer more does not pass for a boost
            alike = rows[(bits == 0) & ((seen >> i) & 1 == 1)]
            r, n = _ratio_to_rest(rows[member[:, i]], alike)
            touched[moment] = n
            w = n / (n + SHRINK_MEMBERS) if r is not None else 0.0
            boosts[moment] = float(w * (r or 0.0) + (1 - w) * pooled)
        return boosts, touched

    first, _ = estimate(has)
    order = np.array([first[m] for m in ids])
    top = np.argmax(np.where(has, order[None, :], -np.inf), axis=1)
    boosts, touched = estimate(has & (np.arange(len(ids))[None, :] == top[:, None]))
    return pooled, n_live, boosts, touched


def _per_campaign_channel(rows: pd.DataFrame) -> pd.DataFrame:
    """Like ``_per_campaign`` with every (campaign, channel) as its own experiment."""
    if rows.empty:
        return pd.DataFrame(columns=["n", "inc", "var"])
    keyed = rows.assign(campaign_id=rows["campaign_id"].astype(str) + "|" + rows["channel"].astype(str))
    return _per_campaign(keyed)
