"""No phone, ID number or name of any customer in clear in any file callwise writes (docs/decisions/0014).

Every file under the output folders is read the way its format stores text — Parquet string and binary
columns, XLSX XML, CSV/JSON/HTML/log text, SQLite bytes (with -wal and -shm) and its text columns — and
searched for every customer of the synthetic source. Phones (11 digits) and ID numbers (18 characters) are
searched inside any text; names (often two characters, so they occur inside other words) as whole values.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from callwise.cli import app
from tests.conftest import clear_people

PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9Xx])\d{17}[0-9Xx](?![0-9Xx])")
VALUE = re.compile(r'>([^<>]{1,40})<|"([^"\\]{1,40})"|(?:^|[,\t\n])([^,\t\n"]{1,40})(?=$|[,\t\n])', re.M)


@dataclass
class Scan:
    phones: set[str]
    ids: set[str]
    names: set[str]
    files: int = 0
    hits: list[str] = field(default_factory=list)

    def text(self, where: str, text: str, values: set[str] | None = None) -> None:
        found = (set(PHONE.findall(text)) & self.phones) | (set(ID_NUMBER.findall(text)) & self.ids)
        whole = values if values is not None else {v for m in VALUE.findall(text) for v in m if v}
        found |= {v.strip() for v in whole} & self.names
        self.hits += [f"{where}: {len(found)} value(s)"] if found else []

    def file(self, path: Path) -> None:
        self.files += 1
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            table = pq.read_table(path)
            cells = {
                v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                for column in table.columns
                if pa.types.is_string(column.type)
                or pa.types.is_large_string(column.type)
                or pa.types.is_binary(column.type)
                for v in column.to_pylist()
                if v is not None
            }
            self.text(str(path), "\n".join(cells), cells)
        elif suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    self.text(f"{path}!{name}", z.read(name).decode("utf-8", "replace"))
        elif path.name.endswith((".db", ".db-wal", ".db-shm")):
            raw = path.read_bytes().decode("utf-8", "replace")
            self.text(str(path), raw, {n for n in self.names if len(n) >= 3 and n in raw})
            if suffix == ".db":
                self.sqlite(path)
        else:
            self.text(str(path), path.read_bytes().decode("utf-8", "replace"))

    def sqlite(self, path: Path) -> None:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                values = {str(v) for row in db.execute(f'SELECT * FROM "{table}"') for v in row if isinstance(v, str)}
                self.text(f"{path}:{table}", "\n".join(values), values)

    def tree(self, root: Path, skip: Path | None = None) -> None:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if skip is None or skip not in path.parents:
                self.file(path)


def scan_for(bank: Path) -> Scan:
    people = clear_people(bank)
    return Scan(set(people["phone"].dropna()), set(people["id_number"].dropna()), set(people["name"].dropna()))


def report(label: str, scan: Scan, capsys: pytest.CaptureFixture[str]) -> None:
    """The counts, past pytest's capture like the fuzz test's figures: docs/security.md quotes them."""
    values = len(scan.phones) + len(scan.ids) + len(scan.names)
    with capsys.disabled():
        print(f"\nPII scan ({label}): {scan.files} files scanned, {values} values searched, {len(scan.hits)} hits")


def test_the_scan_finds_personal_data_in_clear(small_bank, tmp_path):
    """The scanner itself works: it finds a phone in a CSV, a name in JSON and an ID number in a Parquet column."""
    people = small_bank["people"].reset_index().iloc[:3]
    scan = scan_for(small_bank["bank"])
    (tmp_path / "a.csv").write_text(f"x,{people.phone[0]},y\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"n": people.name[1]}, ensure_ascii=False), encoding="utf-8")
    pq.write_table(pa.table({"id": [people.id_number[2]]}), tmp_path / "c.parquet")
    scan.tree(tmp_path)
    assert len(scan.hits) == 3


def test_callwise_demo_writes_no_personal_data_in_clear(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY")
    monkeypatch.setenv("CALLWISE_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--customers", "1500", "--seed", "3"])
    assert result.exit_code == 0, result.output
    keys = out / "keys" / "demo-keys.env"
    assert "demo-keys.env" in result.output and "for the demo only" in result.output
    assert os.stat(keys).st_mode & 0o777 == 0o600 and os.stat(keys.parent).st_mode & 0o777 == 0o700
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["demo_keys"] == str(keys)
    lake_file = out / "lake" / "customers.parquet"
    assert os.stat(lake_file).st_mode & 0o777 == 0o600 and os.stat(lake_file.parent).st_mode & 0o777 == 0o700
    scan = scan_for(out / "bank")
    scan.tree(out, skip=out / "bank")  # everything callwise wrote; the bank's source files are its input
    report("callwise demo", scan, capsys)
    assert scan.files >= 10 and scan.hits == []


def test_a_service_run_writes_no_personal_data_in_clear(small_bank, session_pii, tmp_path, capsys):
    from callwise.clock import utcnow
    from callwise.lake import Lake
    from callwise.loop import FileSender
    from callwise.loop.rules import FOLLOWUP_CHANNELS
    from callwise.ops.customers import sync_customers
    from callwise.ops.db import make_engine, session_factory, transaction
    from callwise.ops.followups import deliver_due
    from callwise.ops.migrate import upgrade
    from callwise.ops.users import create_user, issue_token
    from callwise.pipeline import train_from_lake
    from callwise.policy import default_policy
    from callwise.security.rbac import Role
    from callwise.settings import Settings
    from callwise.web.app import create_app
    from callwise.web.deps import Services
    from callwise.wiring import planner_from_settings

    data = tmp_path / "data"
    shutil.copytree(small_bank["lake"].root, data / "lake")
    lake = Lake(data / "lake", threads=2)
    engine = make_engine(f"sqlite:///{data / 'callwise.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    model, _ = train_from_lake(lake, "lightgbm", seed=3)
    model.save(data / "models" / "response-v1", card={"note": "scan"})
    planner = planner_from_settings(Settings(data_dir=data), lake, default_policy())
    services = Services(engine, factory, session_pii, lake, default_policy(), planner, models_dir=data / "models")
    tokens = {}
    with transaction(factory) as s:
        for role in Role:
            user = create_user(s, f"{role.value}1", "Correct-Horse-42", [role.value], "setup", None)
            tokens[role.value], _ = issue_token(s, "t", "session", None, utcnow() + timedelta(hours=1), user)
    sync_customers(factory, lake)
    as_ = {role: {"Authorization": f"Bearer {secret}"} for role, secret in tokens.items()}
    try:  # entered, so the app's lifespan runs its job worker (and stops it)
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            made = client.post("/api/v1/models", json={"version": "v1", "path": "response-v1"}, headers=as_["analyst"])
            client.post(f"/api/v1/models/{made.json()['model_id']}/promote", headers=as_["analyst"])
            campaign = {"campaign_id": "scan", "product_id": "P_WM01", "date": "2026-07-01", "days": 2, "seed": 5}
            assert client.post("/api/v1/campaigns", json=campaign, headers=as_["analyst"]).status_code == 201
            job = client.post("/api/v1/campaigns/scan/builds", headers=as_["analyst"]).json()
            for _ in range(600):
                state = client.get(f"/api/v1/jobs/{job['job_id']}", headers=as_["analyst"]).json()
                if state["status"] in ("done", "failed"):
                    break
                time.sleep(0.2)
            assert state["status"] == "done", state["error"]
            list_id = state["result"]["list_id"]
            items = client.get(f"/api/v1/lists/{list_id}/items", headers=as_["agent"]).json()["items"]
            revealed = client.get(f"/api/v1/lists/{list_id}/items?reveal=true", headers=as_["supervisor"])
            assert revealed.status_code == 200  # the pii:read dialer export: an answer, never a file
            now = datetime.now(UTC)
            outcomes = [
                {"idempotency_key": f"o{i}", "customer_id": item["customer_id"], "item_id": item["item_id"],
                 "disposition": ("interested", "callback_requested", "refused")[i % 3], "ts": now.isoformat(),
                 "campaign_id": "scan", "product_id": "P_WM01"}
                for i, item in enumerate(items[:12])
            ]  # fmt: skip
            posted = client.post("/api/v1/outcomes", json={"outcomes": outcomes}, headers=as_["agent"])
            assert posted.status_code == 200, posted.text
            customer = items[0]["customer_id"]
            assert client.get(f"/api/v1/customers/{customer}?reveal=true", headers=as_["supervisor"]).status_code == 200
            sender = FileSender(data / "outbox", "Asia/Shanghai")
            delivered = deliver_due(factory, dict.fromkeys(FOLLOWUP_CHANNELS, sender), now=now + timedelta(days=3))
    finally:
        engine.dispose()
    scan = scan_for(small_bank["bank"])
    scan.tree(data)
    report(f"service run, {len(items)} calls listed, {delivered.sent} follow-ups delivered", scan, capsys)
    assert scan.files >= 5 and scan.hits == []
