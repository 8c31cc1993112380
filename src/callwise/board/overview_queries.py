"""The overview's aggregate queries over the ops DB: every one a GROUP BY that returns a few hundred rows.

Volumes come from ``outcome_rollups`` (one row per campaign, local day and disposition), or, for a team, from
``call_outcomes`` of the team's agents (the roll-ups do not know agents). Local days of UTC instants are told
apart by a CASE over the days' UTC boundaries, which both SQLite and PostgreSQL run (SQLite has no time-zone
database). Member counts per campaign and group are cached until an issued list changes them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callwise.ops.models import CallOutcome, Campaign, Conversion, IssuedList, ListMember, OutcomeRollup
from callwise.schema.contract import ANSWERED_DISPOSITIONS

VOLUMES = ("dials", "connects", "conversions", "complaints", "dnc", "talk_seconds")


def day_bounds(first: date, last: date, zone: str) -> list[datetime]:
    """The UTC instants of local midnight from ``first`` to the day after ``last`` (len = days + 1)."""
    tz = ZoneInfo(zone)
    return [datetime.combine(first + timedelta(days=i), time(), tz) for i in range((last - first).days + 2)]


def _day_of(ts: Any, first: date, bounds: Sequence[datetime]) -> ColumnElement[Any]:
    """The local day of ``ts`` as its index from ``first`` (rows outside ``bounds`` are filtered by the caller)."""
    whens = [(ts < bound, literal(i)) for i, bound in enumerate(bounds[1:])]
    return case(*whens, else_=literal(len(bounds) - 1))


def volumes(
    session: Session,
    first: date,
    last: date,
    zone: str,
    campaigns: Sequence[str] | None,
    agents: Sequence[str] | None,
) -> pd.DataFrame:
    """Dials, connects, conversions, complaints, DNC requests and talk seconds per campaign and local day.

    ``campaigns`` None: every campaign (also outcomes of none); ``agents`` not None: only their calls."""
    if agents is not None:
        return _team_volumes(session, first, last, zone, campaigns, agents)
    r = OutcomeRollup
    answered = r.disposition.in_(ANSWERED_DISPOSITIONS)
    query = select(
        r.campaign_id,
        r.day,
        func.sum(r.calls).label("dials"),
        func.sum(case((answered, r.calls), else_=0)).label("connects"),
        func.sum(case((r.disposition == "converted", r.calls), else_=0)).label("conversions"),
        func.sum(case((r.disposition == "complaint", r.calls), else_=0)).label("complaints"),
        func.sum(case((r.disposition == "dnc_requested", r.calls), else_=0)).label("dnc"),
        func.sum(case((answered, r.talk_seconds), else_=0.0)).label("talk_seconds"),
    ).where(r.day >= first, r.day <= last)
    if campaigns is not None:
        query = query.where(r.campaign_id.in_(list(campaigns)))
    rows = session.execute(query.group_by(r.campaign_id, r.day)).all()
    frame = pd.DataFrame(rows, columns=["campaign_id", "day", *VOLUMES])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _team_volumes(
    session: Session, first: date, last: date, zone: str, campaigns: Sequence[str] | None, agents: Sequence[str]
) -> pd.DataFrame:
    o = CallOutcome
    bounds = day_bounds(first, last, zone)
    day = _day_of(o.ts, first, bounds).label("day_index")
    answered = o.disposition.in_(ANSWERED_DISPOSITIONS)
    query = select(
        o.campaign_id,
        day,
        func.count().label("dials"),
        func.sum(case((answered, 1), else_=0)).label("connects"),
        func.sum(case((o.disposition == "converted", 1), else_=0)).label("conversions"),
        func.sum(case((o.disposition == "complaint", 1), else_=0)).label("complaints"),
        func.sum(case((o.disposition == "dnc_requested", 1), else_=0)).label("dnc"),
        func.sum(case((answered, func.coalesce(o.duration_s, 0.0)), else_=0.0)).label("talk_seconds"),
    ).where(o.ts >= bounds[0], o.ts < bounds[-1], o.agent_id.in_(list(agents)))
    if campaigns is not None:
        query = query.where(o.campaign_id.in_(list(campaigns)))
    # Grouped by the output's name: PostgreSQL would see the CASE's parameters twice as different expressions.
    rows = session.execute(query.group_by(o.campaign_id, literal_column("day_index"))).all()
    frame = pd.DataFrame(rows, columns=["campaign_id", "day_index", *VOLUMES])
    frame["campaign_id"] = frame["campaign_id"].fillna("")
    frame["day"] = [first + timedelta(days=int(i)) for i in frame["day_index"]]
    return frame.drop(columns="day_index")


def member_conversions(session: Session, first: date, last: date, zone: str, campaigns: Sequence[str]) -> pd.DataFrame:
    """Members who converted (to their campaign's product, after their assignment) per campaign, group and local
    day; a member converting on two days counts on each (the period totals come from :func:`period_converters`)."""
    bounds = day_bounds(first, last, zone)
    c, m, k = Conversion, ListMember, Campaign
    day = _day_of(c.ts, first, bounds).label("day_index")
    query = (
        select(m.campaign_id, m.group, day, func.count(func.distinct(m.customer_id)).label("converted"))
        .select_from(c)
        .join(m, and_(m.customer_id == c.customer_id, m.assigned_at <= c.ts))
        .join(k, and_(k.campaign_id == m.campaign_id, k.product_id == c.product_id))
        .where(c.ts >= bounds[0], c.ts < bounds[-1], m.campaign_id.in_(list(campaigns)))
        .group_by(m.campaign_id, m.group, literal_column("day_index"))
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=["campaign_id", "group", "day_index", "converted"])
    frame["day"] = [first + timedelta(days=int(i)) for i in frame["day_index"]]
    return frame.drop(columns="day_index")


def period_converters(
    session: Session, periods: Sequence[tuple[date, date]], zone: str, campaigns: Sequence[str]
) -> pd.DataFrame:
    """Distinct members who converted in each of ``periods`` (index 0, 1, …) per campaign and group."""
    c, m, k = Conversion, ListMember, Campaign
    spans = [(day_bounds(a, b, zone)[0], day_bounds(a, b, zone)[-1]) for a, b in periods]
    which = case(*[(and_(c.ts >= lo, c.ts < hi), literal(i)) for i, (lo, hi) in enumerate(spans)], else_=literal(-1))
    period = which.label("period")
    query = (
        select(m.campaign_id, m.group, period, func.count(func.distinct(m.customer_id)).label("converted"))
        .select_from(c)
        .join(m, and_(m.customer_id == c.customer_id, m.assigned_at <= c.ts))
        .join(k, and_(k.campaign_id == m.campaign_id, k.product_id == c.product_id))
        .where(c.ts >= min(lo for lo, _ in spans), c.ts < max(hi for _, hi in spans))
        .where(m.campaign_id.in_(list(campaigns)))
        .group_by(m.campaign_id, m.group, literal_column("period"))
    )
    return pd.DataFrame(session.execute(query).all(), columns=["campaign_id", "group", "period", "converted"])


class _MemberCache:
    """Members per campaign and group, counted once per state of the issued lists (members change only when a
    list is issued). Keyed by the database and a digest of every issued list's id, campaign and time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, pd.DataFrame, datetime]] = {}

    def counts(self, session: Session) -> tuple[pd.DataFrame, datetime]:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        database = engine.url.render_as_string(hide_password=True)
        lists = session.execute(
            select(IssuedList.list_id, IssuedList.campaign_id, IssuedList.issued_at).order_by(IssuedList.list_id)
        ).all()
        digest = hashlib.sha256(repr([tuple(map(str, row)) for row in lists]).encode()).hexdigest()
        with self._lock:
            found = self._entries.get(database)
            if found is not None and found[0] == digest:
                return found[1], found[2]
        m = ListMember
        query = select(m.campaign_id, m.group, func.count(func.distinct(m.customer_id)).label("members"))
        frame = pd.DataFrame(
            session.execute(query.group_by(m.campaign_id, m.group)).all(), columns=["campaign_id", "group", "members"]
        )
        from callwise.clock import utcnow

        counted = utcnow()
        with self._lock:
            self._entries[database] = (digest, frame, counted)
        return frame, counted


MEMBERS = _MemberCache()
