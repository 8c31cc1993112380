"""A dashboard on a real, migrated database (SQLite and PostgreSQL), the small synthetic bank's lake, one user
per role (password ``PASSWORD``), and clients signed in through the login form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from callwise.ops.db import transaction
from callwise.ops.models import User
from callwise.web.deps import Services
from tests.web.conftest import PASSWORD, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Board:
    api: Api
    clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        return self.api.services

    def client_for(self, role: str) -> TestClient:
        """A client signed in as ``<role>1`` through the login form (one per role, kept for the test)."""
        if role not in self.clients:
            self.clients[role] = sign_in(self.api.client.app, f"{role}1", PASSWORD)
        return self.clients[role]

    def csrf(self, client: TestClient) -> str:
        """The session's CSRF token, as every signed-in page carries it (in the sign-out form)."""
        return csrf_of(client.get("/board/none").text)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


def sign_in(app, username: str, password: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    page = client.get("/login")
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"}
    )
    assert answer.status_code == 303, answer.text[:500]
    return client


def agent_and_teams(lake) -> tuple[str, list[str]]:
    """An agent of the bank and two teams (the agent's own first), for the agent and supervisor users."""
    agents = lake.table("agents").select("agent_id", "team").order_by("agent_id").to_pyarrow().to_pylist()
    agent = agents[0]
    teams = [agent["team"], *sorted({a["team"] for a in agents} - {agent["team"]})[:1]]
    return agent["agent_id"], teams


@pytest.fixture
def board(api, small_bank) -> Board:
    api.services.lake = small_bank["lake"]
    agent_id, teams = agent_and_teams(small_bank["lake"])
    with transaction(api.services.factory) as session:
        for user in session.query(User):
            if user.username == "agent1":
                user.agent_id = agent_id
            if user.username == "supervisor1":
                user.teams = " ".join(teams)
    yield Board(api)
