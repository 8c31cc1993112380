"""The campaign page's live numbers, by aggregate SQL over the operational DB (decision 0032).

Everything here is a handful of ``GROUP BY`` queries keyed by the campaign's indexed columns, so a page request
stays well inside its budget over a million outcomes. What needs the control group's conversions from the lake
(the lift against control, its intervals) comes from :mod:`callwise.board.campaign_results`, a cached snapshot.

Definitions (docs/dashboard/campaign.md): *dialled* customers have at least one outcome of the campaign;
*connected* ones at least one answered disposition (``ANSWERED_DISPOSITIONS``); *interested* ones said
``interested`` or ``converted``; *converted* ones have a conversion recorded for the campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, String, and_, case, distinct, func, select, type_coerce
from sqlalchemy.orm import Session

from callwise.ops.models import Campaign, CallOutcome, Conversion, IssuedList, ListItem, ListMember
from callwise.schema.contract import ANSWERED_DISPOSITIONS

INTERESTED = ("interested", "converted")
STAGES = ("treatment", "dialled", "connected", "interested", "converted")


@dataclass(frozen=True)
class CampaignHead:
    """The campaign as the page's header shows it."""

    campaign_id: str
    name: str
    product_id: str
    status: str
    created_at: datetime
    spec: dict[str, Any]


def campaign_head(session: Session, campaign_id: str) -> CampaignHead | None:
    """The campaign, or None when the ops DB holds no campaign of that id."""
    row = session.get(Campaign, campaign_id)
    if row is None:
        return None
    return CampaignHead(row.campaign_id, row.name, row.product_id, row.status, row.created_at, dict(row.spec or {}))


@dataclass(frozen=True)
class Delivery:
    """How far the calls got: members, dials, and customers at each stage of the delivery funnel."""

    treatment: int
    control: int
    dials: int
    dialled: int
    connected: int
    interested: int
    converted: int
    talk_seconds: float
    last_received_at: datetime | None

    def stages(self) -> list[dict[str, Any]]:
        """The funnel's stages in order, each with its customers and its share of the one before."""
        out: list[dict[str, Any]] = []
        before: int | None = None
        for stage in STAGES:
            n = int(getattr(self, stage))
            out.append({"stage": stage, "customers": n, "of_previous": (n / before) if before else None})
            before = n
        return out

    @property
    def connect_rate(self) -> float | None:
        return self.connected / self.dialled if self.dialled else None

    @property
    def conversion_per_connect(self) -> float | None:
        return self.converted / self.connected if self.connected else None


def delivery(session: Session, campaign_id: str) -> Delivery:
    """The delivery funnel dial → connect → interested → converted, in three aggregate queries."""
    groups = dict(
        session.execute(
            select(ListMember.group, func.count(distinct(ListMember.customer_id)))
            .where(ListMember.campaign_id == campaign_id)
            .group_by(ListMember.group)
        ).all()
    )
    answered = CallOutcome.disposition.in_(ANSWERED_DISPOSITIONS)
    calls = session.execute(
        select(
            func.count(CallOutcome.outcome_id),
            func.count(distinct(CallOutcome.customer_id)),
            func.count(distinct(case((answered, CallOutcome.customer_id)))),
            func.count(distinct(case((CallOutcome.disposition.in_(INTERESTED), CallOutcome.customer_id)))),
            func.coalesce(func.sum(case((answered, CallOutcome.duration_s), else_=0.0)), 0.0),
            func.max(CallOutcome.received_at),
        ).where(CallOutcome.campaign_id == campaign_id)
    ).one()
    converted = session.scalar(
        select(func.count(distinct(Conversion.customer_id))).where(Conversion.campaign_id == campaign_id)
    )
    return Delivery(
        treatment=int(groups.get("treatment", 0)),
        control=int(groups.get("control", 0)),
        dials=int(calls[0]),
        dialled=int(calls[1]),
        connected=int(calls[2]),
        interested=int(calls[3]),
        converted=int(converted or 0),
        talk_seconds=float(calls[4] or 0.0),
        last_received_at=calls[5],
    )


def issued_lists(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's issued lists, newest first, with their calls by status (pending, dialled, withdrawn)."""
    lists = session.execute(
        select(
            IssuedList.list_id,
            IssuedList.issued_at,
            IssuedList.issued_by,
            IssuedList.items,
            IssuedList.model_version,
            IssuedList.policy_sha256,
        )
        .where(IssuedList.campaign_id == campaign_id)
        .order_by(IssuedList.list_id.desc())
    ).all()
    if not lists:
        return []
    ids = [row.list_id for row in lists]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for list_id, status, n in session.execute(
        select(ListItem.list_id, ListItem.status, func.count())
        .where(ListItem.list_id.in_(ids))
        .group_by(ListItem.list_id, ListItem.status)
    ):
        counts[int(list_id)][str(status)] = int(n)
    return [
        {
            "list_id": int(row.list_id),
            "issued_at": row.issued_at,
            "issued_by": row.issued_by,
            "items": int(row.items),
            "pending": counts[row.list_id].get("pending", 0),
            "dialled": counts[row.list_id].get("dialled", 0),
            "withdrawn": counts[row.list_id].get("withdrawn", 0),
            "model_version": row.model_version,
            "policy_sha256": (row.policy_sha256 or "")[:12],
        }
        for row in lists
    ]


def eligibility_funnel(session: Session, campaign_id: str) -> tuple[int | None, list[dict[str, Any]]]:
    """The newest list's funnel by reason code (the build wrote it into the list's summary) and that list's id."""
    row = session.execute(
        select(IssuedList.list_id, IssuedList.summary)
        .where(IssuedList.campaign_id == campaign_id)
        .order_by(IssuedList.list_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, []
    steps = (row.summary or {}).get("funnel") or []
    return int(row.list_id), [
        {"step": str(s["step"]), "removed": int(s["removed"]), "remaining": int(s["remaining"])} for s in steps
    ]


def by_member(session: Session, campaign_id: str, key: str) -> list[dict[str, Any]]:
    """Members, dialled, connected and converted customers per value of ``key`` (``arm`` or ``score_decile``)
    and group, from ``list_members`` joined to the campaign's outcomes and conversions."""
    column = getattr(ListMember, key)
    outcome_on = and_(CallOutcome.campaign_id == ListMember.campaign_id, CallOutcome.customer_id == ListMember.customer_id)
    answered = CallOutcome.disposition.in_(ANSWERED_DISPOSITIONS)
    calls = session.execute(
        select(
            column,
            ListMember.group,
            func.count(distinct(ListMember.customer_id)),
            func.count(distinct(case((CallOutcome.outcome_id.is_not(None), ListMember.customer_id)))),
            func.count(distinct(case((answered, ListMember.customer_id)))),
        )
        .select_from(ListMember)
        .outerjoin(CallOutcome, outcome_on)
        .where(ListMember.campaign_id == campaign_id)
        .group_by(column, ListMember.group)
    ).all()
    conversion_on = and_(Conversion.campaign_id == ListMember.campaign_id, Conversion.customer_id == ListMember.customer_id)
    converted = {
        (value, group): int(n)
        for value, group, n in session.execute(
            select(column, ListMember.group, func.count(distinct(ListMember.customer_id)))
            .select_from(ListMember)
            .join(Conversion, conversion_on)
            .where(ListMember.campaign_id == campaign_id)
            .group_by(column, ListMember.group)
        )
    }
    rows = [
        {
            key: value,
            "group": str(group),
            "members": int(members),
            "dialled": int(dialled),
            "connected": int(connected),
            "converted": converted.get((value, group), 0),
        }
        for value, group, members, dialled, connected in calls
    ]
    return sorted(rows, key=lambda r: (r["group"] != "treatment", r[key] is None, r[key] if r[key] is not None else 0))


def arms(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """Each script arm's called members and how far they got; control last, as one row."""
    rows = by_member(session, campaign_id, "arm")
    treated = [r | {"arm": r["arm"] or "-"} for r in rows if r["group"] == "treatment"]
    control = [r for r in rows if r["group"] == "control"]
    merged = _sum_rows(control, {"arm": "control", "group": "control"}) if control else []
    return [_rated(r) for r in (*treated, *merged)]


def deciles(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """Per score decile (1 = the best scores): treatment and control members, converted treatment members and
    the cumulative share of all treatment conversions (the gains curve)."""
    rows = by_member(session, campaign_id, "score_decile")
    table: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r["score_decile"] is None:
            continue
        d = table.setdefault(int(r["score_decile"]), {"decile": int(r["score_decile"]), "treatment": 0, "control": 0})
        d[r["group"]] = r["members"]
        if r["group"] == "treatment":
            d.update(dialled=r["dialled"], connected=r["connected"], converted=r["converted"])
    out = [table[k] | {"dialled": 0, "connected": 0, "converted": 0} | table[k] for k in sorted(table)]
    total = sum(d["converted"] for d in out)
    running = 0
    for d in out:
        running += d["converted"]
        d["rate"] = d["converted"] / d["treatment"] if d["treatment"] else None
        d["gains"] = running / total if total else None
    return out


def _sum_rows(rows: Sequence[dict[str, Any]], fixed: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("members", "dialled", "connected", "converted")
    return [fixed | {n: sum(int(r[n]) for r in rows) for n in names}]


def _rated(row: dict[str, Any]) -> dict[str, Any]:
    members, connected = row["members"], row["connected"]
    return row | {
        "connect_rate": connected / row["dialled"] if row["dialled"] else None,
        "conversion_rate": row["converted"] / members if members else None,
    }


def schedule(session: Session, campaign_id: str, bank_timezone: str) -> dict[str, Any]:
    """Planned calls and dials per day and hour of the bank's clock, and each day's capacity use.

    ``cells``: date, hour, planned (list items whose slot starts then), dials (outcomes then). ``days``: date,
    capacity and expected calls (the plans of the lists, summed), planned, dials, and dials ÷ capacity.
    """
    lists = session.execute(
        select(IssuedList.list_id, IssuedList.summary).where(IssuedList.campaign_id == campaign_id)
    ).all()
    ids = [int(r.list_id) for r in lists]
    dialect = session.get_bind().dialect.name
    planned = _hourly(session, ListItem.slot_start, ListItem.list_id.in_(ids), dialect) if ids else _no_hours()
    dials = _hourly(session, CallOutcome.ts, CallOutcome.campaign_id == campaign_id, dialect)
    cells = planned.rename(columns={"n": "planned"}).merge(dials.rename(columns={"n": "dials"}), "outer", "hour")
    cells = cells.fillna(0)
    local = pd.to_datetime(cells["hour"], utc=True).dt.tz_convert(bank_timezone)
    cells = (
        pd.DataFrame(
            {
                "date": local.dt.strftime("%Y-%m-%d"),
                "hour": local.dt.hour.astype(int),
                "planned": cells["planned"].astype(int),
                "dials": cells["dials"].astype(int),
            }
        )
        .groupby(["date", "hour"], as_index=False)
        .sum()
        .sort_values(["date", "hour"])
    )
    plan: dict[str, dict[str, float]] = {}
    for row in lists:
        for day in ((row.summary or {}).get("plan") or {}).get("days") or []:
            entry = plan.setdefault(str(day["date"]), {"capacity": 0.0, "expected_calls": 0.0})
            entry["capacity"] += float(day.get("capacity") or 0.0)
            entry["expected_calls"] += float(day.get("expected_calls") or 0.0)
    per_day = cells.groupby("date")[["planned", "dials"]].sum()
    days = []
    for date in sorted(set(plan) | set(per_day.index)):
        capacity = plan.get(date, {}).get("capacity")
        done = int(per_day["dials"].get(date, 0))
        days.append(
            {
                "date": date,
                "capacity": capacity,
                "expected_calls": plan.get(date, {}).get("expected_calls"),
                "planned": int(per_day["planned"].get(date, 0)),
                "dials": done,
                "use": done / capacity if capacity else None,
            }
        )
    return {"cells": cells.to_dict("records"), "days": days}


def _no_hours() -> pd.DataFrame:
    return pd.DataFrame({"hour": pd.Series([], dtype="datetime64[us, UTC]"), "n": pd.Series([], dtype="int64")})


def _hourly(session: Session, column: Any, where: ColumnElement[bool], dialect: str) -> pd.DataFrame:
    """Rows per UTC hour of ``column``, counted by the database (one row per hour, not per call)."""
    hour = _hour_of(column, dialect)
    query: Select[Any] = select(hour.label("hour"), func.count().label("n")).where(where).group_by(hour)
    rows = session.execute(query).all()
    if not rows:
        return _no_hours()
    values = [str(h) for h, _ in rows]
    if dialect == "sqlite":  # the stored UTC text cut to its hour: "2026-07-01 01"
        values = [f"{v}:00:00" for v in values]
    hours = pd.to_datetime(pd.Series(values), utc=True, format="ISO8601")
    return pd.DataFrame({"hour": hours, "n": [int(n) for _, n in rows]})


def _hour_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC hour a timestamp falls in: SQLite keeps UTC text (``UtcDateTime``), PostgreSQL a timestamptz."""
    if dialect == "sqlite":
        return func.substr(type_coerce(column, String()), 1, 13)
    return type_coerce(func.date_trunc("hour", func.timezone("UTC", column)), String())


def data_version(session: Session, campaign_id: str) -> tuple[int, int, int]:
    """What the campaign's results depend on in the ops DB: its newest list, outcome and conversion ids.

    Any new list, outcome or conversion changes it; the results snapshot is keyed by it."""
    newest_list = session.scalar(select(func.max(IssuedList.list_id)).where(IssuedList.campaign_id == campaign_id))
    newest_outcome = session.scalar(
        select(func.max(CallOutcome.outcome_id)).where(CallOutcome.campaign_id == campaign_id)
    )
    newest_conversion = session.scalar(
        select(func.max(Conversion.conversion_id)).where(Conversion.campaign_id == campaign_id)
    )
    return int(newest_list or 0), int(newest_outcome or 0), int(newest_conversion or 0)
