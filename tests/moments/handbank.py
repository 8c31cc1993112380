"""A hand-made bank of ten customers (M01–M10) on which every default trigger's moments are known at 2026-06-10.

Each customer is a small story (the comments), written so that each rule of a trigger kind is exercised once:
the leakage edge (a row at the very as-of instant is not seen), the cooldown, the income multiple, held and
closed holdings, a category from the products table, a birthday today and one just passed, the latest card
bill's due date, a malformed bill, repeated views inside and outside the window.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from callwise.lake import Lake
from callwise.schema.contract import PRODUCTS
from tests.tags.helpers import write_lake

AS_OF = datetime(2026, 6, 10)
D = datetime


def _person(cid: str, born: date | None, income: float | None) -> dict:
    return {
        "customer_id": cid,
        "birth_date": born,
        "income_monthly": income,
        "consent_marketing": True,
        "status": "active",
        "timezone": "Asia/Shanghai",
        "gender": "F",
    }


CUSTOMERS = [
    _person("M01", date(1980, 6, 10), 20000.0),  # salary two days ago; birthday today
    _person("M02", date(1970, 1, 5), 15000.0),  # salary at the as-of instant (not seen) and one expired
    _person("M03", date(1970, 2, 5), 15000.0),  # two salaries 8 days apart: the second is within the cooldown
    _person("M04", date(1970, 3, 5), 10000.0),  # a large inflow (6× income) and a transfer to another bank
    _person(
        "M05", date(1970, 4, 5), 30000.0
    ),  # an inflow of 2× income only; two products viewed again and again (the later third view counts)
    _person(
        "M06", date(1970, 5, 5), None
    ),  # no income: CNY 55,000 is large; a third view exactly 7 days after the first
    _person(
        "M07", date(1970, 7, 5), 9000.0
    ),  # two deposits maturing (the earlier counts; one not yet), one closed; wealth in 20 days
    _person(
        "M08", date(1970, 8, 5), 9000.0
    ),  # a wealth product (category from products), a deposit taken at maturity; the latest bill not yet due
    _person("M09", date(1990, 6, 15), 9000.0),  # birthday in five days (too far); the card bill due in two
    _person(
        "M10", date(1985, 6, 9), 9000.0
    ),  # birthday yesterday (still the birthday week); a bill whose detail is no date
]


def _tx(cid: str, ts: datetime, amount: float, direction: str, category: str) -> dict:
    return {"customer_id": cid, "ts": ts, "amount": amount, "direction": direction, "category": category}


TRANSACTIONS = [
    _tx("M01", D(2026, 6, 8, 10), 20000.0, "in", "工资"),
    _tx("M02", D(2026, 5, 10, 9), 15000.0, "in", "工资"),
    _tx("M02", D(2026, 6, 10, 0), 15000.0, "in", "工资"),
    _tx("M03", D(2026, 6, 1, 9), 15000.0, "in", "工资"),
    _tx("M03", D(2026, 6, 9, 9), 15000.0, "in", "工资"),
    _tx("M04", D(2026, 6, 5, 12), 60000.0, "in", "转入"),
    _tx("M04", D(2026, 6, 4, 9), 15000.0, "out", "他行转出"),
    _tx("M04", D(2026, 6, 8, 9), 5000.0, "out", "他行转出"),  # too small
    _tx("M05", D(2026, 6, 9, 12), 60000.0, "in", "转入"),
    _tx("M06", D(2026, 6, 9, 8), 55000.0, "in", "理财到期"),
]


def _hold(cid: str, product: str, category: str | None, matures: date, closed: date | None = None) -> dict:
    return {
        "customer_id": cid,
        "product_id": product,
        "category": category,
        "balance": 10000.0,
        "opened_at": date(2025, 1, 1),
        "closed_at": closed,
        "matures_at": matures,
    }


HOLDINGS = [
    _hold("M07", "P_DEP01", "deposit", date(2026, 7, 5)),
    _hold("M07", "P_DEP02", "deposit", date(2026, 6, 20)),
    _hold("M07", "P_DEP03", "deposit", date(2026, 6, 12), closed=date(2026, 6, 1)),
    _hold("M07", "P_WM02", "wealth", date(2026, 6, 30)),
    _hold("M08", "P_WM01", None, date(2026, 6, 15)),
    _hold("M08", "P_DEP01", "deposit", date(2026, 6, 5), closed=date(2026, 6, 5)),  # closed at maturity: money out
]


def _ev(cid: str, ts: datetime, event: str, detail: str | None) -> dict:
    return {"customer_id": cid, "ts": ts, "event": event, "detail": detail}


EVENTS = [
    *(_ev("M05", D(2026, 6, d, 20), "view_product", "P_WM01") for d in (5, 7, 9)),
    *(_ev("M05", D(2026, 6, d, h), "view_product", "P_FD01") for d, h in ((8, 9), (8, 10), (9, 9), (9, 10))),
    *(_ev("M06", D(2026, 6, d, 20), "view_product", "P_WM01") for d in (2, 5, 9)),
    _ev("M06", D(2026, 6, 9, 21), "app_login", None),
    _ev("M08", D(2026, 5, 20, 8), "card_bill", "2026-06-11"),
    _ev("M08", D(2026, 6, 5, 8), "card_bill", "2026-07-05"),
    _ev("M09", D(2026, 6, 1, 8), "card_bill", "2026-06-12"),
    _ev("M10", D(2026, 6, 1, 8), "card_bill", "due soon"),
]

PRODUCT_ROWS = [
    {
        "product_id": "P_WM01",
        "name": "稳健理财",
        "category": "wealth",
        "risk_level": "R2",
        "value_per_conversion": 300.0,
    },
    {
        "product_id": "P_WM02",
        "name": "进取理财",
        "category": "wealth",
        "risk_level": "R3",
        "value_per_conversion": 400.0,
    },
    {"product_id": "P_DEP01", "name": "定期", "category": "deposit", "value_per_conversion": 100.0},
    {"product_id": "P_DEP02", "name": "大额存单", "category": "deposit", "value_per_conversion": 150.0},
    {"product_id": "P_DEP03", "name": "通知存款", "category": "deposit", "value_per_conversion": 50.0},
    {"product_id": "P_FD01", "name": "基金", "category": "fund", "risk_level": "R3", "value_per_conversion": 200.0},
]

# (customer, moment, started_at, expires_at, detail) at AS_OF with the default triggers
EXPECTED = {
    ("M01", "salary_arrived", D(2026, 6, 8, 10), D(2026, 6, 15, 10), "工资"),
    ("M04", "large_inflow", D(2026, 6, 5, 12), D(2026, 6, 19, 12), "转入"),
    ("M06", "large_inflow", D(2026, 6, 9, 8), D(2026, 6, 23, 8), "理财到期"),
    ("M07", "deposit_maturing", D(2026, 5, 30), D(2026, 6, 27), "P_DEP02"),
    ("M07", "wealth_maturing", D(2026, 6, 9), D(2026, 7, 7), "P_WM02"),
    ("M08", "wealth_maturing", D(2026, 5, 25), D(2026, 6, 22), "P_WM01"),
    ("M08", "deposit_maturing", D(2026, 5, 15), D(2026, 6, 12), "P_DEP01"),
    ("M01", "birthday", D(2026, 6, 7), D(2026, 6, 14), None),
    ("M10", "birthday", D(2026, 6, 6), D(2026, 6, 13), None),
    ("M05", "repeated_product_views", D(2026, 6, 9, 20), D(2026, 6, 16, 20), "P_WM01"),
    ("M09", "card_bill_due", D(2026, 6, 2), D(2026, 6, 13), "2026-06-12"),
    ("M04", "competitor_transfer_out", D(2026, 6, 4, 9), D(2026, 6, 18, 9), "他行转出"),
}


def write_bank(root: Path) -> Lake:
    lake = write_lake(
        root,
        {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "holdings": HOLDINGS, "events": EVENTS},
    )
    schema = PRODUCTS.arrow_schema()
    lake.write(
        "products", pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in PRODUCT_ROWS], schema)
    )
    return lake


def rows_of(table: pa.Table) -> set[tuple]:
    return {
        (r["customer_id"], r["moment_id"], r["started_at"], r["expires_at"], r["detail"]) for r in table.to_pylist()
    }
