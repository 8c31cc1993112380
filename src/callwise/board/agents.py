"""The agents board's numbers: the fair score with its interval, calls per hour, contact rate and talk time.

Who sees what is decided here, not in the page, so the page and its exports cannot differ (``Reach``): an
analyst (any role with ``outcomes:read`` beyond the call floor's) sees every agent, a supervisor the teams
``users.teams`` lists, an agent only the agent ``users.agent_id`` names, and a floor user linked to neither
sees nothing until an administrator runs ``callwise users scope``.

The fair score is computed over every agent in the period (``callwise.results.agents``: the prior is fitted
on all of them), and only then cut to what the viewer may see, so an agent's score does not depend on who
looks. That computation reads the lake's contact history; it is cached per data version (the identity of the
lake files it reads) and period, so a page view after the first costs a dictionary look-up (decision 0034).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from callwise.board.cache import VersionedCache, lake_version
from callwise.board.filters import Filters
from callwise.lake.frames import to_pandas
from callwise.results.agents import agent_performance, read_lake_inputs, until_of
from callwise.security.rbac import ROLE_PERMISSIONS, Permission, Role

if TYPE_CHECKING:
    from callwise.lake import Lake

FLOOR_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})
LAKE_TABLES = ("contacts", "agents", "campaign_members")
CACHE_SIZE = 16


@dataclass(frozen=True)
class Reach:
    """Which agents a viewer may see: ``everyone``, else the agents of ``teams``, else ``agent_id``, else none."""

    everyone: bool = False
    teams: tuple[str, ...] = ()
    agent_id: str | None = None

    @property
    def kind(self) -> str:
        if self.everyone:
            return "all"
        return "teams" if self.teams else "agent" if self.agent_id else "none"

    def sees(self, agent: dict[str, Any]) -> bool:
        if self.everyone:
            return True
        if self.teams:
            return agent["team"] in self.teams
        return self.agent_id is not None and agent["agent_id"] == self.agent_id


def reach_for(roles: Iterable[str], agent_id: str | None, teams: Iterable[str]) -> Reach:
    """A role that reads outcomes beyond the call floor sees all; else the supervisor's teams, else the agent."""
    readers = {r for r in roles if Permission.OUTCOMES_READ in ROLE_PERMISSIONS.get(r, frozenset())}
    if readers - FLOOR_ROLES:
        return Reach(everyone=True)
    return Reach(teams=tuple(teams), agent_id=agent_id or None)


@dataclass
class AgentsBoard:
    """What the page shows: rows already cut to the viewer's reach."""

    reach: Reach
    period: tuple[date | None, date | None]  # as asked; None = open (all the lake holds)
    first_call: date | None
    last_call: date | None
    agents: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    team_names: list[str] = field(default_factory=list)  # the teams the viewer may filter by
    prior: dict[str, Any] = field(default_factory=dict)
    alpha: float = 0.05
    min_connects: int = 30


def agents_board(lake: Lake, reach: Reach, filters: Filters) -> AgentsBoard:
    """The board for ``reach`` under ``filters`` (date range, campaign, team); the page's and exports' one source."""
    period = (filters.date_from, filters.date_to)
    board = AgentsBoard(reach, period, None, None)
    if reach.kind == "none" or not lake.has("contacts"):
        return board
    whole = _cached(lake, filters.campaign, filters.date_from, filters.date_to)
    visible = [a for a in whole["agents"] if reach.sees(a)]
    board.team_names = sorted({a["team"] for a in visible})
    if filters.team:
        visible = [a for a in visible if a["team"] == filters.team]
    board.agents = visible
    # an agent sees no team roll-up (it would show their colleagues' totals); a supervisor their teams'
    shown_teams = {a["team"] for a in visible} if reach.kind in ("all", "teams") else set()
    board.teams = [t for t in whole["teams"] if t["team"] in shown_teams]
    board.first_call, board.last_call = whole["first_call"], whole["last_call"]
    board.prior, board.alpha, board.min_connects = whole["prior"], whole["alpha"], whole["min_connects"]
    return board


def data_version(lake: Lake) -> tuple[Any, ...]:
    """The identity of every lake file the board reads: any write or append changes it."""
    return lake_version(lake, LAKE_TABLES)


_CACHE: VersionedCache[dict[str, Any]] = VersionedCache(CACHE_SIZE)


def _cached(lake: Lake, campaign: str | None, since: date | None, until: date | None) -> dict[str, Any]:
    key = (data_version(lake), campaign, since, until)
    return _CACHE.get(key, lambda: compute(lake, campaign, since, until))


def clear_cache() -> None:
    _CACHE.clear()


def compute(lake: Lake, campaign: str | None, since: date | None, until: date | None) -> dict[str, Any]:
    """Every agent's activity and fair score (issue 13's ``agent_performance``) plus calls per active hour."""
    campaigns = [campaign] if campaign else None
    calls, members, roster = read_lake_inputs(lake, campaigns)
    end = None if until is None else until_of(until)
    result = agent_performance(calls, members, agents=roster, campaigns=campaigns, since=since, until=end)
    hours = _active_hours(calls, campaigns, since, end)
    for agent in result["agents"]:
        active = hours.get(agent["agent_id"], {})
        agent["active_hours"] = active.get("hours", 0)
        agent["calls_per_hour"] = agent["dials"] / agent["active_hours"] if agent["active_hours"] else None
        agent["talk_minutes"] = agent["talk_seconds"] / 60
    team_hours: dict[str, int] = {}
    for agent in result["agents"]:
        team_hours[agent["team"]] = team_hours.get(agent["team"], 0) + agent["active_hours"]
    for team in result["teams"]:
        team["active_hours"] = team_hours.get(team["team"], 0)
        team["calls_per_hour"] = team["dials"] / team["active_hours"] if team["active_hours"] else None
        team["talk_minutes"] = team["talk_seconds"] / 60
    span = _span(calls, campaigns, since, end)
    return {**result, **span}


def _call_rows(calls: Any, campaigns: list[str] | None, since: date | None, end: Any) -> Any:
    table = calls.filter(calls.channel == "call") if "channel" in calls.columns else calls
    table = table.filter(table.agent_id.notnull())
    if campaigns:
        table = table.filter(table.campaign_id.isin(campaigns))
    if since is not None:
        table = table.filter(table.ts >= datetime.combine(since, time()))
    if end is not None:
        table = table.filter(table.ts < end)
    return table


def _active_hours(calls: Any, campaigns: list[str] | None, since: date | None, end: Any) -> dict[str, dict[str, int]]:
    """Per agent, the clock hours in which they placed at least one call (the denominator of calls per hour)."""
    table = _call_rows(calls, campaigns, since, end)
    table = table.mutate(hour=table.ts.truncate("h"))
    per = table.group_by("agent_id").aggregate(hours=table.hour.nunique())
    frame = to_pandas(per)
    return {str(a): {"hours": int(h)} for a, h in zip(frame["agent_id"], frame["hours"].astype("int64"), strict=True)}


def _span(calls: Any, campaigns: list[str] | None, since: date | None, end: Any) -> dict[str, date | None]:
    table = _call_rows(calls, campaigns, since, end)
    row = to_pandas(table.aggregate(first=table.ts.min(), last=table.ts.max())).iloc[0]
    first, last = row["first"], row["last"]
    return {
        "first_call": None if first is None or first != first else first.date(),
        "last_call": None if last is None or last != last else last.date(),
    }
