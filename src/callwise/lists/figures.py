"""What the list report shows beyond the summary: calls per day against capacity, team and agent load, arms.

Computed from a built list (:class:`~callwise.lists.build.ListResult`), never from the lake again. Expected
calls count each planned attempt by the chance it is placed (a re-attempt is dialled only when no earlier
attempt was answered), which is what the agents' capacity is planned against.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from callwise.lists.build import ListResult


class Workload(TypedDict):
    dialer_calls: int  # attempts in the dialer files
    expected_calls: float
    capacity: float
    load: float | None  # expected calls ÷ capacity


class DayLoad(Workload):
    date: str


class AgentLoad(Workload):
    agent_id: str
    team: str


class TeamLoad(Workload):
    team: str
    agents: int


class ArmCount(TypedDict):
    arm: str
    customers: int
    share: float  # of the called (treatment) customers


class ListFigures(TypedDict):
    days: list[DayLoad]
    teams: list[TeamLoad]
    agents: list[AgentLoad]
    arms: list[ArmCount]


def _load(expected: float, capacity: float) -> float | None:
    return round(expected / capacity, 4) if capacity > 0 else None


def _workload(row: Mapping[Hashable, Any]) -> Workload:
    """A team's or an agent's calls against its capacity, as the report shows them."""
    expected, capacity = float(row["expected_calls"]), float(row["capacity"])
    return {
        "dialer_calls": int(row["dialer_calls"]),
        "expected_calls": round(expected, 1),
        "capacity": round(capacity, 1),
        "load": _load(expected, capacity),
    }


def list_figures(result: ListResult) -> ListFigures:
    """Per day, team, agent and arm: the numbers a supervisor checks before the calls start."""
    calls = result.calls
    day_of_call = calls["call_at"].dt.strftime("%Y-%m-%d")
    dialed = day_of_call.value_counts()
    days: list[DayLoad] = [
        {
            "date": d["date"],
            "dialer_calls": int(dialed.get(d["date"], 0)),
            "expected_calls": float(d["expected_calls"]),
            "capacity": float(d["capacity"]),
            "load": _load(float(d["expected_calls"]), float(d["capacity"])),
        }
        for d in result.summary["plan"]["days"]
    ]
    force = result.planning.force
    agents = pd.DataFrame(
        {
            "agent_id": force.agents["agent_id"].astype(str).to_numpy(),
            "team": (
                force.agents["team"].fillna("").astype(str).to_numpy()
                if "team" in force.agents.columns
                else np.full(len(force.agents), "")
            ),
            "capacity": force.per_agent.sum(axis=1),
        }
    )
    by_agent = calls.assign(agent_id=calls["agent_id"].astype(str)).groupby("agent_id")
    agents["dialer_calls"] = by_agent.size().reindex(agents["agent_id"]).fillna(0).to_numpy(np.int64)
    agents["expected_calls"] = by_agent["p_reached"].sum().reindex(agents["agent_id"]).fillna(0.0).to_numpy()
    teams = agents.groupby("team", sort=True).agg(
        agents=("agent_id", "size"),
        dialer_calls=("dialer_calls", "sum"),
        expected_calls=("expected_calls", "sum"),
        capacity=("capacity", "sum"),
    )
    agents = agents.sort_values(["team", "agent_id"], kind="stable")
    treatment = result.members[result.members["group"] == "treatment"]
    arm_counts = treatment["arm"].fillna("").astype(str).value_counts().sort_index()
    called = max(len(treatment), 1)
    return {
        "days": days,
        "teams": [
            {"team": str(row["team"]), "agents": int(row["agents"]), **_workload(row)}
            for row in teams.reset_index().to_dict("records")
        ],
        "agents": [
            {"agent_id": str(row["agent_id"]), "team": str(row["team"]), **_workload(row)}
            for row in agents.to_dict("records")
        ],
        "arms": [
            {"arm": str(arm), "customers": int(n), "share": round(int(n) / called, 4)} for arm, n in arm_counts.items()
        ],
    }
