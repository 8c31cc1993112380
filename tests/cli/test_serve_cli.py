"""`callwise serve` checks what the service needs before uvicorn starts, and refuses in one sentence; started, it
believes X-Forwarded-For only from the proxies it is told to."""

import contextlib
from collections.abc import Iterator

import httpx
from sqlalchemy import Engine, select
from tests.web.live_server import HOST, Keys, LiveServer, live_database

from callwise.clock import utcnow
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry, LoginAttempt
from callwise.ops.users import FAILED_LOGINS_PER_ADDRESS


def test_refuses_without_keys(migrated, monkeypatch):
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    result = migrated.run("serve", "--port", "8765")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: CALLWISE_PII_KEYS is not set") and len(result.stderr.splitlines()) == 1


def test_refuses_without_the_lookup_key(migrated, monkeypatch):
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY")
    result = migrated.run("serve")
    assert result.exit_code == 2 and "CALLWISE_LOOKUP_KEY is not set" in result.stderr


def test_refuses_a_malformed_key_without_printing_it(migrated, monkeypatch):
    monkeypatch.setenv("CALLWISE_PII_KEYS", "k1:c2hvcnQ=")  # base64 of "short"
    result = migrated.run("serve")
    assert result.exit_code == 2 and "AES-256 needs exactly 32" in result.stderr and "c2hvcnQ" not in result.output


def test_refuses_an_unmigrated_database_and_does_not_create_it(operator):
    result = operator.run("serve")
    assert result.exit_code == 2
    assert "is at revision none" in result.stderr and "run `callwise db upgrade` first" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not operator.db_path.exists()


def test_refuses_an_unmigrated_database_even_without_keys(operator, monkeypatch):
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    result = operator.run("serve")
    assert result.exit_code == 2 and "callwise db upgrade" in result.stderr


def test_port_and_workers_are_checked_before_anything_else(migrated):
    for args in (["--port", "0"], ["--port", "70000"], ["--workers", "0"], ["--port", "http"]):
        result = migrated.run("serve", *args)
        assert result.exit_code == 2 and "Invalid value" in result.output, args


def test_a_bad_proxy_address_is_refused_in_one_sentence(migrated, monkeypatch):
    result = migrated.run("serve", "--forwarded-allow-ips", "127.0.0.1, *")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "'*' in --forwarded-allow-ips / CALLWISE_FORWARDED_ALLOW_IPS is not an IP address" in result.stderr
    monkeypatch.setenv("CALLWISE_FORWARDED_ALLOW_IPS", "10.0.0.300")
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    assert "'10.0.0.300' 不是 IP 地址或网段" in migrated.run("serve").stderr


@contextlib.contextmanager
def _serving(tmp_path, serve_args: list[str]) -> Iterator[tuple[LiveServer, Engine]]:
    """`callwise serve` on a migrated SQLite file, started as an operator starts it; and the test's own engine."""
    with live_database("sqlite", tmp_path) as db:
        env = {**Keys.new().env(), "CALLWISE_DB_URL": db.url, "CALLWISE_DATA_DIR": str(tmp_path)}
        with LiveServer(env, tmp_path / "server.log", serve_args=serve_args) as server:
            yield server, db.engine


def _login_ips(engine) -> list[str | None]:
    with session_factory(engine)() as session:
        query = select(AuditEntry.ip).where(AuditEntry.action.like("login.%")).order_by(AuditEntry.entry_id)
        return list(session.scalars(query))


def test_a_spray_rotating_x_forwarded_for_from_loopback_is_throttled_and_audited_with_the_real_peer(tmp_path):
    with _serving(tmp_path, []) as (server, engine):
        # The spray so far: all but the last two failures the address may have, each at another user.
        with transaction(session_factory(engine)) as session:
            session.add_all(
                LoginAttempt(username=f"earlier{n}", ip=HOST, ok=False, ts=utcnow())
                for n in range(FAILED_LOGINS_PER_ADDRESS - 2)
            )
        statuses = []
        for n in range(3):
            forged = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            body = {"username": f"user{n}", "password": "Spring2026!"}  # a new name each time: one guess per user
            statuses.append(httpx.post(f"{server.url}/api/v1/auth/login", json=body, headers=forged).status_code)
        assert statuses == [401, 401, 429]
        assert _login_ips(engine) == [HOST] * 3, "the audit log holds the peer's address, never the header's"


def test_x_forwarded_for_is_believed_from_a_listed_proxy_only(tmp_path):
    with _serving(tmp_path, ["--forwarded-allow-ips", f"{HOST}/32"]) as (server, engine):
        headers = {"X-Forwarded-For": "198.51.100.7"}
        body = {"username": "nobody", "password": "wrong"}
        assert httpx.post(f"{server.url}/api/v1/auth/login", json=body, headers=headers).status_code == 401
        assert _login_ips(engine) == ["198.51.100.7"]
