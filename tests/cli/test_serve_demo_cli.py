"""`callwise serve --demo DIR` turns the output of `callwise demo` into a working service: started for real, logged
into with the password it printed, and a list built through the API, with no other step."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.web.live_server import LiveServer
from typer.testing import CliRunner

from callwise.cli import app
from callwise.ops.db import make_engine, session_factory
from callwise.ops.models import AuditEntry, ModelVersion

PASSWORD = re.compile(r"Log in as (\S+) with the password (\S+) ")
OTHER_USER = re.compile(r"^  \w+: (demo-\S+) password (\S+)", re.MULTILINE)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A small `callwise demo` run, with no keys set: the demo makes and uses its own throw-away ring."""
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CALLWISE_PII_KEYS", "CALLWISE_LOOKUP_KEY", "CALLWISE_DB_URL", "CALLWISE_DATA_DIR"):
            mp.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["demo", "--out", str(out), "--customers", "1000", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    return out


def _started(demo_dir: Path, log: Path) -> tuple[LiveServer, str, str]:
    server = LiveServer({"CALLWISE_LANG": "en"}, log, serve_args=["--demo", str(demo_dir)]).start(timeout=120)
    found = PASSWORD.findall(log.read_text(encoding="utf-8"))
    assert found, server.log_tail()
    user, password = found[-1]
    return server, user, password


def _login(server: LiveServer, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/auth/login", json={"username": user, "password": password}, timeout=10)


def test_serve_demo_starts_a_service_a_list_can_be_built_on(demo_dir, tmp_path):
    summary = json.loads((demo_dir / "summary.json").read_text(encoding="utf-8"))
    log = tmp_path / "server.log"
    server, user, password = _started(demo_dir, log)
    try:
        login = _login(server, user, password)
        assert login.status_code == 200, login.text
        auth = {"authorization": f"Bearer {login.json()['token']}"}
        campaign = {
            "campaign_id": "demo-api",
            "product_id": summary["list"]["product_id"],
            "date": summary["list"]["date"],
            "capacity": 50,
            "seed": 3,
        }
        made = httpx.post(f"{server.url}/api/v1/campaigns", json=campaign, headers=auth, timeout=10)
        assert made.status_code == 201, made.text
        job = httpx.post(f"{server.url}/api/v1/campaigns/demo-api/builds", headers=auth, timeout=10)
        assert job.status_code == 202, job.text
        for _ in range(600):
            state = httpx.get(f"{server.url}/api/v1/jobs/{job.json()['job_id']}", headers=auth, timeout=10).json()
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert state["status"] == "done", state["error"]
        assert state["result"]["items"] > 0
        lists = httpx.get(f"{server.url}/api/v1/campaigns/demo-api/lists", headers=auth, timeout=10).json()
        (issued,) = lists["items"]
        assert issued["model_version"] == "response:demo" and issued["items"] > 0
    finally:
        server.stop()
    # The passwords were printed once, with the board's URL, and are in no table of the database (nor the audit log).
    printed = log.read_text(encoding="utf-8")
    others = dict(OTHER_USER.findall(printed))
    assert set(others) == {"demo-analyst", "demo-supervisor", "demo-agent", "demo-auditor"}
    assert "the board: http://127.0.0.1:" in printed
    for secret in [password, *others.values()]:
        assert printed.count(secret) == 1
        assert secret.encode() not in (demo_dir / "callwise.db").read_bytes()

    # A second start is fine: same database and model, a new password; the old one no longer opens it.
    server, again, new_password = _started(demo_dir, tmp_path / "again.log")
    try:
        assert again == user and new_password != password
        assert _login(server, user, password).status_code == 401
        assert _login(server, user, new_password).status_code == 200
    finally:
        server.stop()
    engine = make_engine(f"sqlite:///{demo_dir / 'callwise.db'}")
    try:
        with session_factory(engine)() as session:
            versions = session.scalars(select(ModelVersion)).all()
            actions = session.scalars(select(AuditEntry.action)).all()
    finally:
        engine.dispose()
    # The response model and the uplift model the board's uplift page shows, each registered and promoted once.
    assert sorted((v.name, v.version, v.active) for v in versions) == [
        ("response", "demo", True),
        ("uplift", "demo", True),
    ]
    assert actions.count("model.register") == 2 and actions.count("model.promote") == 2
    # One demo user per role, each made once and given a new password at the second start; the board seeded once.
    assert actions.count("user.create") == 5 and actions.count("user.password_reset") == 5
    assert actions.count("campaign.create") == 3 + 1 + 1  # the demo's three, its list ranked by uplift, the one above


def test_serve_demo_refuses_a_folder_that_is_not_a_demo_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    result = CliRunner().invoke(app, ["serve", "--demo", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "is not the output of callwise demo (there is no summary.json)" in result.stderr
    assert f"run callwise demo --out {tmp_path / 'nothing'} first" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "nothing").exists()
