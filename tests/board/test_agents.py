"""The agents board's data: scoping by reach (enforced here, for the page and its exports), calls per hour, cache."""

from __future__ import annotations

import os
import shutil
from datetime import date

import pandas as pd
import pytest

from callwise.board.agents import Reach, agents_board, clear_cache, compute, data_version, reach_for
from callwise.board.filters import Filters
from callwise.lake import Lake
from callwise.results.agents import agent_performance, read_lake_inputs


@pytest.fixture(scope="module")
def lake(small_bank) -> Lake:
    return small_bank["lake"]


@pytest.fixture(scope="module")
def roster(small_bank) -> pd.DataFrame:
    return pd.read_parquet(small_bank["bank"] / "agents.parquet")


def test_reach_follows_roles_and_links():
    assert reach_for(["analyst"], None, ()).kind == "all"
    assert reach_for(["analyst", "agent"], "A1", ()).kind == "all"
    assert reach_for(["supervisor"], None, ("T1", "T2")) == Reach(teams=("T1", "T2"))
    assert reach_for(["agent"], "A1", ()) == Reach(agent_id="A1")
    assert reach_for(["agent"], None, ()).kind == "none"
    assert reach_for(["supervisor"], None, ()).kind == "none"  # a supervisor without teams sees nothing, not all
    assert reach_for(["auditor"], None, ()).kind == "none"  # no outcomes:read at all


def test_an_agent_sees_only_themself_and_no_team_totals(lake):
    everyone = agents_board(lake, Reach(everyone=True), Filters())
    one = everyone.agents[3]["agent_id"]
    mine = agents_board(lake, Reach(agent_id=one), Filters())
    assert [a["agent_id"] for a in mine.agents] == [one]
    assert mine.teams == []
    # the score does not depend on who looks: the prior is fitted on every agent either way
    assert mine.agents[0]["fair_score"] == everyone.agents[3]["fair_score"]
    assert agents_board(lake, Reach(agent_id="nobody"), Filters()).agents == []


def test_a_supervisor_sees_only_their_teams(lake, roster):
    team = roster["team"].value_counts().index[0]
    board = agents_board(lake, Reach(teams=(team,)), Filters())
    expected = set(roster.loc[roster["team"] == team, "agent_id"])
    assert {a["agent_id"] for a in board.agents} == expected and len(expected) >= 2
    assert [t["team"] for t in board.teams] == [team]
    assert board.team_names == [team]
    # a team filter outside their teams shows nothing rather than widening the reach
    other = next(t for t in roster["team"].unique() if t != team)
    assert agents_board(lake, Reach(teams=(team,)), Filters(team=other)).agents == []


def test_everyone_and_the_team_filter(lake, roster):
    board = agents_board(lake, Reach(everyone=True), Filters())
    assert {a["agent_id"] for a in board.agents} == set(roster["agent_id"])
    assert len(board.teams) == roster["team"].nunique()
    team = roster["team"].iloc[0]
    narrowed = agents_board(lake, Reach(everyone=True), Filters(team=team))
    assert {a["team"] for a in narrowed.agents} == {team} and [t["team"] for t in narrowed.teams] == [team]
    assert agents_board(lake, Reach(), Filters()).agents == []


def test_calls_per_hour_against_pandas(lake, small_bank):
    contacts = pd.read_parquet(small_bank["bank"] / "contacts.parquet")
    calls = contacts[(contacts["channel"] == "call") & contacts["agent_id"].notna()]
    hours = calls.assign(hour=pd.to_datetime(calls["ts"]).dt.floor("h")).groupby("agent_id")["hour"].nunique()
    dials = calls.groupby("agent_id").size()
    board = agents_board(lake, Reach(everyone=True), Filters())
    for agent in board.agents:
        assert agent["active_hours"] == hours[agent["agent_id"]]
        assert agent["calls_per_hour"] == pytest.approx(dials[agent["agent_id"]] / hours[agent["agent_id"]])
        assert agent["talk_minutes"] == pytest.approx(agent["talk_seconds"] / 60)
    team = board.teams[0]
    members = [a for a in board.agents if a["team"] == team["team"]]
    assert team["calls_per_hour"] == pytest.approx(
        sum(a["dials"] for a in members) / sum(a["active_hours"] for a in members)
    )


def test_the_fair_score_is_issue_13s(lake):
    calls, members, roster = read_lake_inputs(lake)
    direct = agent_performance(calls, members, agents=roster)
    board = compute(lake, None, None, None)
    assert [a["fair_score"] for a in board["agents"]] == [a["fair_score"] for a in direct["agents"]]
    assert board["first_call"] < board["last_call"]


def test_the_date_range_narrows_the_calls(lake, small_bank):
    contacts = pd.read_parquet(small_bank["bank"] / "contacts.parquet")
    calls = contacts[(contacts["channel"] == "call") & contacts["agent_id"].notna()]
    ts = pd.to_datetime(calls["ts"])
    start, end = date(2026, 1, 1), date(2026, 2, 28)
    inside = calls[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(date(2026, 3, 1)))]
    board = agents_board(lake, Reach(everyone=True), Filters(date_from=start, date_to=end))
    assert sum(a["dials"] for a in board.agents) == len(inside) > 0
    assert board.first_call >= start and board.last_call <= end


def test_the_cache_is_keyed_by_the_data_version(small_bank, tmp_path):
    copy = tmp_path / "lake"
    shutil.copytree(small_bank["lake"].root, copy)
    lake = Lake(copy, threads=1)
    clear_cache()
    before = data_version(lake)
    first = agents_board(lake, Reach(everyone=True), Filters())
    again = agents_board(lake, Reach(everyone=True), Filters())
    assert again.agents[0] is first.agents[0]  # served from the cache
    contacts = lake.files("contacts")[0]
    os.utime(contacts, ns=(contacts.stat().st_atime_ns, contacts.stat().st_mtime_ns + 10**9))
    assert data_version(lake) != before
    fresh = agents_board(lake, Reach(everyone=True), Filters())
    assert fresh.agents[0] is not first.agents[0] and fresh.agents[0] == first.agents[0]
