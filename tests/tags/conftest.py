"""A tiny hand-built bank whose every tag value is known, written with pyarrow into a lake once per module."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from callwise.lake import Lake

from .helpers import write_lake

CUTOFF = datetime(2026, 6, 1)


def customers() -> list[dict]:
    base = {"consent_marketing": True, "timezone": "Asia/Shanghai", "status": "active", "phone_token": None}
    return [
        {
            **base,
            "customer_id": "A",
            "birth_date": date(1990, 6, 1),
            "gender": "F",
            "city": "上海",
            "income_monthly": 20000.0,
            "risk_tolerance": "C3",
            "opened_at": date(2020, 1, 1),
            "complaint_last_at": datetime(2026, 5, 20, 10),
        },
        {
            **base,
            "customer_id": "B",
            "birth_date": date(1960, 1, 15),
            "gender": "M",
            "city": "北京",
            "income_monthly": 8000.0,
            "risk_tolerance": "C1",
            "opened_at": date(2026, 5, 1),
            "complaint_last_at": datetime(2026, 6, 2, 10),
        },
        {
            **base,
            "customer_id": "C",
            "birth_date": None,
            "gender": None,
            "city": None,
            "income_monthly": None,
            "risk_tolerance": None,
            "opened_at": None,
            "dnc": True,
        },
    ]


def transactions() -> list[dict]:
    return [
        {
            "customer_id": "A",
            "ts": datetime(2026, 5, 31, 23, 59),
            "amount": 100.0,
            "direction": "in",
            "channel": "手机银行",
            "category": "工资",
        },
        {
            "customer_id": "A",
            "ts": datetime(2026, 5, 2),
            "amount": 50.0,
            "direction": "out",
            "channel": "柜面",
            "category": "消费",
        },
        {
            "customer_id": "A",
            "ts": datetime(2026, 3, 1),
            "amount": 1000.0,
            "direction": "in",
            "channel": "柜面",
            "category": "转账",
        },
        {
            "customer_id": "A",
            "ts": datetime(2026, 6, 1),
            "amount": 99999.0,
            "direction": "in",
            "channel": "柜面",
            "category": "工资",
        },  # at the cutoff: never counts
        {
            "customer_id": "A",
            "ts": datetime(2026, 7, 1),
            "amount": 88888.0,
            "direction": "in",
            "channel": "柜面",
            "category": "工资",
        },  # after
        {
            "customer_id": "B",
            "ts": datetime(2026, 5, 10),
            "amount": 30.0,
            "direction": "out",
            "channel": "手机银行",
            "category": "消费",
        },
        {
            "customer_id": "B",
            "ts": datetime(2025, 1, 1),
            "amount": 7.0,
            "direction": "out",
            "channel": "手机银行",
            "category": "消费",
        },
    ]


def holdings() -> list[dict]:
    return [
        {
            "customer_id": "A",
            "product_id": "P1",
            "category": "wealth",
            "balance": 900000.0,
            "opened_at": date(2025, 1, 1),
        },
        {
            "customer_id": "A",
            "product_id": "P2",
            "category": "deposit",
            "balance": 200000.0,
            "opened_at": date(2024, 1, 1),
        },
        {
            "customer_id": "B",
            "product_id": "P1",
            "category": "wealth",
            "balance": 5000.0,
            "opened_at": date(2026, 6, 1),
        },  # opened at the cutoff
        {
            "customer_id": "B",
            "product_id": "P3",
            "category": "fund",
            "balance": 3000.0,
            "opened_at": date(2024, 1, 1),
            "closed_at": date(2026, 1, 1),
        },
        {
            "customer_id": "B",
            "product_id": "P2",
            "category": "deposit",
            "balance": 1000.0,
            "opened_at": date(2024, 1, 1),
            "closed_at": date(2026, 6, 1),
        },
    ]


def events() -> list[dict]:
    return [
        *({"customer_id": "A", "ts": datetime(2026, 5, d), "event": "app_login"} for d in (3, 10, 20)),
        {"customer_id": "A", "ts": datetime(2026, 5, 21), "event": "view_product", "detail": "P1"},
        {"customer_id": "B", "ts": datetime(2026, 6, 1, 8), "event": "app_login"},  # after the cutoff
    ]


def contacts() -> list[dict]:
    base = {"channel": "call", "campaign_id": "K1", "product_id": "P1"}
    return [
        {
            **base,
            "contact_id": "k1",
            "customer_id": "A",
            "ts": datetime(2026, 5, 25, 10),
            "disposition": "answered",
            "duration_s": 60.0,
        },
        {
            **base,
            "contact_id": "k2",
            "customer_id": "A",
            "ts": datetime(2026, 5, 26, 10),
            "disposition": "complaint",
            "duration_s": 30.0,
        },
        {**base, "contact_id": "k3", "customer_id": "B", "ts": datetime(2026, 5, 28, 10), "disposition": "no_answer"},
        {**base, "contact_id": "k4", "customer_id": "B", "ts": datetime(2026, 6, 3, 10), "disposition": "complaint"},
    ]


def conversions() -> list[dict]:
    return [
        {"customer_id": "A", "product_id": "P1", "ts": datetime(2026, 5, 22, 9), "amount": 5000.0},
        {"customer_id": "A", "product_id": "P2", "ts": datetime(2026, 1, 5, 9), "amount": 100.0},
    ]


def write_bank(root: Path) -> Lake:
    return write_lake(
        root,
        {
            "customers": customers(),
            "transactions": transactions(),
            "holdings": holdings(),
            "events": events(),
            "contacts": contacts(),
            "conversions": conversions(),
        },
    )


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Lake:
    return write_bank(tmp_path_factory.mktemp("tagbank"))
