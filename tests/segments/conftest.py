"""A small synthetic bank (shared, read-only) copied into a fresh lake per test, and a hand-made one."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.schema.contract import CAMPAIGN_MEMBERS, CAMPAIGNS, CONTACTS, CONVERSIONS, CUSTOMERS, TRANSACTIONS

CUTOFF = datetime(2026, 7, 1)
HAND_CUTOFF = datetime(2026, 6, 1)


@pytest.fixture(scope="session")
def synth_bank(tmp_path_factory) -> Path:
    """A 1,500-customer synthetic bank ingested into a lake; tests copy it (fitting writes to the lake)."""
    from callwise.ingest import ingest_directory
    from callwise.synth import synthesize

    root = tmp_path_factory.mktemp("segbank")
    synthesize(root / "bank", customers=1_500, seed=5)
    ingest_directory(root / "bank", Lake(root / "lake", threads=2), root / "quarantine")
    return root


@pytest.fixture
def lake(synth_bank: Path, tmp_path: Path) -> Lake:
    shutil.copytree(synth_bank / "lake", tmp_path / "lake")
    return Lake(tmp_path / "lake", threads=2)


def _table(spec, rows: list[dict]) -> pa.Table:
    schema = spec.arrow_schema()
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)


def write_hand_bank(root: Path, engine: str = "duckdb") -> Lake:
    """Six customers in two obvious groups: three young earners (A, B, C) and three retirees (D, E, F)."""
    base = {"consent_marketing": True, "timezone": "Asia/Shanghai", "status": "active", "occupation": "x"}
    people = [
        {**base, "customer_id": cid, "birth_date": date(born, 1, 1), "income_monthly": income}
        for cid, born, income in [
            ("A", 1995, 20000.0),
            ("B", 1996, 22000.0),
            ("C", 1994, 21000.0),
            ("D", 1950, 3000.0),
            ("E", 1951, 3100.0),
            ("F", 1952, 2900.0),
        ]
    ]
    tx = []
    for cid, category, channel in [
        ("A", "工资", "手机银行"),
        ("B", "工资", "手机银行"),
        ("C", "工资", "手机银行"),
        ("D", "养老金", "柜面"),
        ("E", "养老金", "柜面"),
        ("F", "养老金", "柜面"),
    ]:
        for month in (3, 4, 5):
            tx.append(
                {
                    "customer_id": cid,
                    "ts": datetime(2026, month, 10, 9),
                    "amount": 1000.0,
                    "direction": "in",
                    "channel": channel,
                    "category": category,
                }
            )
    calls = [  # (customer, hour, disposition): young answer at 19:00, retirees at 10:00
        ("A", 19, "converted"),
        ("A", 10, "no_answer"),
        ("B", 19, "answered"),
        ("C", 10, "no_answer"),
        ("D", 10, "converted"),
        ("E", 10, "converted"),
        ("F", 19, "no_answer"),
    ]
    contacts = [
        {
            "contact_id": f"k{i}",
            "campaign_id": "M1",
            "customer_id": cid,
            "product_id": "P1",
            "channel": "call",
            "ts": datetime(2026, 5, 4 + i, hour),  # weekdays from Monday 4 May
            "group": "treatment",
            "disposition": disposition,
        }
        for i, (cid, hour, disposition) in enumerate(calls)
    ]
    members = [
        {"campaign_id": "M1", "customer_id": cid, "group": group, "assigned_at": datetime(2026, 5, 1)}
        for cid, group in [
            ("A", "treatment"),
            ("B", "treatment"),
            ("C", "control"),
            ("D", "treatment"),
            ("E", "treatment"),
            ("F", "control"),
        ]
    ]
    campaigns = [
        {
            "campaign_id": "M1",
            "name": "m",
            "product_id": "P1",
            "channel": "call",
            "start_at": datetime(2026, 5, 2),
            "end_at": datetime(2026, 5, 12),
        }
    ]
    conversions = [
        {"customer_id": "A", "product_id": "P1", "ts": datetime(2026, 5, 5, 20), "amount": 1.0},
        {"customer_id": "E", "product_id": "P1", "ts": datetime(2026, 5, 9, 11), "amount": 1.0},
        {"customer_id": "F", "product_id": "P1", "ts": datetime(2026, 5, 20, 11), "amount": 1.0},  # control buys
        {"customer_id": "B", "product_id": "P1", "ts": datetime(2026, 7, 1), "amount": 1.0},  # after the cutoff
    ]
    lake = Lake(root, engine, threads=1)
    lake.write("customers", _table(CUSTOMERS, people))
    lake.write("transactions", _table(TRANSACTIONS, tx))
    lake.write("contacts", _table(CONTACTS, contacts))
    lake.write("campaign_members", _table(CAMPAIGN_MEMBERS, members))
    lake.write("campaigns", _table(CAMPAIGNS, campaigns))
    lake.write("conversions", _table(CONVERSIONS, conversions))
    return lake


@pytest.fixture
def hand(tmp_path: Path) -> Lake:
    return write_hand_bank(tmp_path / "hand")
