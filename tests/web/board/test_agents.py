"""The agents page through the app: who sees which agents (page and exports), the empty state, both languages."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from callwise.ops.db import transaction
from callwise.ops.models import User


def _agents_in(html: str, roster: pd.DataFrame) -> set[str]:
    return {a for a in roster["agent_id"] if f">{a}<" in html}


@pytest.fixture
def roster(small_bank) -> pd.DataFrame:
    return pd.read_parquet(small_bank["bank"] / "agents.parquet")


def _user(board, name: str) -> User:
    with board.services.factory() as s:
        return s.query(User).filter(User.username == name).one()


def test_an_agent_sees_one_row_a_supervisor_their_teams_an_analyst_all(board, roster):
    agent = _user(board, "agent1")
    supervisor = _user(board, "supervisor1")
    teams = supervisor.teams.split()
    mine = board.client_for("agent").get("/board/agents?lang=en")
    assert mine.status_code == 200 and 'data-scope="agent"' in mine.text
    assert _agents_in(mine.text, roster) == {agent.agent_id}
    assert "You see only yourself" in mine.text and 'id="figure-teams"' not in mine.text
    theirs = board.client_for("supervisor").get("/board/agents?lang=en")
    expected = set(roster.loc[roster["team"].isin(teams), "agent_id"])
    assert _agents_in(theirs.text, roster) == expected and len(expected) < len(roster)
    assert 'id="figure-score"' in theirs.text and 'id="figure-teams"' in theirs.text
    everyone = board.client_for("analyst").get("/board/agents?lang=en")
    assert _agents_in(everyone.text, roster) == set(roster["agent_id"])


def test_exports_are_scoped_the_same_way(board, roster):
    agent = _user(board, "agent1")
    csv = board.client_for("agent").get("/board/agents/export/agents.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert frame.iloc[:, 0].tolist() == [agent.agent_id]
    teams = board.client_for("agent").get("/board/agents/export/teams.csv")
    assert len(pd.read_csv(io.BytesIO(teams.content), encoding="utf-8-sig")) == 0  # no colleagues' totals
    supervisor = _user(board, "supervisor1").teams.split()
    xlsx = board.client_for("supervisor").get("/board/agents/export/score.xlsx?lang=en")
    assert xlsx.status_code == 200
    rows = pd.read_excel(io.BytesIO(xlsx.content), engine="openpyxl")
    assert set(rows["Team"]) <= set(supervisor) and len(rows) == roster["team"].isin(supervisor).sum()
    assert board.client_for("agent").get("/board/agents/export/nothing.csv").status_code == 404
    assert board.client_for("agent").get("/board/agents/export/agents.pdf").status_code == 404


def test_a_floor_user_linked_to_nothing_is_told_what_to_do(board):
    with transaction(board.services.factory) as s:
        s.query(User).filter(User.username == "agent1").one().agent_id = None
    zh = board.client_for("agent").get("/board/agents?lang=zh")
    assert zh.status_code == 200 and "请联系管理员用 callwise users scope 为您关联" in zh.text
    assert 'id="figure-score"' not in zh.text
    en = board.client_for("agent").get("/board/agents?lang=en")
    assert "Ask your administrator to link it with callwise users scope" in en.text
    export = board.client_for("agent").get("/board/agents/export/agents.csv")
    assert len(pd.read_csv(io.BytesIO(export.content), encoding="utf-8-sig")) == 0


def test_forbidden_and_both_languages(board):
    assert board.client_for("auditor").get("/board/agents").status_code == 403
    assert board.client_for("admin").get("/board/agents/export/agents.csv").status_code == 403
    zh = board.client_for("analyst").get("/board/agents?lang=zh")
    assert "公平绩效分" in zh.text and "每小时拨打" in zh.text
    en = board.client_for("analyst").get("/board/agents?lang=en")
    assert "Fair score per agent" in en.text and "Calls per hour" in en.text


def test_filters_narrow_and_an_empty_range_says_what_to_do(board):
    client = board.client_for("analyst")
    empty = client.get("/board/agents?lang=en&date_from=2020-01-01&date_to=2020-01-31")
    assert empty.status_code == 200 and "There are no calls in this range" in empty.text
    bad = client.get("/board/agents?date_from=yesterday")
    assert bad.status_code == 422
