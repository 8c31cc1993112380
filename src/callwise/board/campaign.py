"""The campaign page's live numbers, by aggregate SQL over the operational DB (decision 0032).

Everything here is a handful of ``GROUP BY`` queries keyed by the campaign's indexed columns, so a page request
stays well inside its budget over a million outcomes. What needs the control group's conversions from the lake
(the lift against control, its intervals) comes from :mod:`callwise.board.campaign_results`, a cached snapshot.

Definitions (docs/dashboard/campaign.md): *dialled* customers have at least one outcome of the campaign;
*connected* ones at least one answered disposition (``ANSWERED_DISPOSITIONS``); *interested* ones said
``interested`` or ``converted``; *converted* ones have a conversion recorded from one of the campaign's outcomes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, String, case, distinct, func, select, type_coerce
from sqlalchemy.orm import Session

from callwise.ops.models import CallOutcome, Campaign, Conversion, IssuedList, ListItem, ListMember, PolicyEvent
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
    """The delivery funnel dial → connect → interested → converted (from :func:`cells`)."""
    return delivery_of(cells(session, campaign_id))


def delivery_of(found: Sequence[dict[str, Any]]) -> Delivery:
    """The funnel summed over the cells: each customer is in exactly one cell, so the sums stay distinct counts.
    Outcomes of customers who are no member (the cell of group None) count as dials all the same."""

    def total(name: str, group: str | None = None) -> Any:
        return sum(c[name] for c in found if group is None or c["group"] == group)

    received = [c["last_received_at"] for c in found if c["last_received_at"] is not None]
    return Delivery(
        treatment=total("members", "treatment"),
        control=total("members", "control"),
        dials=total("dials"),
        dialled=total("dialled"),
        connected=total("connected"),
        interested=total("interested"),
        converted=total("converted"),
        talk_seconds=float(total("talk_seconds")),
        last_received_at=max(received) if received else None,
    )


CELL = ("group", "arm", "score_decile")
COUNTS = ("members", "dials", "dialled", "connected", "interested", "converted", "talk_seconds")


def cells(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's numbers per cell (group, arm, score decile): members, dials, and customers dialled,
    connected, interested and converted, talk time, the newest outcome's arrival.

    Two aggregate queries: members; the campaign's outcomes left-joined to members and to the conversions they
    recorded (one pass over the outcomes, whose rows lie scattered among every campaign's). A customer listed
    twice for the campaign (two lists) is counted once, in the cell of the smallest values of their assignments.
    """
    one = _one_row_per_member(campaign_id)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}

    def cell(key: tuple[Any, ...]) -> dict[str, Any]:
        return found.setdefault(
            key, dict(zip(CELL, key, strict=True)) | dict.fromkeys(COUNTS, 0) | {"last_received_at": None}
        )

    keys = [one.c.group, one.c.arm, one.c.score_decile]
    for *key, n in session.execute(select(*keys, func.count()).group_by(*keys)):
        cell(tuple(key))["members"] = int(n)
    answered = CallOutcome.disposition.in_(ANSWERED_DISPOSITIONS)
    customer = CallOutcome.customer_id
    calls = (
        select(
            *keys,
            func.count(CallOutcome.outcome_id),
            func.count(distinct(customer)),
            func.count(distinct(case((answered, customer)))),
            func.count(distinct(case((CallOutcome.disposition.in_(INTERESTED), customer)))),
            func.coalesce(func.sum(case((answered, CallOutcome.duration_s), else_=0.0)), 0.0),
            func.max(CallOutcome.received_at),
            func.count(distinct(case((Conversion.conversion_id.is_not(None), customer)))),
        )
        .select_from(CallOutcome)
        .outerjoin(one, one.c.customer_id == customer)
        .outerjoin(Conversion, Conversion.outcome_id == CallOutcome.outcome_id)
        .where(CallOutcome.campaign_id == campaign_id)
        .group_by(*keys)
    )
    for group, arm, decile, dials, dialled, connected, interested, talk, received, converted in session.execute(calls):
        cell((group, arm, decile)).update(
            converted=int(converted),
            dials=int(dials),
            dialled=int(dialled),
            connected=int(connected),
            interested=int(interested),
            talk_seconds=float(talk or 0.0),
            last_received_at=received,
        )
    return list(found.values())


def _one_row_per_member(campaign_id: str) -> Any:
    return (
        select(
            ListMember.customer_id,
            func.min(ListMember.group).label("group"),
            func.min(ListMember.arm).label("arm"),
            func.min(ListMember.score_decile).label("score_decile"),
        )
        .where(ListMember.campaign_id == campaign_id)
        .group_by(ListMember.customer_id)
        .subquery("member")
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


def arms(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """Each script arm's called members and how far they got; control last, as one row."""
    return arms_of(cells(session, campaign_id))


def arms_of(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    names = sorted({c["arm"] or "-" for c in found if c["group"] == "treatment"})
    rows = [
        _summed([c for c in found if c["group"] == "treatment" and (c["arm"] or "-") == arm], arm=arm) for arm in names
    ]
    control = [c for c in found if c["group"] == "control"]
    if control:
        rows.append(_summed(control, arm="control"))
    return [_rated(r) for r in rows]


def deciles(session: Session, campaign_id: str) -> list[dict[str, Any]]:
    """Per score decile (1 = the best scores): treatment and control members, how far the treatment members got,
    and the cumulative share of all treatment conversions (the gains curve)."""
    return deciles_of(cells(session, campaign_id))


def deciles_of(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for decile in sorted({int(c["score_decile"]) for c in found if c["score_decile"] is not None}):
        mine = [c for c in found if c["score_decile"] is not None and int(c["score_decile"]) == decile]
        treated = _summed([c for c in mine if c["group"] == "treatment"])
        control = _summed([c for c in mine if c["group"] == "control"])
        out.append(
            {"decile": decile, "treatment": treated["members"], "control": control["members"]}
            | {k: treated[k] for k in ("dialled", "connected", "converted")}
        )
    total = sum(d["converted"] for d in out)
    running = 0
    for d in out:
        running += d["converted"]
        d["rate"] = d["converted"] / d["treatment"] if d["treatment"] else None
        d["gains"] = running / total if total else None
    return out


def _summed(rows: Sequence[dict[str, Any]], **fixed: Any) -> dict[str, Any]:
    return fixed | {n: sum(int(r[n]) for r in rows) for n in ("members", "dialled", "connected", "converted")}


def _rated(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "connect_rate": row["connected"] / row["dialled"] if row["dialled"] else None,
        "conversion_rate": row["converted"] / row["members"] if row["members"] else None,
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


def data_version(session: Session, campaign_id: str) -> tuple[int, int, int, int]:
    """What the campaign's numbers depend on in the ops DB: its newest list, outcome and conversion ids, and the
    newest policy event (a DNC request withdraws calls without an outcome of this campaign).

    Any new list, outcome, conversion or policy event changes it; the cached numbers and the results snapshot are
    keyed by it. Four look-ups of a maximum, each answered from an index."""
    newest_list = session.scalar(select(func.max(IssuedList.list_id)).where(IssuedList.campaign_id == campaign_id))
    newest_outcome = session.scalar(
        select(func.max(CallOutcome.outcome_id)).where(CallOutcome.campaign_id == campaign_id)
    )
    newest_conversion = session.scalar(
        select(func.max(Conversion.conversion_id)).where(Conversion.campaign_id == campaign_id)
    )
    newest_event = session.scalar(select(func.max(PolicyEvent.event_id)))
    return int(newest_list or 0), int(newest_outcome or 0), int(newest_conversion or 0), int(newest_event or 0)


class NumbersCache:
    """The page's numbers per (key, part), kept while the campaign's data version stays the same.

    A page view or a poll that finds nothing new costs the version's four look-ups only; a new outcome, list,
    conversion or policy event computes the part again on the next request. Bounded, least recently used first.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._found: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._found.get(key)
            if hit is not None and hit[0] == version:
                self._found.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._found[key] = (version, value)
            self._found.move_to_end(key)
            while len(self._found) > self.max_entries:
                self._found.popitem(last=False)
        return value


NUMBERS = NumbersCache()  # one per process, like the results snapshots
