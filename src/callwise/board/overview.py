"""The overview's numbers: KPI tiles with their daily trend and the previous period, and one row per campaign.

Everything here is read from the ops DB with aggregate queries (``callwise.board.overview_queries``): volumes from
the outcome roll-ups, treatment-vs-control from ``list_members`` and ``conversions``. The estimators are the
results package's (Newcombe's interval of the difference in conversion rates × treatment members; ROI through
``value_for_money``); what differs from ``results_for`` is the data: the overview counts the conversions the ops
DB holds, in the period shown, by members after their assignment (docs/dashboard/overview.md). It never reads the
lake's outcome history, so a page over a million outcomes costs a few GROUP BYs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.board.filters import Filters
from callwise.board.overview_queries import MEMBERS, VOLUMES, ZERO, daily_converters, period_converters, volumes
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
    ids = list(campaigns)
    scoped = None if filters.campaign is None and filters.product is None else ids
    agents = None if filters.team is None else list(team_agents or [])
    by_day, by_campaign = volumes(session, start, end, prev_start, bank_timezone, scoped, agents)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    daily = {name: [by_day.get(d, ZERO)[i] for d in days] for i, name in enumerate(VOLUMES)}
    totals = [_sum(v for (_, p), v in by_campaign.items() if p == period) for period in (0, 1)]

    members, counted_at = MEMBERS.counts(session)
    experiment = agents is None and bool(ids)
    values = {cid: _value(info, product_values) for cid, info in campaigns.items()}
    effects: list[dict[str, Any] | None] = [None, None]
    rows_effect: dict[str, Any] = {}
    inc_trend = [0.0] * len(days)
    if experiment:
        converted = period_converters(session, [(start, end), (prev_start, prev_end)], bank_timezone, ids)
        for period in (0, 1):
            counts = _counts(members, converted, period, ids)
            spent = [by_campaign.get((cid, period), ZERO) for cid in ids]
            costs = np.array([_cost(campaigns[c]["spec"], v[0], v[5]) for c, v in zip(ids, spent, strict=True)])
            effect = _effect(counts, costs, np.array([np.nan if values[c] is None else values[c] for c in ids]))
            effects[period] = effect
            if period == 0:
                rows_effect = effect
        inc_trend = _daily_incremental(members, daily_converters(session, start, end, bank_timezone, ids), days, ids)

    def rate(v: Sequence[float], num: int, den: int, per: float = 1.0) -> float | None:
        return per * v[num] / v[den] if v[den] else None

    def trend(num: int, den: int | None = None, per: float = 1.0) -> list[float]:
        top = daily[VOLUMES[num]]
        if den is None:
            return list(top)
        return [per * a / b if b else 0.0 for a, b in zip(top, daily[VOLUMES[den]], strict=True)]

    def tile(name: str, num: int, den: int | None = None, per: float = 1.0) -> Kpi:
        if den is None:
            return Kpi(name, totals[0][num], totals[1][num], trend(num))
        return Kpi(name, rate(totals[0], num, den, per), rate(totals[1], num, den, per), trend(num, den, per))

    note = None if experiment else ("by_team" if agents is not None else "no_campaigns")
    now, before = effects
    kpis = [
        tile("dials", 0),
        tile("connect_rate", 1, 0),
        tile("conversion_per_connect", 2, 1),
        Kpi("incremental", _get(now, "total"), _get(before, "total"), inc_trend, _get(now, "total_low"),
            _get(now, "total_high"), note),
        Kpi("roi", _get(now, "total_roi"), _get(before, "total_roi"), [], _get(now, "total_roi_low"),
            _get(now, "total_roi_high"), note),
        tile("complaints_per_1k", 3, 0, 1000),
        tile("dnc_per_1k", 4, 0, 1000),
    ]  # fmt: skip
    return Overview(
        start=start,
        end=end,
        previous_start=prev_start,
        previous_end=prev_end,
        days=days,
        daily={
            "dials": daily["dials"],
            "connects": daily["connects"],
            "conversions": daily["conversions"],
            "incremental": inc_trend,
        },
        kpis=kpis,
        campaigns=_campaign_rows(campaigns, by_campaign, rows_effect),
        members_counted_at=counted_at,
        has_outcomes=bool(by_campaign),
    )


def _get(effect: Mapping[str, Any] | None, name: str) -> float | None:
    if effect is None:
        return None
    value = effect.get(name)
    return None if value is None else float(value)


def _sum(rows: Any) -> list[float]:
    total = [0.0] * len(VOLUMES)
    for row in rows:
        total = [a + b for a, b in zip(total, row, strict=True)]
    return total


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


def _counts(
    members: Mapping[tuple[str, str], int],
    converted: Mapping[tuple[str, str, int], int],
    period: int,
    ids: Sequence[str],
) -> dict[str, np.ndarray]:
    """Per campaign of ``ids`` (arrays in that order): members and converted members of each group."""
    out = {}
    for group in ("treatment", "control"):
        out[f"n_{group}"] = np.array([members.get((c, group), 0) for c in ids], dtype=float)
        out[f"c_{group}"] = np.array([converted.get((c, group, period), 0) for c in ids], dtype=float)
    return out


def _effect(counts: Mapping[str, np.ndarray], costs: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """Incremental conversions n_t × lift (Newcombe) and ROI (``value_for_money``) per campaign, and in total.

    The total's interval combines the campaigns' as independent estimates (half-widths add in squares on each
    side); its ROI counts the campaigns with a value per conversion."""
    nt, nc = counts["n_treatment"], counts["n_control"]
    ok = (nt > 0) & (nc > 0)
    lift, low, high = newcombe(counts["c_treatment"], np.where(ok, nt, 1), counts["c_control"], np.where(ok, nc, 1),
                               z_value(ALPHA))  # fmt: skip
    inc, lo, hi = np.where(ok, nt * lift, np.nan), np.where(ok, nt * low, np.nan), np.where(ok, nt * high, np.nan)
    rois = [_roi(float(inc[i]), float(lo[i]), float(hi[i]), float(values[i]), float(costs[i])) for i in range(len(nt))]
    out: dict[str, Any] = {"ok": ok, "inc": inc, "lo": lo, "hi": hi, "roi": rois}
    if ok.any():
        est = float(inc[ok].sum())
        out |= {"total": est, "total_low": est - float(np.sqrt(((inc - lo)[ok] ** 2).sum())),
                "total_high": est + float(np.sqrt(((hi - inc)[ok] ** 2).sum()))}  # fmt: skip
    valued = ok & np.isfinite(values)
    if valued.any():
        v = values[valued]
        revenue = float((v * inc[valued]).sum())
        half_lo = float(np.sqrt(((v * (inc - lo)[valued]) ** 2).sum()))
        half_hi = float(np.sqrt(((v * (hi - inc)[valued]) ** 2).sum()))
        total = _roi_of(revenue, revenue - half_lo, revenue + half_hi, float(costs[valued].sum()))
        out |= {
            "total_roi": total.get("estimate"),
            "total_roi_low": total.get("low"),
            "total_roi_high": total.get("high"),
        }
    return out


def _roi(inc: float, lo: float, hi: float, value: float, cost: float) -> dict[str, Any] | None:
    if not (np.isfinite(inc) and np.isfinite(value)):
        return None
    return _roi_of(value * inc, value * lo, value * hi, cost)


def _roi_of(revenue: float, low: float, high: float, cost: float) -> dict[str, Any]:
    """ROI = (incremental revenue − cost) / cost with the revenue interval carried through, by the results
    package's ``value_for_money`` (None where nothing was spent)."""
    itt = {
        "revenue": {"incremental": {"estimate": revenue, "low": low, "high": high, "method": "newcombe"}},
        "incremental_conversions": {"estimate": 0.0, "low": 0.0, "high": 0.0},
    }
    return dict(value_for_money(itt, cost)["roi"])


def _daily_incremental(
    members: Mapping[tuple[str, str], int],
    daily: Mapping[tuple[str, str, date], int],
    days: Sequence[date],
    ids: Sequence[str],
) -> list[float]:
    """Per day: Σ over campaigns of treatment conversions − n_t / n_c × control conversions (point estimates)."""
    ratio = {}
    for c in ids:
        nt, nc = members.get((c, "treatment"), 0), members.get((c, "control"), 0)
        if nt and nc:
            ratio[c] = nt / nc
    per_day = dict.fromkeys(days, 0.0)
    for (c, group, day), n in daily.items():
        if c in ratio and day in per_day:
            per_day[day] += n if group == "treatment" else -ratio[c] * n
    return [per_day[d] for d in days]


def _campaign_rows(
    campaigns: Mapping[str, Mapping[str, Any]],
    by_campaign: Mapping[tuple[str, int], Sequence[float]],
    effect: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """One row per campaign: status, volumes, incremental with its interval, ROI, complaints per 1,000 dials."""
    rows = []
    for i, cid in enumerate(campaigns):
        v = by_campaign.get((cid, 0), ZERO)
        dials = v[0]
        ok = bool(effect) and bool(effect["ok"][i])
        roi = (effect["roi"][i] if effect else None) or {}
        rows.append(
            {
                "campaign_id": cid,
                "name": campaigns[cid]["name"],
                "status": campaigns[cid]["status"],
                "product_id": campaigns[cid]["product_id"],
                "dials": int(dials),
                "connect_rate": v[1] / dials if dials else None,
                "conversions": int(v[2]),
                "incremental": float(effect["inc"][i]) if ok else None,
                "incremental_low": float(effect["lo"][i]) if ok else None,
                "incremental_high": float(effect["hi"][i]) if ok else None,
                "roi": roi.get("estimate"),
                "roi_low": roi.get("low"),
                "roi_high": roi.get("high"),
                "complaints_per_1k": 1000 * v[3] / dials if dials else None,
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


class _ProductValues:
    """Value per conversion by product from the lake's ``products`` table, read once per lake for five minutes."""

    TTL = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[float, dict[str, float]]] = {}

    def values(self, lake: Any) -> dict[str, float]:
        if lake is None or not lake.has("products"):
            return {}
        with self._lock:
            found = self._entries.get(id(lake))
            if found is not None and time.monotonic() - found[0] < self.TTL:
                return found[1]
        table = lake.table("products")
        if not {"product_id", "value_per_conversion"} <= set(table.columns):
            return {}
        rows = table.select("product_id", "value_per_conversion").to_pyarrow().to_pylist()
        values = {str(r["product_id"]): float(r["value_per_conversion"]) for r in rows if r["value_per_conversion"]}
        with self._lock:
            self._entries[id(lake)] = (time.monotonic(), values)
        return values


PRODUCT_VALUES = _ProductValues()


def filter_options(session: Session) -> tuple[list[str], list[str]]:
    """The campaigns and products the filters bar offers (every campaign the ops DB knows)."""
    rows = session.execute(select(Campaign.campaign_id, Campaign.product_id).order_by(Campaign.campaign_id)).all()
    return [r[0] for r in rows], sorted({r[1] for r in rows})
