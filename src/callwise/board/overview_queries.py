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

from sqlalchemy import Engine, and_, case, func, literal, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callwise.ops.models import CallOutcome, Conversion, IssuedList, ListMember, OutcomeRollup
from callwise.schema.contract import ANSWERED_DISPOSITIONS

VOLUMES = ("dials", "connects", "conversions", "complaints", "dnc", "talk_seconds")
Volumes = tuple[float, float, float, float, float, float]  # in the order of VOLUMES
ZERO: Volumes = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def day_bounds(first: date, last: date, zone: str) -> list[datetime]:
    """The UTC instants of local midnight from ``first`` to the day after ``last`` (len = days + 1)."""
    tz = ZoneInfo(zone)
    return [datetime.combine(first + timedelta(days=i), time(), tz) for i in range((last - first).days + 2)]


def _day_of(ts: Any, bounds: Sequence[datetime]) -> ColumnElement[Any]:
    """The local day of ``ts`` as its index in ``bounds`` (rows outside them are filtered by the caller)."""
    whens = [(ts < bound, literal(i)) for i, bound in enumerate(bounds[1:])]
    return case(*whens, else_=literal(len(bounds) - 1))


def _measures(disposition: Any, calls: Any, talk: Any) -> list[Any]:
    answered = disposition.in_(ANSWERED_DISPOSITIONS)
    return [
        func.sum(calls).label("dials"),
        func.sum(case((answered, calls), else_=0)).label("connects"),
        func.sum(case((disposition == "converted", calls), else_=0)).label("conversions"),
        func.sum(case((disposition == "complaint", calls), else_=0)).label("complaints"),
        func.sum(case((disposition == "dnc_requested", calls), else_=0)).label("dnc"),
        func.sum(case((answered, talk), else_=0.0)).label("talk_seconds"),
    ]


def _volumes(row: Sequence[Any]) -> Volumes:
    return tuple(float(v or 0) for v in row)  # type: ignore[return-value]


def volumes(
    session: Session,
    start: date,
    end: date,
    previous_start: date,
    zone: str,
    campaigns: Sequence[str] | None,
    agents: Sequence[str] | None,
) -> tuple[dict[date, Volumes], dict[tuple[str, int], Volumes]]:
    """Dials, connects, conversions, complaints, DNC requests and talk seconds (of connected calls): per local day
    of ``start``..``end``, and per campaign in the period (0) and the previous one (1, from ``previous_start``).

    ``campaigns`` None: every campaign (also outcomes of none, as campaign ""); ``agents`` not None: only their
    calls (read from call_outcomes, which know the agent)."""
    bounds = day_bounds(previous_start, end, zone)
    offset = (start - previous_start).days
    if agents is None:
        r = OutcomeRollup
        where = [r.day >= previous_start, r.day <= end]
        if campaigns is not None:
            where.append(r.campaign_id.in_(list(campaigns)))
        measures = _measures(r.disposition, r.calls, r.talk_seconds)
        day_rows = session.execute(select(r.day, *measures).where(r.day >= start, *where[1:]).group_by(r.day))
        by_day = {_date(row[0]): _volumes(row[1:]) for row in day_rows}
        period = case((r.day >= start, literal(0)), else_=literal(1)).label("period")
        campaign_id: Any = r.campaign_id
    else:
        o = CallOutcome
        where = [o.ts >= bounds[0], o.ts < bounds[-1], o.agent_id.in_(list(agents))]
        if campaigns is not None:
            where.append(o.campaign_id.in_(list(campaigns)))
        measures = _measures(o.disposition, literal(1), func.coalesce(o.duration_s, 0.0))
        day = _day_of(o.ts, bounds).label("day_index")
        # Grouped by the output's name: PostgreSQL would see the CASE's parameters twice as different expressions.
        day_rows = session.execute(
            select(day, *measures).where(o.ts >= bounds[offset], *where[1:]).group_by(literal_column("day_index"))
        )
        by_day = {previous_start + timedelta(days=int(row[0])): _volumes(row[1:]) for row in day_rows}
        period = case((o.ts >= bounds[offset], literal(0)), else_=literal(1)).label("period")
        campaign_id = o.campaign_id
    rows = session.execute(
        select(campaign_id, period, *measures).where(*where).group_by(campaign_id, literal_column("period"))
    )
    by_campaign = {(row[0] or "", int(row[1])): _volumes(row[2:]) for row in rows}
    return by_day, by_campaign


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _converters(session: Session, bucket: Any, lo: datetime, hi: datetime, campaigns: Sequence[str]) -> list[Any]:
    """Distinct members who converted (to the product they were listed for, after their assignment) per campaign,
    group and ``bucket`` (a labelled CASE over the conversion time) between ``lo`` and ``hi``.

    Driven from the period's conversions to their members, both answered from covering indexes (migration 0005);
    no join to campaigns and no campaign filter in SQL, which would lead SQLite to walk every member instead: the
    few result rows are narrowed to ``campaigns`` here."""
    c, m = Conversion, ListMember
    query = (
        select(m.campaign_id, m.group, bucket, func.count(func.distinct(m.customer_id)))
        .select_from(c)
        .join(m, and_(m.customer_id == c.customer_id, m.product_id == c.product_id, m.assigned_at <= c.ts))
        .where(c.ts >= lo, c.ts < hi)
        .group_by(m.campaign_id, m.group, literal_column(bucket.name))
    )
    wanted = set(campaigns)
    return [r for r in session.execute(query) if r[0] in wanted]


class _ConverterCache:
    """Converter counts, kept until a conversion is recorded or removed, or a list issued: the live tiles poll every
    10 s, and between two conversions every poll would otherwise join the period's conversions to their members
    again. Keyed by the database, the question asked, and that data version; the newest few answers are kept."""

    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[Any, ...], Any] = {}

    def get(self, session: Session, question: tuple[Any, ...], compute: Any) -> Any:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        newest, count = session.execute(select(func.max(Conversion.conversion_id), func.count())).one()
        lists = session.execute(select(func.max(IssuedList.list_id), func.count()).select_from(IssuedList)).one()
        key = (engine.url.render_as_string(hide_password=True), question, newest, count, *lists)
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        answer = compute()
        with self._lock:
            self._entries[key] = answer
            while len(self._entries) > self.SIZE:
                self._entries.pop(next(iter(self._entries)))
        return answer


CONVERTERS = _ConverterCache()


def daily_converters(
    session: Session, first: date, last: date, zone: str, campaigns: Sequence[str]
) -> dict[tuple[str, str, date], int]:
    """(campaign, group, local day) → members who converted that day."""
    question = ("daily", first, last, zone, tuple(campaigns))
    return CONVERTERS.get(session, question, lambda: _daily_converters(session, first, last, zone, campaigns))


def _daily_converters(
    session: Session, first: date, last: date, zone: str, campaigns: Sequence[str]
) -> dict[tuple[str, str, date], int]:
    bounds = day_bounds(first, last, zone)
    rows = _converters(session, _day_of(Conversion.ts, bounds).label("day_index"), bounds[0], bounds[-1], campaigns)
    return {(r[0], r[1], first + timedelta(days=int(r[2]))): int(r[3]) for r in rows}


def period_converters(
    session: Session, periods: Sequence[tuple[date, date]], zone: str, campaigns: Sequence[str]
) -> dict[tuple[str, str, int], int]:
    """(campaign, group, index of the period in ``periods``) → distinct members who converted in it."""
    question = ("periods", tuple(periods), zone, tuple(campaigns))
    return CONVERTERS.get(session, question, lambda: _period_converters(session, periods, zone, campaigns))


def _period_converters(
    session: Session, periods: Sequence[tuple[date, date]], zone: str, campaigns: Sequence[str]
) -> dict[tuple[str, str, int], int]:
    c = Conversion
    spans = [(day_bounds(a, b, zone)[0], day_bounds(a, b, zone)[-1]) for a, b in periods]
    which = case(*[(and_(c.ts >= lo, c.ts < hi), literal(i)) for i, (lo, hi) in enumerate(spans)], else_=literal(-1))
    lo, hi = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    return {(r[0], r[1], int(r[2])): int(r[3]) for r in _converters(session, which.label("period"), lo, hi, campaigns)}


class _MemberCache:
    """Members per campaign and group, counted once per state of the issued lists (members change only when a
    list is issued). Keyed by the database and a digest of every issued list's id, campaign and time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, dict[tuple[str, str], int], datetime]] = {}

    def counts(self, session: Session) -> tuple[dict[tuple[str, str], int], datetime]:
        """(campaign, group) → distinct members, and when they were counted."""
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
        query = select(m.campaign_id, m.group, func.count(func.distinct(m.customer_id)))
        frame = {(r[0], r[1]): int(r[2]) for r in session.execute(query.group_by(m.campaign_id, m.group))}
        from callwise.clock import utcnow

        counted = utcnow()
        with self._lock:
            self._entries[database] = (digest, frame, counted)
        return frame, counted


MEMBERS = _MemberCache()
