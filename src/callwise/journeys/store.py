"""Journey definitions in the operational DB, by version, and the entry of customers into a journey.

Loading a file whose content is already the newest version changes nothing; any change is a new version, and a
running instance keeps the version it entered with. Entry is idempotent: one live instance per journey and
customer (a unique key holds it even against two entries at once), and, unless the journey allows re-entry, a
customer who walked the journey once does not enter it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.journeys.definition import Journey, journey_from_json
from callwise.ops.db import transaction
from callwise.ops.models import Customer, JourneyDefinition, JourneyInstance

CHUNK = 500


@dataclass(frozen=True)
class Loaded:
    journey_id: str
    version: int
    new: bool
    sha256: str


@dataclass(frozen=True)
class EntryReport:
    journey_id: str
    version: int
    entered: int
    already: int  # live in it now, or walked it before (no re-entry)
    unknown: int  # not in the operational DB: no policy state to check, so never entered


class UnknownJourney(LookupError):
    def __init__(self, journey_id: str) -> None:
        super().__init__(journey_id)
        self.journey_id = journey_id


def save_journey(factory: sessionmaker[Session], journey: Journey, actor: str) -> Loaded:
    """Store ``journey`` as its next version, unless the newest version has the same content."""
    with transaction(factory) as session:
        newest = session.scalars(
            select(JourneyDefinition)
            .where(JourneyDefinition.journey_id == journey.id)
            .order_by(JourneyDefinition.version.desc())
            .limit(1)
        ).one_or_none()
        if newest is not None and newest.sha256 == journey.sha256:
            return Loaded(journey.id, newest.version, False, journey.sha256)
        version = 1 if newest is None else newest.version + 1
        session.add(
            JourneyDefinition(
                journey_id=journey.id,
                version=version,
                sha256=journey.sha256,
                definition=journey.to_json(),
                loaded_by=actor[:64],
            )
        )
    return Loaded(journey.id, version, True, journey.sha256)


def newest_version(session: Session, journey_id: str) -> int:
    version = session.scalar(
        select(func.max(JourneyDefinition.version)).where(JourneyDefinition.journey_id == journey_id)
    )
    if version is None:
        raise UnknownJourney(journey_id)
    return int(version)


def journey_version(session: Session, journey_id: str, version: int) -> Journey:
    """One stored version (cached: a version never changes once stored)."""
    row = session.get(JourneyDefinition, (journey_id, version))
    if row is None:
        raise UnknownJourney(journey_id)
    return _parsed(row.sha256, _frozen(row.definition))


def _frozen(definition: dict[str, object]) -> str:
    import json

    return json.dumps(definition, sort_keys=True, ensure_ascii=False)


@lru_cache(maxsize=256)
def _parsed(_sha256: str, definition: str) -> Journey:
    import json

    return journey_from_json(json.loads(definition))


def enter(
    factory: sessionmaker[Session], journey_id: str, customer_ids: Iterable[str], at: datetime | None = None
) -> EntryReport:
    """Start the newest version of the journey for each customer not in it (nor, without re-entry, ever in it)."""
    at = at or utcnow()
    wanted = sorted({str(c) for c in customer_ids})
    entered = already = unknown = 0
    with factory() as session:
        version = newest_version(session, journey_id)
        journey = journey_version(session, journey_id, version)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        try:
            with transaction(factory) as session:
                n_new, n_had, n_unknown = _enter_chunk(session, journey, version, chunk, at)
        except IntegrityError:  # another entry won a race for some of them: enter the rest one by one
            n_new = n_had = n_unknown = 0
            for customer_id in chunk:
                try:
                    with transaction(factory) as session:
                        a, b, c = _enter_chunk(session, journey, version, [customer_id], at)
                except IntegrityError:
                    a, b, c = 0, 1, 0
                n_new, n_had, n_unknown = n_new + a, n_had + b, n_unknown + c
        entered, already, unknown = entered + n_new, already + n_had, unknown + n_unknown
    return EntryReport(journey_id, version, entered, already, unknown)


def _enter_chunk(
    session: Session, journey: Journey, version: int, chunk: list[str], at: datetime
) -> tuple[int, int, int]:
    known = set(session.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(chunk))))
    blocking = JourneyInstance.journey_id == journey.id
    if journey.reentry:
        blocking &= JourneyInstance.state == "active"
    had = set(
        session.scalars(select(JourneyInstance.customer_id).where(blocking, JourneyInstance.customer_id.in_(chunk)))
    )
    fresh = [c for c in chunk if c in known and c not in had]
    if fresh:
        first = journey.first.id
        rows = [
            {
                "journey_id": journey.id,
                "version": version,
                "customer_id": c,
                "state": "active",
                "live": 1,
                "current_step": first,
                "step_started_at": at,
                "next_at": at,
                "entered_at": at,
                "path": [first],
                "steps_done": 0,
            }
            for c in fresh
        ]
        session.execute(insert(JourneyInstance), rows)
    return len(fresh), len([c for c in chunk if c in known and c in had]), len([c for c in chunk if c not in known])
