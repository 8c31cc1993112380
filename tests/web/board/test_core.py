"""The dashboard's frame: signing in and out, the cookie, CSRF, the idle timeout, languages, error pages, headers.

A test page (``/board/probe``, metrics:read, with a POST) stands in for the real pages, so the frame is tested
on its own; the pages' own tests use the same ``board`` fixture.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from callwise.clock import utcnow
from callwise.ops.db import transaction
from callwise.ops.models import ApiToken, AuditEntry
from callwise.ops.users import issue_token
from callwise.security.tokens import Scopes
from callwise.web.ui.render import render
from callwise.web.ui.session import FiltersDep, Viewer, form_for, viewer_for
from tests.web.board.conftest import csrf_of, sign_in
from tests.web.conftest import PASSWORD

probe = APIRouter()


@probe.get("/board/probe")
def probe_page(request: Request, viewer: Annotated[Viewer, viewer_for("metrics:read")], filters: FiltersDep):
    return render(request, viewer, "errors/error.html.j2", key="board.nav.overview", values={}, filters=filters)


@probe.post("/board/probe")
def probe_post(viewer: Annotated[Viewer, form_for("metrics:read")]) -> dict:
    return {"done": viewer.principal.name}


@pytest.fixture
def app(board):
    application = board.api.client.app
    application.include_router(probe)
    return application


def test_signing_in_sets_a_session_cookie_that_scripts_cannot_read(app):
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    answer = client.post(
        "/login",
        data={"username": "analyst1", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/board/probe"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/board/probe"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("callwise_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/board/probe").status_code == 200


def test_over_tls_the_cookie_is_secure(app):
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = client.get("/login")
    answer = client.post(
        "/login", data={"username": "analyst1", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("callwise_session="))
    assert "Secure" in cookie


def test_a_login_post_without_the_forms_token_is_refused(app):
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    answer = client.post("/login", data={"username": "analyst1", "password": PASSWORD, "csrf_token": "forged"})
    assert answer.status_code == 403 and "callwise_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "lang, words", [("zh", "用户名或密码不正确"), ("en", "The user name or the password is wrong")]
)
def test_a_wrong_password_says_so_in_the_readers_language(app, lang, words):
    client = TestClient(app, follow_redirects=False)
    page = client.get(f"/login?lang={lang}")
    answer = client.post("/login", data={"username": "analyst1", "password": "nope", "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 401 and words in answer.text
    assert PASSWORD not in answer.text and "nope" not in answer.text


def test_logins_are_throttled_as_the_apis_are(app):
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    statuses = [
        client.post("/login", data={"username": "agent1", "password": "wrong", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    answer = client.post("/login", data={"username": "agent1", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 429  # even the right password waits


def test_next_never_leads_to_another_site(app):
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login?next=//evil.example/x")
    assert 'value="/"' in page.text
    answer = client.post(
        "/login",
        data={"username": "analyst1", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "//evil.example"},
    )
    assert answer.headers["location"] == "/"


def test_a_page_without_a_session_goes_to_the_login_page_and_htmx_is_told_so(app):
    client = TestClient(app, follow_redirects=False)
    answer = client.get("/board/probe?campaign=C1")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fboard%2Fprobe%3Fcampaign%3DC1"
    fragment = client.get("/board/probe", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["hx-redirect"].startswith("/login?next=")


def test_a_role_without_the_permission_gets_the_403_page(board, app):
    answer = board.client_for("agent").get("/board/probe")
    assert answer.status_code == 403 and "metrics:read" in answer.text and "<html" in answer.text


def test_a_post_without_the_csrf_token_is_refused(board, app):
    client = board.client_for("analyst")
    assert client.post("/board/probe", data={}).status_code == 403
    assert client.post("/board/probe", data={"csrf_token": "x" * 64}).status_code == 403
    token = board.csrf(client)
    assert client.post("/board/probe", data={"csrf_token": token}).json() == {"done": "analyst1"}
    assert client.post("/board/probe", headers={"X-CSRF-Token": token}).json() == {"done": "analyst1"}


def test_another_sessions_token_does_not_pass(board, app):
    analyst, supervisor = board.client_for("analyst"), board.client_for("supervisor")
    assert supervisor.post("/board/probe", data={"csrf_token": board.csrf(analyst)}).status_code == 403


def test_signing_out_ends_the_session(board, app):
    client = board.client_for("analyst")
    assert client.post("/logout", data={}).status_code == 403  # signing out is a form like any other
    answer = client.post("/logout", data={"csrf_token": board.csrf(client)})
    assert answer.status_code == 303
    assert client.get("/board/probe").status_code == 303
    with board.services.factory() as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "logout")) == "logout"


def test_an_idle_session_is_ended(board, app):
    client = board.client_for("analyst")
    assert client.get("/board/probe").status_code == 200
    with transaction(board.services.factory) as session:
        session.execute(
            update(ApiToken).where(ApiToken.name == "login analyst1").values(last_seen_at=utcnow() - timedelta(hours=1))
        )
    assert client.get("/board/probe").status_code == 303
    with board.services.factory() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.name == "login analyst1")).one()
        assert token.revoked_at is not None
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "logout.idle")) == "logout.idle"


def test_activity_keeps_a_session_alive(board, app):
    client = board.client_for("analyst")
    with transaction(board.services.factory) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.name == "login analyst1")
            .values(last_seen_at=utcnow() - board.services.board_idle + timedelta(minutes=2))
        )
    assert client.get("/board/probe").status_code == 200  # and the visit moved last_seen_at on
    with board.services.factory() as session:
        seen = session.scalar(select(ApiToken.last_seen_at).where(ApiToken.name == "login analyst1"))
        assert utcnow() - seen < timedelta(minutes=1)


def test_a_machine_token_in_the_cookie_opens_nothing(board, app):
    client = TestClient(app, follow_redirects=False)
    client.cookies.set("callwise_session", board.api.tokens["analyst"])  # a session token of the API works …
    assert client.get("/board/probe").status_code == 200
    with transaction(board.services.factory) as session:
        secret, _ = issue_token(
            session, "dialer", "machine", Scopes.parse(["metrics:read"]), utcnow() + timedelta(hours=1), None
        )
    machine = TestClient(app, follow_redirects=False)
    machine.cookies.set("callwise_session", secret)  # … a machine's never
    assert machine.get("/board/probe").status_code == 303


def test_the_language_switch_keeps_the_page_and_is_remembered(board, app):
    client = board.client_for("analyst")
    zh = client.get("/board/probe?campaign=C1")
    assert 'lang="zh-CN"' in zh.text and "总览" in zh.text
    assert 'href="/board/probe?campaign=C1&amp;lang=en"' in zh.text
    en = client.get("/board/probe?campaign=C1&lang=en")
    assert 'lang="en"' in en.text and "Overview" in en.text
    assert 'href="/board/probe?campaign=C1&amp;lang=zh"' in en.text
    assert 'lang="en"' in client.get("/board/probe").text  # the choice is kept


def test_pages_carry_the_security_headers(board, app):
    answer = board.client_for("analyst").get("/board/probe")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("query", ["date_from=2026-13-01", "date_to=1899-01-01", "page=0", "page=x", "team=%01"])
def test_a_malformed_filter_is_named_not_ignored(board, app, query):
    answer = board.client_for("analyst").get(f"/board/probe?{query}&lang=en")
    assert answer.status_code == 422 and query.split("=")[0] in answer.text


def test_a_range_that_ends_before_it_starts_is_refused(board, app):
    answer = board.client_for("analyst").get("/board/probe?date_from=2026-12-02&date_to=2026-12-01")
    assert answer.status_code == 422


def test_an_unknown_board_path_is_a_page_and_the_apis_404_stays_json(board, app):
    client = board.client_for("analyst")
    page = client.get("/board/no-such-page")
    assert page.status_code == 404 and "<html" in page.text
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_the_board_is_compressed_and_the_api_is_not(board, app):
    client = board.client_for("analyst")
    css = client.get("/static/board.css", headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200 and css.headers.get("content-encoding") == "gzip"
    api = client.get("/api/v1/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in api.headers


def test_a_user_whose_roles_open_no_page_is_told_so(board, app):
    # Every role opens some page once the customer page (admin: customers:read) is in; a user without roles none.
    from callwise.ops.users import create_user

    with transaction(board.services.factory) as session:
        create_user(session, "nobody1", PASSWORD, [], "setup", None)
    client = sign_in(app, "nobody1", PASSWORD)
    answer = client.get("/", follow_redirects=True)
    assert answer.status_code == 200 and "命令行" in answer.text


def test_the_root_sends_a_visitor_without_a_session_to_the_login_page(app):
    answer = TestClient(app, follow_redirects=False).get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_login_form_survives_hostile_input(app):
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/login").text)
    for username in ["<script>alert(1)</script>", "x" * 65, "'; DROP TABLE users; --", "名字\x00"]:
        answer = client.post("/login", data={"username": username, "password": "p", "csrf_token": token})
        assert answer.status_code in (401, 422) and "<script>alert(1)</script>" not in answer.text


def test_sign_in_helper_works_for_every_role(board, app):
    for role in ("analyst", "supervisor", "agent", "auditor", "admin"):
        assert sign_in(app, f"{role}1", PASSWORD).cookies.get("callwise_session")
