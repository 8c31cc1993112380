"""What the journeys are doing: instances per step (active) and per exit reason, actions per status, and the
moves between steps (the page's path graph) — counted by the database, not in Python."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwise.ops.models import JourneyAction, JourneyDefinition, JourneyInstance

MAX_PATHS = 20_000  # instances read for the path graph of one journey (the newest ones)


def journey_status(session: Session, journey_id: str | None = None) -> list[dict[str, Any]]:
    """One entry per journey: its newest version and name, active instances per step, exits per reason, actions
    per status (refusals per reason)."""
    versions = select(JourneyDefinition.journey_id, func.max(JourneyDefinition.version).label("version")).group_by(
        JourneyDefinition.journey_id
    )
    if journey_id is not None:
        versions = versions.where(JourneyDefinition.journey_id == journey_id)
    found: dict[str, dict[str, Any]] = {}
    for jid, version in session.execute(versions.order_by(JourneyDefinition.journey_id)):
        definition = session.get(JourneyDefinition, (jid, version))
        name = (definition.definition if definition is not None else {}).get("name", {})
        found[jid] = {
            "journey_id": jid,
            "version": int(version),
            "name": {"zh": name.get("zh", jid), "en": name.get("en", jid)},
            "active": {},
            "exits": {},
            "actions": {},
            "refusals": {},
        }
    if not found:
        return []
    ids = list(found)
    steps = (
        select(JourneyInstance.journey_id, JourneyInstance.current_step, func.count())
        .where(JourneyInstance.journey_id.in_(ids), JourneyInstance.state == "active")
        .group_by(JourneyInstance.journey_id, JourneyInstance.current_step)
    )
    for jid, step, n in session.execute(steps):
        found[jid]["active"][step] = int(n)
    exits = (
        select(JourneyInstance.journey_id, JourneyInstance.exit_reason, func.count())
        .where(JourneyInstance.journey_id.in_(ids), JourneyInstance.state == "exited")
        .group_by(JourneyInstance.journey_id, JourneyInstance.exit_reason)
    )
    for jid, reason, n in session.execute(exits):
        found[jid]["exits"][reason or "-"] = int(n)
    actions = (
        select(JourneyAction.journey_id, JourneyAction.status, JourneyAction.reason, func.count())
        .where(JourneyAction.journey_id.in_(ids))
        .group_by(JourneyAction.journey_id, JourneyAction.status, JourneyAction.reason)
    )
    for jid, status, reason, n in session.execute(actions):
        entry = found[jid]
        entry["actions"][status] = entry["actions"].get(status, 0) + int(n)
        if status == "refused":
            entry["refusals"][reason or "-"] = entry["refusals"].get(reason or "-", 0) + int(n)
    return list(found.values())


def journey_moves(session: Session, journey_id: str) -> dict[str, Any]:
    """The moves between steps over the newest instances (``MAX_PATHS``), and where instances ended:
    ``{"links": [{"source", "target", "value"}], "truncated": bool}``; an exit appears as ``exit:<reason>``."""
    rows = session.execute(
        select(JourneyInstance.path, JourneyInstance.state, JourneyInstance.exit_reason)
        .where(JourneyInstance.journey_id == journey_id)
        .order_by(JourneyInstance.instance_id.desc())
        .limit(MAX_PATHS + 1)
    ).all()
    moves: Counter[tuple[str, str]] = Counter()
    for path, state, reason in rows[:MAX_PATHS]:  # a JSON path per instance: only Python can walk it
        walked = [str(s) for s in (path or [])]
        moves.update(pairwise(walked))
        if state == "exited" and walked:
            moves[(walked[-1], f"exit:{reason or '-'}")] += 1
    links = [{"source": a, "target": b, "value": n} for (a, b), n in sorted(moves.items())]
    return {"links": links, "truncated": len(rows) > MAX_PATHS}
