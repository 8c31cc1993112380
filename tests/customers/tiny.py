"""A tiny hand-made bank (two customers, known rows in every table) and a catalogue holding a sensitive tag."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from callwise.ingest import ingest_directory
from callwise.lake import Lake
from callwise.tags import build_tags, load_catalogue

ON = date(2026, 11, 30)
CUTOFF = datetime(2026, 12, 1)
PHONE, NAME, ID_NUMBER = "13812345678", "李小龙", "110101199001011234"

CATALOGUE = """\
version: 1
tags:
  - id: high_net_worth
    name: {zh: 高净值, en: High net worth}
    description: {zh: 总资产不低于 100 万元, en: Total balances of CNY 1 million or more}
    category: value
    kind: rule
    value: flag
    definition: balance_total >= 1000000
    owner: 零售数据组
    refresh: daily
  - id: app_active
    name: {zh: 手机银行活跃, en: Active in the app}
    description: {zh: 近 30 天登录至少 3 次, en: Logged in at least 3 times in the last 30 days}
    category: channel
    kind: rule
    value: flag
    definition: "count(events, days=30, where=event == 'app_login') >= 3"
    owner: 渠道管理部
    refresh: daily
  - id: secret_income
    name: {zh: 高收入敏感, en: High income (sensitive)}
    description: {zh: 月收入高于 5 万元, en: Monthly income above CNY 50000}
    category: value
    kind: rule
    value: flag
    definition: income_monthly > 50000
    owner: 零售数据组
    refresh: monthly
    sensitivity: sensitive
"""


def write_bank(folder: Path) -> None:
    """C1 with known holdings, transactions, events and contacts; C2 with nothing but a customer row."""
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "phone": [PHONE, "13900001111"],
            "name": [NAME, "王五"],
            "id_number": [ID_NUMBER, "110101198001011235"],
            "birth_date": ["1990-01-01", "1980-01-01"],
            "income_monthly": [80000, 5000],
            "risk_tolerance": ["C4", "C2"],
            "risk_assessed_at": ["2026-06-01", "2026-06-01"],
            "consent_marketing": [True, True],
            "consent_updated_at": ["2026-01-01", "2026-01-01"],
            "opened_at": ["2015-01-01", "2016-01-01"],
            "status": ["active", "active"],
        }
    ).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame(
        {
            "product_id": ["W1", "D1"],
            "name": ["稳健理财", "定期存款"],
            "category": ["wealth", "deposit"],
            "risk_level": ["R2", None],
            "value_per_conversion": [300, 100],
        }
    ).to_csv(folder / "products.csv", index=False)
    pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1"],
            "product_id": ["W1", "D1", "D1"],
            "balance": [900000.0, 200000.0, 50000.0],
            "opened_at": ["2024-01-01", "2023-01-01", "2020-01-01"],
            "closed_at": [None, None, "2025-01-01"],
        }
    ).to_csv(folder / "holdings.csv", index=False)
    pd.DataFrame(
        {
            "customer_id": ["C1"] * 5,
            "ts": [
                "2026-11-20 10:00:00",
                "2026-10-15 10:00:00",
                "2026-06-01 10:00:00",
                "2025-06-01 10:00:00",
                "2026-12-05 10:00:00",
            ],
            "amount": [30000.0, 500.0, 2000.0, 9999.0, 7.0],
            "direction": ["in", "out", "out", "in", "in"],
            "channel": ["counter", "app", "app", "counter", "app"],
            "category": ["salary", "shopping", "shopping", "salary", "salary"],
        }
    ).to_csv(folder / "transactions.csv", index=False)
    pd.DataFrame(
        {
            "customer_id": ["C1"] * 6,
            "ts": [
                "2026-11-29 09:00:00",
                "2026-11-25 09:00:00",
                "2026-11-20 09:00:00",
                "2026-10-01 09:00:00",
                "2026-11-28 09:00:00",
                "2026-01-01 09:00:00",
            ],
            "event": ["app_login", "app_login", "app_login", "app_login", "view_product", "app_login"],
            "detail": ["", "", "", "", "W1", ""],
        }
    ).to_csv(folder / "events.csv", index=False)
    pd.DataFrame(
        {
            "contact_id": ["K1", "K2", "K3"],
            "campaign_id": ["OLD", "OLD", "OLD"],
            "customer_id": ["C1", "C1", "C1"],
            "product_id": ["W1", "W1", "W1"],
            "channel": ["call", "call", "sms"],
            "ts": ["2026-09-01 10:00:00", "2026-09-03 10:00:00", "2026-09-05 10:00:00"],
            "agent_id": ["A1", "A1", None],
            "group": ["treatment"] * 3,
            "disposition": ["no_answer", "interested", "answered"],
            "duration_s": [0, 120, 0],
        }
    ).to_csv(folder / "contacts.csv", index=False)


def tiny_lake_at(root: Path) -> Lake:
    """The tiny bank ingested into a lake under ``root``, with its tag table built on :data:`CATALOGUE`."""
    write_bank(root / "bank")
    lake = Lake(root / "lake", threads=1)
    ingest_directory(root / "bank", lake, root / "quarantine")
    (root / "tags.yaml").write_text(CATALOGUE, encoding="utf-8")
    build_tags(lake, load_catalogue(root / "tags.yaml"), CUTOFF)
    return lake
