"""The dashboard's speed over a full-size ops DB: the overview and the campaign page.

1. A fresh SQLite ops DB (a file; and a fresh schema on CALLWISE_TEST_PG_URL when it is set), migrated, with
   100 campaigns, their list members (treatment and control), and 1M call outcomes over 30 days, bulk-inserted;
   the converted calls' conversions and the control members' own purchases; then the roll-ups built by the
   backfill (``rebuild_rollups``, timed), and checked against a GROUP BY over call_outcomes.
2. The overview's data function, N times each for the default view, one campaign, and one team.
3. The pages through the app in-process (httpx over ASGI, a session cookie from the login form): ``/board/``,
   its tiles fragment, and ``/board/campaigns/{id}`` if that page is registered; p50/p95 ms and the bytes of each
   page with its assets (gzip where the server compresses). Skipped, and said so, while the board is not there.

Writes benchmarks/results/board_speed.json. Usage: python benchmarks/board_speed.py [outcomes] [campaigns] [repeats]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, func, select, text

from _bench import DISPOSITION_SHARES, throwaway_pii, write_result
from callwise import __version__
from callwise.board.filters import Filters
from callwise.board.overview import overview
from callwise.ops.db import insert_columns, make_engine, scratch_schema, session_factory, table_of, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import (
    CallOutcome,
    Campaign,
    Conversion,
    Customer,
    IssuedList,
    ListMember,
    OutcomeRollup,
)
from callwise.ops.rollups import rebuild_rollups
from callwise.ops.users import create_user

ZONE = "Asia/Shanghai"
TODAY = date(2026, 11, 30)
DAYS = 30
GOAL_P95_MS = 300
GOAL_PAGE_BYTES = 1_500_000
PASSWORD = "Bench-Board-2026"  # a throw-away user of a throw-away database
TEAMS = 10
AGENTS = 200


def build(engine: Engine, outcomes: int, campaigns: int, seed: int = 7) -> dict[str, Any]:
    """Fill a migrated, empty ops DB; returns what was put in and how long each part took (s)."""
    rng = np.random.default_rng(seed)
    factory = session_factory(engine)
    customers = max(outcomes // 5, 1_000)
    per_campaign = max(customers // 20, 50)  # members per campaign (10% control): 1M outcomes, 1M members
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ids = [f"C{i:07d}" for i in range(customers)]
    with transaction(factory) as s:
        insert_columns(s, table_of(Customer), {"customer_id": ids, "timezone": [ZONE] * customers,
                                              "status": ["active"] * customers, "dnc": [False] * customers,
                                              "consent_marketing": [True] * customers,
                                              "synced_at": [datetime.now(UTC)] * customers})  # fmt: skip
    start_day = datetime.combine(TODAY - timedelta(days=DAYS - 1), datetime.min.time(), ZoneInfo(ZONE))
    campaign_ids = [f"K{k:03d}" for k in range(campaigns)]
    products = [f"P{k % 12:02d}" for k in range(campaigns)]
    member_of: list[np.ndarray] = []
    with transaction(factory) as s:
        for k, cid in enumerate(campaign_ids):
            spec = {"cost_per_call": 5.0, "cost_per_minute": 0.5, "value_per_conversion": 600.0}
            s.add(Campaign(campaign_id=cid, name=f"Campaign {k}", product_id=products[k], spec=spec,
                           status="running", created_by="bench"))  # fmt: skip
        s.flush()
        for k, cid in enumerate(campaign_ids):
            issued = IssuedList(campaign_id=cid, issued_by="bench", policy_sha256="0" * 64, summary={})
            s.add(issued)
            s.flush()
            chosen = rng.choice(customers, size=min(per_campaign, customers), replace=False)
            member_of.append(chosen)
            n = len(chosen)
            groups = np.where(rng.random(n) < 0.1, "control", "treatment")
            insert_columns(s, table_of(ListMember), {
                "list_id": [issued.list_id] * n, "campaign_id": [cid] * n,
                "customer_id": [ids[i] for i in chosen], "group": groups.tolist(), "product_id": [products[k]] * n,
                "assigned_at": [start_day.astimezone(UTC)] * n,
            })  # fmt: skip
    timings["customers_members"] = time.perf_counter() - started

    started = time.perf_counter()
    which = rng.integers(0, campaigns, size=outcomes)
    names = list(DISPOSITION_SHARES)
    dispositions = rng.choice(names, size=outcomes, p=np.array(list(DISPOSITION_SHARES.values())))
    seconds = rng.integers(9 * 3600, 21 * 3600, size=outcomes) + 86_400 * rng.integers(0, DAYS, size=outcomes)
    base = start_day.astimezone(UTC)
    stamps = [base + timedelta(seconds=int(x)) for x in seconds]
    who = [member_of[c][j % len(member_of[c])] for c, j in zip(which, rng.integers(0, 1 << 30, outcomes), strict=True)]
    agents = rng.integers(0, AGENTS, size=outcomes)
    answered = ~np.isin(dispositions, ["no_answer", "busy", "wrong_number"])
    durations = np.where(answered, rng.gamma(2.0, 90.0, size=outcomes), 0.0)
    chunk = 200_000
    for lo in range(0, outcomes, chunk):
        hi = min(lo + chunk, outcomes)
        with transaction(factory) as s:
            insert_columns(s, table_of(CallOutcome), {
                "idempotency_key": [f"bench-{i}" for i in range(lo, hi)],
                "customer_id": [ids[i] for i in who[lo:hi]],
                "campaign_id": [campaign_ids[c] for c in which[lo:hi]],
                "product_id": [products[c] for c in which[lo:hi]],
                "ts": stamps[lo:hi], "disposition": dispositions[lo:hi].tolist(),
                "agent_id": [f"A{a:03d}" for a in agents[lo:hi]], "duration_s": durations[lo:hi].tolist(),
                "source": ["import"] * (hi - lo), "received_at": stamps[lo:hi],
            })  # fmt: skip
    converted = np.flatnonzero(dispositions == "converted")
    with transaction(factory) as s:  # the calls' conversions, and the control members' own purchases (1 in 60)
        rows = {
            "customer_id": [ids[who[i]] for i in converted],
            "product_id": [products[which[i]] for i in converted],
            "campaign_id": [campaign_ids[which[i]] for i in converted],
            "ts": [stamps[i] for i in converted],
        }
        control = s.execute(select(ListMember.customer_id, ListMember.product_id).where(ListMember.group == "control"))
        buyers = [r for r in control.all() if rng.random() < 1 / 60]
        rows["customer_id"] += [r[0] for r in buyers]
        rows["product_id"] += [r[1] for r in buyers]
        rows["campaign_id"] += [None] * len(buyers)
        rows["ts"] += [base + timedelta(seconds=int(x)) for x in rng.integers(0, DAYS * 86_400, len(buyers))]
        insert_columns(s, table_of(Conversion), rows)
    timings["outcomes"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction(factory) as s:
        written = rebuild_rollups(s, ZONE)
    timings["rollup_backfill"] = time.perf_counter() - started
    with factory() as s:
        rollup = s.scalar(select(func.sum(OutcomeRollup.calls)))
        stored = s.scalar(select(func.count()).select_from(CallOutcome))
    assert rollup == stored == outcomes, (rollup, stored)
    return {
        "outcomes": outcomes,
        "campaigns": campaigns,
        "customers": customers,
        "members": int(sum(len(m) for m in member_of)),
        "conversions": len(rows["ts"]),
        "rollup_rows": written,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "agents_of_team_0": [f"A{a:03d}" for a in range(0, AGENTS, TEAMS)],
    }


def _stats(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "max_ms": round(float(ms.max()), 1), "n": len(times)}  # fmt: skip


def measure_data(engine: Engine, repeats: int, team_agents: list[str]) -> dict[str, Any]:
    """The overview's data function (no web), cold (first call: members counted) and warm."""
    factory = session_factory(engine)
    views = {
        "default": (Filters(), None),
        "one_campaign": (Filters(campaign="K001"), None),
        "one_product": (Filters(product="P03"), None),
        "one_team": (Filters(team="T0"), team_agents),
        "thirty_days": (Filters(date_from=TODAY - timedelta(days=DAYS - 1)), None),
    }
    out: dict[str, Any] = {}
    for name, (filters, agents) in views.items():
        times = []
        for _ in range(repeats + 1):
            started = time.perf_counter()
            with factory() as s:
                view = overview(s, filters, TODAY, ZONE, team_agents=agents)
            times.append(time.perf_counter() - started)
        out[name] = {"cold_ms": round(times[0] * 1000, 1), **_stats(times[1:]), "dials": view.kpis[0].value}
    return out


def measure_pages(engine: Engine, campaigns: int, repeats: int) -> dict[str, Any]:
    """The board's pages through the app in-process (the TestClient is httpx over ASGI), signed in through the
    login form as an analyst; gzip accepted, so the bytes counted are the bytes a browser would download."""
    import re

    from fastapi.testclient import TestClient

    from callwise.web.app import create_app
    from callwise.web.deps import Services

    factory = session_factory(engine)
    with transaction(factory) as s:
        create_user(s, "bench_analyst", PASSWORD, ["analyst"], "bench", None)
    services = Services(engine=engine, factory=factory, pii=throwaway_pii(), bank_timezone=ZONE)
    client = TestClient(create_app(services), follow_redirects=False, headers={"Accept-Encoding": "gzip"})
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    signed = client.post(
        "/login",
        data={"username": "bench_analyst", "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
    )
    assert signed.status_code == 303, signed.status_code
    period = f"date_from={TODAY - timedelta(days=6)}&date_to={TODAY}"
    paths = {
        "overview": f"/board/?{period}",
        "overview_tiles": f"/board/tiles?{period}",
        "campaign": f"/board/campaigns/K001?{period}",
    }
    out: dict[str, Any] = {"campaign_first_views": first_views(client, campaigns, repeats, period)}
    for name, path in paths.items():
        times, answer = [], None
        for _ in range(repeats + 1):
            started = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - started)
        assert answer is not None and answer.status_code == 200, (path, answer.status_code if answer else None)
        assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', answer.text)))
        fetched = {a: client.get(a) for a in assets}
        asset_bytes = {a: r.num_bytes_downloaded for a, r in fetched.items() if r.status_code == 200}
        total = answer.num_bytes_downloaded + sum(asset_bytes.values())
        out[name] = {
            "cold_ms": round(times[0] * 1000, 1),
            **_stats(times[1:]),
            "html_bytes": answer.num_bytes_downloaded,
            "html_gzip": answer.headers.get("content-encoding") == "gzip",
            "asset_bytes": asset_bytes,
            "bytes_with_assets": total,
            "missing_assets": [a for a, r in fetched.items() if r.status_code != 200],
            "within_goal": _stats(times[1:])["p95_ms"] <= GOAL_P95_MS and total <= GOAL_PAGE_BYTES,
        }
    return out


def first_views(client: Any, campaigns: int, repeats: int, period: str) -> dict[str, Any]:
    """Each campaign's page opened once, as a supervisor going down the campaign table does: every view is the
    first of its campaign, so nothing of it is cached yet (K001, measured repeatedly above, is left out)."""
    ids = [f"K{k:03d}" for k in range(campaigns) if k != 1][: max(repeats, 2)]
    times = []
    for cid in ids:
        started = time.perf_counter()
        answer = client.get(f"/board/campaigns/{cid}?{period}")
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (cid, answer.status_code)
    return {**_stats(times), "within_goal": _stats(times)["p95_ms"] <= GOAL_P95_MS}


def run(backend: str, url: str, outcomes: int, campaigns: int, repeats: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        built = build(engine, outcomes, campaigns)
        if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load: statistics, visibility
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        team = built.pop("agents_of_team_0")
        return {
            "backend": backend,
            "data": built,
            "overview_data": measure_data(engine, repeats, team),
            "pages": measure_pages(engine, campaigns, repeats),
        }
    finally:
        engine.dispose()


def main() -> None:
    outcomes = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    campaigns = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    throwaway_pii()
    result: dict[str, Any] = {
        "benchmark": "board_speed",
        "goal": {"p95_ms": GOAL_P95_MS, "page_bytes": GOAL_PAGE_BYTES},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_at_start": os.getloadavg()},
        "runs": [],
    }
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        result["runs"].append(run("sqlite", f"sqlite:///{folder / 'ops.db'}", outcomes, campaigns, repeats))
        pg = os.environ.get("CALLWISE_TEST_PG_URL")
        if pg:
            scratch = stack.enter_context(scratch_schema(pg, "cw_bench_board"))
            result["runs"].append(run("postgresql", scratch, outcomes, campaigns, repeats))
    result["machine"]["load_at_end"] = os.getloadavg()  # the figures are only as quiet as the machine was
    result["callwise"] = __version__
    path = write_result("board_speed", result)
    for r in result["runs"]:
        print(r["backend"], {k: (v["p50_ms"], v["p95_ms"]) for k, v in r["overview_data"].items()}, r["pages"])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
