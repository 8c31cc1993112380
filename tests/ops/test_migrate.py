"""Migrations bring an empty database to the models' schema on SQLite and PostgreSQL alike."""

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from callwise.ops.db import session_factory, transaction
from callwise.ops.migrate import current, head, upgrade
from callwise.ops.models import Base, Campaign, Role


def test_upgrade_reaches_head_matches_the_models_and_is_idempotent(db_engine):
    assert current(db_engine) == head()
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert upgrade(db_engine) == head()  # a second run changes nothing


def test_the_five_roles_are_seeded(db_engine):
    with session_factory(db_engine)() as session:
        roles = set(session.scalars(select(Role.name)))
    assert roles == {"admin", "analyst", "supervisor", "agent", "auditor"}


def test_times_are_stored_in_utc_and_come_back_aware(db_engine):
    beijing = timezone(timedelta(hours=8))
    created = datetime(2026, 7, 1, 9, 30, tzinfo=beijing)
    factory = session_factory(db_engine)
    with transaction(factory) as session:
        session.add(Campaign(campaign_id="c1", name="x", product_id="P", spec={}, created_by="t", created_at=created))
    with factory() as session:
        back = session.get(Campaign, "c1").created_at
    assert back == created and back.tzinfo is not None and back.utcoffset() == timedelta(0)
    assert back.hour == 1


def test_a_naive_time_is_refused(db_engine):
    factory = session_factory(db_engine)
    with pytest.raises(Exception, match="naive datetime"), transaction(factory) as session:
        session.add(
            Campaign(
                campaign_id="c2", name="x", product_id="P", spec={}, created_by="t", created_at=datetime(2026, 7, 1)
            )
        )
        session.flush()
    with factory() as session:
        assert session.get(Campaign, "c2") is None  # nothing half-written
