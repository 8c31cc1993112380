"""Small lakes for the policy tests: customers, contacts, holdings written with the contract's Arrow types."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from callwise.lake import Lake
from callwise.schema.contract import TABLES
from callwise.security.pii import Pii, seal_customers
from callwise.settings import Settings

START = date(2026, 7, 1)  # a Wednesday
PRODUCT = {"product_id": "W1", "category": "wealth", "risk_level": "R2", "min_age": 18, "max_age": 70}
DEPOSIT = {"product_id": "D1", "category": "deposit", "risk_level": None, "min_age": None, "max_age": None}


def customer(cid: str, **overrides) -> dict:
    """An adult, consenting, suitable (C3, assessed recently), active customer in Beijing time."""
    row = {
        "customer_id": cid,
        "phone": f"1380013{int(cid.strip('C') or 0):04d}",
        "birth_date": date(1980, 1, 1),
        "timezone": "Asia/Shanghai",
        "risk_tolerance": "C3",
        "risk_assessed_at": date(2026, 3, 1),
        "consent_marketing": True,
        "profiling_opt_out": False,
        "dnc": False,
        "complaint_last_at": None,
        "status": "active",
    }
    row.update(overrides)
    return row


def contact(cid: str, ts: datetime, disposition: str = "no_answer", channel: str = "call", campaign="OLD") -> dict:
    return {
        "contact_id": f"K{cid}-{ts.isoformat()}-{disposition}-{channel}",
        "campaign_id": campaign,
        "customer_id": cid,
        "channel": channel,
        "ts": ts,
        "disposition": disposition,
    }


def write_lake(root: Path, customers: list[dict], contacts=(), holdings=()) -> Lake:
    lake = Lake(root / "lake", threads=1)
    for name, rows in (("customers", customers), ("contacts", list(contacts)), ("holdings", list(holdings))):
        if rows:
            columns = list(dict.fromkeys(k for r in rows for k in r))
            table = pa.Table.from_pylist(rows, schema=TABLES[name].arrow_schema(columns))
            lake.write(name, seal_customers(table, run_pii()) if name == "customers" else table)
    return lake


def run_pii() -> Pii:
    """The run's throw-away keys (tests/conftest.py), as ingest would use them."""
    return Pii.from_settings(Settings())


def phone_key(phone: str) -> bytes:
    """What the lake and the gate know a phone by: its keyed look-up hash."""
    return run_pii().hasher.digest(phone)
