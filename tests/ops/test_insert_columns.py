"""insert_columns stores exactly what SQLAlchemy's executemany stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callwise.ops.db import insert_columns, session_factory, table_of, transaction
from callwise.ops.models import Campaign, IssuedList, ListItem

FIELDS = ("customer_id", "product_id", "slot_start", "agent_id", "attempt", "arm", "phone_enc", "phone_masked", "hints")


def _rows(list_id: int) -> list[dict]:
    start = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    return [
        {
            "list_id": list_id,
            "customer_id": f"C{i}",
            "product_id": "P1",
            "slot_start": start + timedelta(minutes=30 * (i // 2), microseconds=i // 2),  # repeated values too
            "agent_id": None if i % 2 else "A1",
            "attempt": i + 1,
            "arm": None if i == 1 else "control",
            "phone_enc": None if i == 2 else bytes([i // 2]) * 40,
            "phone_masked": "138****8001",
            "hints": "近60天，=x" if i else None,
            "status": "pending",
        }
        for i in range(5)
    ]


def _stored(factory, list_id: int) -> list[tuple]:
    with factory() as s:
        items = s.scalars(select(ListItem).where(ListItem.list_id == list_id).order_by(ListItem.item_id)).all()
        return [(*tuple(getattr(i, f) for f in FIELDS), i.status) for i in items]


def test_the_same_rows_as_sqlalchemys_executemany(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="c", name="c", product_id="P1", spec={}, created_by="t"))
        lists = [IssuedList(campaign_id="c", issued_by="t", policy_sha256="", items=4, summary={}) for _ in range(2)]
        s.add_all(lists)
        s.flush()
        ids = [x.list_id for x in lists]
    with transaction(factory) as s:
        s.execute(table_of(ListItem).insert(), _rows(ids[0]))
        rows = _rows(ids[1])
        insert_columns(s, table_of(ListItem), {name: [r[name] for r in rows] for name in rows[0]})
    by_orm, by_columns = _stored(factory, ids[0]), _stored(factory, ids[1])
    assert by_columns == by_orm and len(by_columns) == 5
    assert [row[2] for row in by_columns[2:4]] == [datetime(2026, 7, 1, 1, 30, 0, 1, tzinfo=UTC)] * 2


def test_a_column_with_a_python_default_must_be_given(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s, pytest.raises(ValueError, match="also needs"):
        insert_columns(s, table_of(ListItem), {"list_id": [1], "customer_id": ["C"]})


def test_no_rows_insert_nothing_and_unhashable_values_go_one_by_one(db_engine):
    from callwise.ops.db import _processed

    factory = session_factory(db_engine)
    with transaction(factory) as s:
        insert_columns(s, table_of(ListItem), {name: [] for name in ("list_id", "customer_id")})
    with factory() as s:
        assert s.scalars(select(ListItem)).all() == []
    assert _processed([{"a": 1}, {"a": 1}, None], lambda v: None if v is None else str(v)) == ["{'a': 1}"] * 2 + [None]
