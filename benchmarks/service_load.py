"""Outcomes through the real service under load: sustained events/s and request latency, SQLite and PostgreSQL.

For each backend:
1. a fresh operational database (a SQLite file; a fresh schema on CALLWISE_TEST_PG_URL), migrated and seeded
   with 20,000 customers whose phones and names are encrypted, and a dialer's machine token;
2. uvicorn serves ``callwise.web.server:app_from_env`` in a subprocess on loopback, configured by CALLWISE_*;
3. an asyncio + httpx client posts batches of 200 outcomes over 4 connections, and re-sends 10% of its requests
   with the same idempotency keys, as a dialer does when an answer is lost;
4. afterwards every distinct event must be in the database exactly once, and nothing else.

Writes benchmarks/results/service_load.json. Usage: python benchmarks/service_load.py [events] [workers] [customers]
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import Engine, func, select

from _bench import DISPOSITION_SHARES, write_result
from callwise import __version__
from callwise.clock import utcnow
from callwise.ops.customers import Pii
from callwise.ops.db import make_engine, scratch_schema, session_factory, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import CallOutcome, Customer
from callwise.ops.users import issue_token
from callwise.schema.contract import DISPOSITIONS
from callwise.security.crypto import LookupHasher, PiiCipher
from callwise.security.tokens import Scopes

HOST = "127.0.0.1"
GOAL_EVENTS_PER_S = 2_000


def main(
    events: int = 100_000,
    workers: int = 1,
    customers: int = 20_000,
    batch_size: int = 200,
    connections: int = 4,
    resend_share: float = 0.1,
    seed: int = 0,
) -> dict:
    assert set(DISPOSITION_SHARES) == set(DISPOSITIONS)
    params = {
        "customers": customers,
        "events": events,
        "batch_size": batch_size,
        "connections": connections,
        "resend_share": resend_share,
        "uvicorn_workers": workers,
        "followup_rules": "built-in (planned in each outcome's transaction)",
        "seed": seed,
    }
    result: dict = {"benchmark": "service_load", "params": params, "backends": {}}
    for backend in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory(prefix="callwise-load-") as tmp:
            result["backends"][backend] = run_backend(backend, Path(tmp), params)
        print(backend, json.dumps(result["backends"][backend]), file=sys.stderr)
    measured = {b: r.get("events_per_s") for b, r in result["backends"].items()}
    result["goals"] = {
        "events_per_s_min": GOAL_EVENTS_PER_S,
        "met": {b: v is not None and v >= GOAL_EVENTS_PER_S for b, v in measured.items()},
    }
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["callwise"] = __version__
    write_result("service_load", result)
    return result


def run_backend(backend: str, tmp: Path, params: dict) -> dict:
    if backend == "sqlite":
        return _measure(f"sqlite:///{tmp / 'callwise.db'}", tmp, params)
    base = os.environ.get("CALLWISE_TEST_PG_URL")
    if not base:
        return {"skipped": "CALLWISE_TEST_PG_URL is not set"}
    with scratch_schema(base, "cw_load") as url:
        return _measure(url, tmp, params)


def _measure(url: str, tmp: Path, params: dict) -> dict:
    engine = make_engine(url)
    try:
        upgrade(engine)
        pii_key, lookup_key = os.urandom(32), os.urandom(32)
        ids = seed_customers(engine, Pii(PiiCipher({"k1": pii_key}), LookupHasher(lookup_key)), params["customers"])
        token = dialer_token(engine)
        batches = make_batches(ids, params["events"], params["batch_size"], params["seed"])
        env = {
            "CALLWISE_DB_URL": url,
            "CALLWISE_DATA_DIR": str(tmp),
            "CALLWISE_PII_KEYS": "k1:" + base64.b64encode(pii_key).decode(),
            "CALLWISE_LOOKUP_KEY": base64.b64encode(lookup_key).decode(),
        }
        server, port = start_server(env, tmp / "server.log", params["uvicorn_workers"])
        try:
            load = asyncio.run(send_all(f"http://{HOST}:{port}", token, batches, params))
        finally:
            server.terminate()
            server.wait(30)
        return {**load, **verify(engine, batches)}
    finally:
        engine.dispose()


def seed_customers(engine: Engine, pii: Pii, count: int) -> list[str]:
    """Customers with encrypted phone and name (the cipher works value by value), inserted in one statement."""
    ids = [f"L{i:07d}" for i in range(count)]
    phones = [f"139{i:08d}" for i in range(count)]
    rows = [
        {
            "customer_id": cid,
            "phone_enc": pii.seal(cid, "phone", phone),
            "phone_lookup": pii.lookup(phone),
            "name_enc": pii.seal(cid, "name", "王小明"),
            "consent_marketing": True,
        }
        for cid, phone in zip(ids, phones, strict=True)
    ]
    with engine.begin() as connection:
        connection.execute(Customer.__table__.insert(), rows)
    return ids


def dialer_token(engine: Engine) -> str:
    with transaction(session_factory(engine)) as session:
        scopes = Scopes.parse("outcomes:write outcomes:read")
        secret, _ = issue_token(session, "load-dialer", "machine", scopes, utcnow() + timedelta(days=1), None)
    return secret


def make_batches(ids: list[str], events: int, batch_size: int, seed: int) -> list[bytes]:
    """Request bodies, serialised before the clock starts so the client spends its time sending."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, len(ids), events)
    disposition = rng.choice(list(DISPOSITION_SHARES), size=events, p=list(DISPOSITION_SHARES.values()))
    start = datetime.now(UTC) - timedelta(days=2)
    seconds = np.sort(rng.integers(0, 2 * 86_400 - 600, events))
    duration = rng.gamma(2.0, 40.0, events).round(1)
    items = [
        {
            "idempotency_key": f"load-{n:08d}",
            "customer_id": ids[customer[n]],
            "disposition": str(disposition[n]),
            "ts": (start + timedelta(seconds=int(seconds[n]))).isoformat(),
            "campaign_id": "CMP-LOAD",
            "agent_id": f"A{n % 200:03d}",
            "duration_s": float(duration[n]),
        }
        for n in range(events)
    ]
    return [json.dumps({"outcomes": items[i : i + batch_size]}).encode() for i in range(0, events, batch_size)]


def start_server(env: dict[str, str], log: Path, workers: int, timeout: float = 60) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "callwise.web.server:app_from_env", "--factory", "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=_environment(env), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the service exited with {server.returncode}: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/v1/health", timeout=2).status_code == 200:
                return server, port
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the service did not answer within {timeout} s: {log.read_text(errors='replace')}")


def _environment(settings: dict[str, str]) -> dict[str, str]:
    """This shell's environment without its CALLWISE_* settings, plus ours: the service runs as configured here."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CALLWISE_")}
    return {**inherited, **settings}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


async def send_all(url: str, token: str, batches: list[bytes], params: dict) -> dict:
    """Post every batch (and re-send a share of them) over a few connections; time each request."""
    rng = random.Random(params["seed"])
    resend = {i for i in range(len(batches)) if rng.random() < params["resend_share"]}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(batches)):
        queue.put_nowait(i)
    latencies: list[float] = []
    counts = {"stored": 0, "duplicates": 0, "rejected": 0, "resent_requests": 0}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=params["connections"], max_keepalive_connections=params["connections"])

    async def post(client: httpx.AsyncClient, body: bytes) -> dict:
        began = time.perf_counter()
        response = await client.post("/api/v1/outcomes", content=body)
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"the service answered {response.status_code}: {response.text[:300]}")
        answer = response.json()
        for key in ("stored", "duplicates", "rejected"):
            counts[key] += answer[key]
        return answer

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            first = await post(client, batches[i])
            if i in resend:  # the answer "was lost": the same keys again, none may be stored twice
                again = await post(client, batches[i])
                counts["resent_requests"] += 1
                if again["duplicates"] != first["stored"] + first["duplicates"]:
                    raise RuntimeError(f"a re-sent batch was not recognised in full: {again}")

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(params["connections"])))
        seconds = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    sent = counts["stored"] + counts["duplicates"] + counts["rejected"]
    return {
        "seconds": round(seconds, 2),
        "requests": len(latencies),
        "resent_requests": counts["resent_requests"],
        "events_sent": sent,
        "stored": counts["stored"],
        "duplicates": counts["duplicates"],
        "rejected": counts["rejected"],
        "events_per_s": round(counts["stored"] / seconds),
        "events_per_s_incl_resent": round(sent / seconds),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "latency_ms": {
            "p50": round(float(np.percentile(ms, 50)), 1),
            "p95": round(float(np.percentile(ms, 95)), 1),
            "p99": round(float(np.percentile(ms, 99)), 1),
            "max": round(float(ms.max()), 1),
        },
    }


def verify(engine: Engine, batches: list[bytes]) -> dict:
    """Every distinct key sent is stored exactly once, and nothing else is there."""
    sent = {item["idempotency_key"] for body in batches for item in json.loads(body)["outcomes"]}
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(CallOutcome))
        stored = set(connection.scalars(select(CallOutcome.idempotency_key)))
    return {
        "distinct_keys_sent": len(sent),
        "rows_in_db": rows,
        "exactly_once": rows == len(sent) and stored == sent,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(main(*args), indent=2))
