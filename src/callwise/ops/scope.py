"""What part of the call floor a user sees on the board: the agent they are, the teams they run.

An agent sees only their own figures (``users.agent_id``), a supervisor only their teams (``users.teams``,
space-separated). Setting either is a permission change, so it is audited with the values before and after,
like a change of roles, and only people (the CLI's operator or a signed-in user) may do it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from callwise.i18n.errors import Translated
from callwise.ops import audit
from callwise.ops.users import Actor, UserError, _person, _user

AGENT_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
TEAM = re.compile(r"\S{1,64}")
MAX_TEAMS = 50


class ScopeError(Translated, UserError):
    """A scope that cannot be set (unknown user, a malformed agent id or team), said in one sentence."""


@dataclass(frozen=True)
class Scope:
    agent_id: str | None
    teams: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"agent_id": self.agent_id, "teams": list(self.teams)}


def teams_of(stored: str | None) -> tuple[str, ...]:
    """The teams a ``users.teams`` value holds, in order, each once."""
    return tuple(dict.fromkeys((stored or "").split()))


def scope_of(session: Session, username: str) -> Scope:
    user = _user(session, username)
    return Scope(user.agent_id, teams_of(user.teams))


def set_scope(
    session: Session,
    username: str,
    actor: Actor,
    ip: str | None,
    *,
    agent_id: str | None = None,
    teams: str | None = None,
) -> Scope:
    """Change what ``username`` sees: ``None`` leaves a part as it is, ``""`` clears it. Audited before/after."""
    actor_name = _person(actor)
    try:
        user = _user(session, username)
    except UserError:
        raise ScopeError("board.agents.scope.no_user", name=repr(username)) from None
    before = Scope(user.agent_id, teams_of(user.teams))
    new_agent = before.agent_id if agent_id is None else (agent_id.strip() or None)
    if new_agent is not None and not AGENT_ID.fullmatch(new_agent):
        raise ScopeError("board.agents.scope.bad_agent", value=repr(new_agent))
    new_teams = before.teams if teams is None else teams_of(teams)
    bad = next((team for team in new_teams if not TEAM.fullmatch(team)), None)
    if bad is not None or len(new_teams) > MAX_TEAMS:
        raise ScopeError("board.agents.scope.bad_teams", most=MAX_TEAMS)
    after = Scope(new_agent, new_teams)
    user.agent_id, user.teams = after.agent_id, " ".join(after.teams) or None
    detail = {"before": before.to_json(), "after": after.to_json()}
    audit.append(session, actor_name, "user.scope", f"user:{username}", detail, ip)
    session.flush()
    return after
