"""The real server under faults: killed mid-stream it loses and doubles nothing; without its database it says 503.

A dialer's contract is simple: whatever did not come back 200, send again with the same idempotency keys. These
tests hold the service to it with a real uvicorn process: SIGKILL while batches are in flight (SQLite and
PostgreSQL), and PostgreSQL cut off behind a proxy and brought back, with no restart of the service.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import make_url, select

from callwise.ops.models import CallOutcome
from callwise.schema.contract import DISPOSITIONS
from tests.web.live_server import HOST, Keys, LiveServer, TcpProxy, live_database, machine_token, seed_customers

BATCHES, BATCH_SIZE, CUSTOMERS = 40, 50, 60
KILL_AFTER = 8  # acknowledged batches before the kill, so both sides of it see traffic


def _batches(customers: list[str], seed: int = 3) -> list[list[dict]]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=3)
    return [
        [
            {
                "idempotency_key": f"kill-{b:03d}-{i:03d}",
                "customer_id": rng.choice(customers),
                "disposition": rng.choice(DISPOSITIONS),
                "ts": (start + timedelta(seconds=b * BATCH_SIZE + i)).isoformat(),
            }
            for i in range(BATCH_SIZE)
        ]
        for b in range(BATCHES)
    ]


@dataclass
class Dialer:
    """Sends every batch until it gets a 200, re-sending the same keys after any error or lost connection."""

    url: str
    token: str
    batches: list[list[dict]]
    acknowledged: int = 0
    failed_attempts: int = 0
    answers: list[dict] = field(default_factory=list)
    error: BaseException | None = None

    def run(self, deadline: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
                for batch in self.batches:
                    self.answers.append(self._deliver(client, batch, deadline))
                    self.acknowledged += 1
        except BaseException as error:  # surfaced by the test, not lost in the thread
            self.error = error

    def _deliver(self, client: httpx.Client, batch: list[dict], deadline: float) -> dict:
        while time.monotonic() < deadline:
            try:
                response = client.post("/api/v1/outcomes", json={"outcomes": batch})
                if response.status_code == 200:
                    return response.json()
            except httpx.TransportError:
                pass
            self.failed_attempts += 1
            time.sleep(0.05)
        raise TimeoutError(f"batch {batch[0]['idempotency_key']} was never acknowledged")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


def test_a_server_killed_mid_stream_loses_and_doubles_nothing(backend, tmp_path):
    keys = Keys.new()
    with live_database(backend, tmp_path) as db:
        customers = seed_customers(db.engine, keys.pii(), CUSTOMERS)
        dialer = Dialer("", machine_token(db.engine, "outcomes:write outcomes:read"), _batches(customers))
        env = {**keys.env(), "CALLWISE_DB_URL": db.url, "CALLWISE_DATA_DIR": str(tmp_path)}
        server = LiveServer(env, tmp_path / "server.log").start()
        dialer.url = server.url
        try:
            thread = threading.Thread(target=dialer.run, args=(time.monotonic() + 60,))
            thread.start()
            while dialer.acknowledged < KILL_AFTER and thread.is_alive():
                time.sleep(0.005)
            server.kill()  # the dialer is sending the next batch right now
            killed_at = dialer.acknowledged
            time.sleep(0.3)
            server.start()  # same port, same database
            thread.join(60)
        finally:
            server.stop()
        assert dialer.error is None, f"{dialer.error!r}\n{server.log_tail()}"
        assert killed_at < BATCHES and dialer.failed_attempts > 0, "the kill did not interrupt the stream"
        sent = {item["idempotency_key"]: item["disposition"] for batch in dialer.batches for item in batch}
        with db.engine.connect() as connection:
            rows = connection.execute(select(CallOutcome.idempotency_key, CallOutcome.disposition)).all()
    assert len(rows) == len(sent) == BATCHES * BATCH_SIZE  # each key once, none extra
    assert dict(rows) == sent
    for answer in dialer.answers:  # every batch was accounted for: new, or stored by an attempt cut off earlier
        assert answer["rejected"] == 0 and answer["stored"] + answer["duplicates"] == BATCH_SIZE


def _outcome(key: str, customer: str) -> dict:
    ts = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    return {"idempotency_key": key, "customer_id": customer, "disposition": "answered", "ts": ts}


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"].startswith("The operational database is unavailable") and error["message_zh"]
    assert response.headers["retry-after"].isdigit()


def test_postgres_out_of_reach_gives_503_and_the_service_recovers_without_restart(tmp_path):
    keys = Keys.new()
    with live_database("postgresql", tmp_path) as db:
        (customer,) = seed_customers(db.engine, keys.pii(), 1)
        token = machine_token(db.engine, "outcomes:write outcomes:read")
        target = make_url(db.url)
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            env = {**keys.env(), "CALLWISE_DB_URL": db.url_via(HOST, proxy.port)}
            env["CALLWISE_DATA_DIR"] = str(tmp_path)
            with (
                LiveServer(env, tmp_path / "server.log") as server,
                httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=20) as client,
            ):
                before = client.post("/api/v1/outcomes", json={"outcomes": [_outcome("pg-1", customer)]})
                assert before.status_code == 200 and before.json()["stored"] == 1

                proxy.close()
                _assert_unavailable(client.get("/api/v1/health"))
                _assert_unavailable(client.post("/api/v1/outcomes", json={"outcomes": [_outcome("pg-2", customer)]}))
                _assert_unavailable(client.get("/api/v1/outcomes"))

                proxy.open()
                assert client.get("/api/v1/health").status_code == 200
                again = client.post("/api/v1/outcomes", json={"outcomes": [_outcome("pg-2", customer)]})
                assert again.status_code == 200 and again.json()["stored"] == 1
                listed = client.get("/api/v1/outcomes").json()["items"]
                assert [o["idempotency_key"] for o in listed] == ["pg-1", "pg-2"]
                assert server.process is not None and server.process.poll() is None  # the same process throughout
