"""The overview's numbers: KPI tiles with their daily trend and the previous period, and one row per campaign.

Everything here is read from the ops DB with aggregate queries (``callwise.board.overview_queries``): volumes from
the outcome roll-ups, treatment-vs-control from ``list_members`` and ``conversions``. The estimators are the
results package's (Newcombe's interval of the difference in conversion rates × treatment members; ROI through
``value_for_money``); what differs from ``results_for`` is the data: the overview counts the conversions the ops
DB holds, in the period shown, by members after their assignment (docs/dashboard/overview.md). It never reads the
lake's outcome history, so a page over a million outcomes costs a few GROUP BYs.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.board.filters import Filters
from callwise.board.overview_queries import MEMBERS, VOLUMES, member_conversions, period_converters, volumes
from callwise.ops.models import Campaign
from callwise.results.effect import value_for_money
from callwise.results.intervals import newcombe, z_value

ALPHA = 0.05
KPIS = ("dials", "connect_rate", "conversion_per_connect", "incremental", "roi", "complaints_per_1k", "dnc_per_1k")
# Better when higher (True) or lower (False): colours a tile's change against the previous period.
HIGHER_IS_BETTER = {k: k not in ("complaints_per_1k", "dnc_per_1k") for k in KPIS}


@dataclass(frozen=True)
class Kpi:
    """One tile: its value in the period, in the previous period, per day, and an interval where estimated."""

    name: str
    value: float | None
    previous: float | None
    trend: list[float]
    low: float | None = None
    high: float | None = None
    note: str | None = None  # why there is no value (an i18n key suffix), e.g. "by_team"


@dataclass(frozen=True)
class Overview:
    start: date
    end: date
    previous_start: date
    previous_end: date
    days: list[date]
    daily: dict[str, list[float]]  # dials, connects, conversions, incremental per day of the period
    kpis: list[Kpi]
    campaigns: list[dict[str, Any]]  # one row per campaign, by dials (most first)
    members_counted_at: datetime  # when the members per group were last counted (they change with issued lists)
    has_outcomes: bool
    teams: list[str] = field(default_factory=list)


def overview(
    session: Session,
    filters: Filters,
    today: date,
    bank_timezone: str = "Asia/Shanghai",
    team_agents: Sequence[str] | None = None,
    product_values: Mapping[str, float] | None = None,
) -> Overview:
    """The overview for ``filters`` as of ``today`` (the bank's local date).

    ``team_agents``: the agents of ``filters.team`` (None: no team filter); ``product_values``: value per
    conversion by product (the lake's products), else the campaign spec's ``value_per_conversion``.
    """
    start, end = filters.period(today)
    prev_start, prev_end = filters.previous(today)
    campaigns = _campaigns(session, filters)
    scoped = None if filters.campaign is None and filters.product is None else list(campaigns)
    agents = None if filters.team is None else list(team_agents or [])
    vol = volumes(session, prev_start, end, bank_timezone, scoped, agents)
    current = vol[vol["day"] >= start]
    previous = vol[vol["day"] < start]
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    by_day = current.groupby("day")[list(VOLUMES)].sum().reindex(days, fill_value=0)

    members, counted_at = MEMBERS.counts(session)
    ids = list(campaigns)
    experiment = agents is None and bool(ids)
    periods = [(start, end), (prev_start, prev_end)]
    convs = period_converters(session, periods, bank_timezone, ids) if experiment else None
    daily_convs = member_conversions(session, start, end, bank_timezone, ids) if experiment else None
    values = {cid: _value(info, product_values) for cid, info in campaigns.items()}

    table = _campaign_rows(campaigns, current, members, convs, values, experiment)
    now_inc = _effects(members, convs, 0, campaigns, values, current) if experiment else None
    before_inc = _effects(members, convs, 1, campaigns, values, previous) if experiment else None
    inc_trend = _daily_incremental(members, daily_convs, days, ids) if experiment else [0.0] * len(days)

    def total(frame: pd.DataFrame, name: str) -> float:
        return float(frame[name].sum()) if len(frame) else 0.0

    def rate(frame: pd.DataFrame, num: str, den: str, per: float = 1.0) -> float | None:
        d = total(frame, den)
        return per * total(frame, num) / d if d else None

    def trend(num: str, den: str | None = None, per: float = 1.0) -> list[float]:
        if den is None:
            return [float(v) for v in by_day[num]]
        d = by_day[den].to_numpy(dtype=float)
        return [float(v) for v in np.where(d > 0, per * by_day[num].to_numpy(dtype=float) / np.where(d > 0, d, 1), 0)]

    note = None if experiment else ("by_team" if agents is not None else "no_campaigns")
    kpis = [
        Kpi("dials", total(current, "dials"), total(previous, "dials"), trend("dials")),
        Kpi(
            "connect_rate",
            rate(current, "connects", "dials"),
            rate(previous, "connects", "dials"),
            trend("connects", "dials"),
        ),
        Kpi(
            "conversion_per_connect",
            rate(current, "conversions", "connects"),
            rate(previous, "conversions", "connects"),
            trend("conversions", "connects"),
        ),
        Kpi(
            "incremental",
            None if now_inc is None else now_inc["incremental"],
            None if before_inc is None else before_inc["incremental"],
            inc_trend,
            None if now_inc is None else now_inc["low"],
            None if now_inc is None else now_inc["high"],
            note,
        ),
        Kpi(
            "roi",
            None if now_inc is None else now_inc["roi"],
            None if before_inc is None else before_inc["roi"],
            [],
            None if now_inc is None else now_inc["roi_low"],
            None if now_inc is None else now_inc["roi_high"],
            note,
        ),
        Kpi(
            "complaints_per_1k",
            rate(current, "complaints", "dials", 1000),
            rate(previous, "complaints", "dials", 1000),
            trend("complaints", "dials", 1000),
        ),
        Kpi(
            "dnc_per_1k",
            rate(current, "dnc", "dials", 1000),
            rate(previous, "dnc", "dials", 1000),
            trend("dnc", "dials", 1000),
        ),
    ]
    return Overview(
        start=start,
        end=end,
        previous_start=prev_start,
        previous_end=prev_end,
        days=days,
        daily={
            "dials": trend("dials"),
            "connects": trend("connects"),
            "conversions": trend("conversions"),
            "incremental": inc_trend,
        },
        kpis=kpis,
        campaigns=table,
        members_counted_at=counted_at,
        has_outcomes=bool(len(vol)),
    )


def _campaigns(session: Session, filters: Filters) -> dict[str, dict[str, Any]]:
    k = Campaign
    query = select(k.campaign_id, k.name, k.status, k.product_id, k.spec)
    if filters.campaign is not None:
        query = query.where(k.campaign_id == filters.campaign)
    if filters.product is not None:
        query = query.where(k.product_id == filters.product)
    return {
        r.campaign_id: {"name": r.name, "status": r.status, "product_id": r.product_id, "spec": r.spec or {}}
        for r in session.execute(query.order_by(k.campaign_id))
    }


def _value(info: Mapping[str, Any], product_values: Mapping[str, float] | None) -> float | None:
    if product_values and info["product_id"] in product_values:
        return float(product_values[info["product_id"]])
    value = info["spec"].get("value_per_conversion")
    return float(value) if isinstance(value, int | float) else None


def _cost(spec: Mapping[str, Any], dials: float, talk_seconds: float) -> float:
    """What the period's calls cost by the campaign's settings: per dial and per connected minute."""
    per_call = float(spec.get("cost_per_call") or 0.0)
    per_minute = float(spec.get("cost_per_minute") or 0.0)
    return per_call * dials + per_minute * talk_seconds / 60


def _counts(members: pd.DataFrame, convs: pd.DataFrame | None, period: int, ids: Sequence[str]) -> pd.DataFrame:
    """Per campaign of ``ids``: members and converted members of treatment and control."""
    n = members.pivot_table(index="campaign_id", columns="group", values="members", aggfunc="sum")
    out = pd.DataFrame(index=pd.Index(list(ids), name="campaign_id"))
    for group in ("treatment", "control"):
        out[f"n_{group}"] = n.get(group, 0)
        out[f"c_{group}"] = 0.0
    if convs is not None and len(convs):
        mine = convs[convs["period"] == period]
        c = mine.pivot_table(index="campaign_id", columns="group", values="converted", aggfunc="sum")
        for group in ("treatment", "control"):
            if group in c:
                out[f"c_{group}"] = c[group]
    return out.fillna(0.0).astype(float)


def _newcombe_incremental(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Incremental conversions n_t × lift with Newcombe's interval, per campaign; ``ok`` where both groups exist."""
    ok = ((counts["n_treatment"] > 0) & (counts["n_control"] > 0)).to_numpy()
    nt = counts["n_treatment"].to_numpy()
    lift, low, high = newcombe(
        counts["c_treatment"].to_numpy(),
        np.where(ok, nt, 1),
        counts["c_control"].to_numpy(),
        np.where(ok, counts["n_control"].to_numpy(), 1),
        z_value(ALPHA),
    )
    return ok, nt * lift, nt * low, nt * high


def _roi(
    values: Mapping[str, float | None],
    ids: Sequence[str],
    inc: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    costs: Sequence[float],
) -> list[dict[str, Any] | None]:
    """ROI with its interval per campaign, by ``value_for_money`` (None without a value per conversion)."""
    out: list[dict[str, Any] | None] = []
    for i, cid in enumerate(ids):
        value = values.get(cid)
        if value is None or not np.isfinite(inc[i]):
            out.append(None)
            continue
        revenue = {"estimate": value * inc[i], "low": value * lo[i], "high": value * hi[i], "method": "newcombe"}
        itt = {
            "revenue": {"incremental": revenue},
            "incremental_conversions": {"estimate": inc[i], "low": lo[i], "high": hi[i]},
        }
        out.append(value_for_money(itt, float(costs[i]))["roi"])
    return out


def _effects(
    members: pd.DataFrame,
    convs: pd.DataFrame | None,
    period: int,
    campaigns: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, float | None],
    vol: pd.DataFrame,
) -> dict[str, float | None]:
    """The period's incremental conversions and ROI over all campaigns of ``ids``.

    The campaigns' intervals are combined as independent estimates: the half-widths on each side add in squares.
    """
    ids = list(campaigns)
    counts = _counts(members, convs, period, ids)
    ok, inc, lo, hi = _newcombe_incremental(counts)
    out: dict[str, float | None] = {"incremental": None, "low": None, "high": None}
    out |= {"roi": None, "roi_low": None, "roi_high": None}
    if not ok.any():
        return out
    est = float(inc[ok].sum())
    low = est - math.sqrt(float(((inc - lo)[ok] ** 2).sum()))
    high = est + math.sqrt(float(((hi - inc)[ok] ** 2).sum()))
    out |= {"incremental": est, "low": low, "high": high}
    spent = vol.groupby("campaign_id")[["dials", "talk_seconds"]].sum().reindex(ids, fill_value=0)
    dials, talk = spent["dials"].to_numpy(dtype=float), spent["talk_seconds"].to_numpy(dtype=float)
    valued = [i for i, cid in enumerate(ids) if ok[i] and values.get(cid) is not None]
    if valued:
        cost = sum(_cost(campaigns[ids[i]]["spec"], float(dials[i]), float(talk[i])) for i in valued)
        gain = [float(values[ids[i]] or 0.0) for i in valued]
        revenue = sum(g * inc[i] for g, i in zip(gain, valued, strict=True))
        half_lo = math.sqrt(sum((g * (inc[i] - lo[i])) ** 2 for g, i in zip(gain, valued, strict=True)))
        half_hi = math.sqrt(sum((g * (hi[i] - inc[i])) ** 2 for g, i in zip(gain, valued, strict=True)))
        itt = {
            "revenue": {
                "incremental": {
                    "estimate": revenue,
                    "low": revenue - half_lo,
                    "high": revenue + half_hi,
                    "method": "newcombe",
                }
            },
            "incremental_conversions": {"estimate": est, "low": low, "high": high},
        }
        roi = value_for_money(itt, cost)["roi"]
        out |= {"roi": roi["estimate"], "roi_low": roi["low"], "roi_high": roi["high"]}
    return out


def _daily_incremental(
    members: pd.DataFrame, daily: pd.DataFrame | None, days: Sequence[date], ids: Sequence[str]
) -> list[float]:
    """Per day: Σ over campaigns of treatment conversions − n_t × control conversions / n_c (the point estimate)."""
    if daily is None or not len(daily):
        return [0.0] * len(days)
    n = members.pivot_table(index="campaign_id", columns="group", values="members", aggfunc="sum")
    n = n.reindex(list(ids)).fillna(0.0)
    if "treatment" not in n or "control" not in n:
        return [0.0] * len(days)
    ratio = (n["treatment"] / n["control"].where(n["control"] > 0)).dropna()
    frame = daily[daily["campaign_id"].isin(ratio.index)]
    sign = np.where(frame["group"] == "treatment", 1.0, -frame["campaign_id"].map(ratio).to_numpy(dtype=float))
    per_day = (frame["converted"].to_numpy(dtype=float) * sign).tolist()
    summed = pd.Series(per_day, index=frame["day"].to_numpy()).groupby(level=0).sum()
    return [float(summed.get(d, 0.0)) for d in days]


def _campaign_rows(
    campaigns: Mapping[str, Mapping[str, Any]],
    current: pd.DataFrame,
    members: pd.DataFrame,
    convs: pd.DataFrame | None,
    values: Mapping[str, float | None],
    experiment: bool,
) -> list[dict[str, Any]]:
    """One row per campaign: status, volumes, incremental with its interval, ROI, complaints per 1,000 dials."""
    ids = list(campaigns)
    sums = current.groupby("campaign_id")[list(VOLUMES)].sum().reindex(ids, fill_value=0)
    col = {name: sums[name].to_numpy(dtype=float) for name in VOLUMES}
    costs = [
        _cost(campaigns[c]["spec"], float(col["dials"][i]), float(col["talk_seconds"][i])) for i, c in enumerate(ids)
    ]
    if experiment:
        ok, inc, lo, hi = _newcombe_incremental(_counts(members, convs, 0, ids))
        rois = _roi(values, ids, np.where(ok, inc, np.nan), lo, hi, costs)
    else:
        ok = np.zeros(len(ids), dtype=bool)
        inc = lo = hi = np.full(len(ids), np.nan)
        rois = [None] * len(ids)
    rows = []
    for i, cid in enumerate(ids):
        dials, connects = float(col["dials"][i]), float(col["connects"][i])
        roi = rois[i] or {}
        rows.append(
            {
                "campaign_id": cid,
                "name": campaigns[cid]["name"],
                "status": campaigns[cid]["status"],
                "product_id": campaigns[cid]["product_id"],
                "dials": int(dials),
                "connect_rate": connects / dials if dials else None,
                "conversions": int(col["conversions"][i]),
                "incremental": float(inc[i]) if ok[i] else None,
                "incremental_low": float(lo[i]) if ok[i] else None,
                "incremental_high": float(hi[i]) if ok[i] else None,
                "roi": roi.get("estimate"),
                "roi_low": roi.get("low"),
                "roi_high": roi.get("high"),
                "complaints_per_1k": 1000 * float(col["complaints"][i]) / dials if dials else None,
            }
        )
    rows.sort(key=lambda r: (-r["dials"], r["campaign_id"]))
    return rows


class _TeamCache:
    """Agent → team from the lake's ``agents`` table, read once per lake and kept for five minutes."""

    TTL = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[float, dict[str, list[str]]]] = {}

    def teams(self, lake: Any) -> dict[str, list[str]]:
        if lake is None or not lake.has("agents"):
            return {}
        with self._lock:
            found = self._entries.get(id(lake))
            if found is not None and time.monotonic() - found[0] < self.TTL:
                return found[1]
        table = lake.table("agents")
        if not {"agent_id", "team"} <= set(table.columns):
            return {}
        rows = table.select(agent_id=table.agent_id.cast("string"), team=table.team.cast("string")).to_pyarrow()
        frame = rows.to_pandas().dropna()
        teams = {str(t): sorted(map(str, g["agent_id"])) for t, g in frame.groupby("team")}
        with self._lock:
            self._entries[id(lake)] = (time.monotonic(), teams)
        return teams


TEAMS = _TeamCache()
