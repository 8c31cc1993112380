"""The journeys page's data: per journey its instances at each step, exits by reason, actions by status, and one
journey's moves between steps (:mod:`callwise.journeys.status`), read from the operational DB."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callwise.journeys.status import journey_moves, journey_status


def journeys_board(factory: sessionmaker[Session], chosen: str | None) -> dict[str, Any]:
    """``journeys`` (every journey's counts), ``chosen`` (the journey shown in detail: the one asked for if it
    exists, else the first) and its ``moves``."""
    with factory() as session:
        found = journey_status(session)
        ids = [j["journey_id"] for j in found]
        pick = chosen if chosen in ids else (ids[0] if ids else None)
        moves = journey_moves(session, pick) if pick is not None else {"links": [], "truncated": False}
    return {"journeys": found, "chosen": pick, "moves": moves}
