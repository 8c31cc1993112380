"""Customer journeys: definitions by version, instances advanced under a lease, the actions they took and the
events (receipts) their branches read. Decision 0051.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", _TS, nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "version", name=op.f("pk_journeys")),
    )
    op.create_table(
        "journey_instances",
        sa.Column("instance_id", _ID, autoincrement=True, nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("live", sa.Integer(), nullable=True),
        sa.Column("current_step", sa.String(length=64), nullable=False),
        sa.Column("step_started_at", _TS, nullable=False),
        sa.Column("next_at", _TS, nullable=False),
        sa.Column("entered_at", _TS, nullable=False),
        sa.Column("exited_at", _TS, nullable=True),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_journey_instances")),
        sa.UniqueConstraint("journey_id", "customer_id", "live", name="uq_journey_instances_live"),
    )
    op.create_index("ix_journey_instances_customer_id", "journey_instances", ["customer_id"], unique=False)
    op.create_index("ix_journey_instances_due", "journey_instances", ["state", "next_at"], unique=False)
    op.create_index(
        "ix_journey_instances_journey_state", "journey_instances", ["journey_id", "state", "current_step"], unique=False
    )
    op.create_table(
        "journey_actions",
        sa.Column("action_id", _ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("instance_id", _ID, nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["journey_instances.instance_id"],
            name=op.f("fk_journey_actions_instance_id_journey_instances"),
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_journey_actions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_journey_actions_idempotency_key")),
    )
    op.create_index("ix_journey_actions_instance_id", "journey_actions", ["instance_id"], unique=False)
    op.create_index(
        "ix_journey_actions_customer_created", "journey_actions", ["customer_id", "created_at"], unique=False
    )
    op.create_table(
        "journey_events",
        sa.Column("event_id", _ID, autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_journey_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_journey_events_event_key")),
    )
    op.create_index("ix_journey_events_customer_kind_ts", "journey_events", ["customer_id", "kind", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_journey_events_customer_kind_ts", table_name="journey_events")
    op.drop_table("journey_events")
    op.drop_index("ix_journey_actions_customer_created", table_name="journey_actions")
    op.drop_index("ix_journey_actions_instance_id", table_name="journey_actions")
    op.drop_table("journey_actions")
    op.drop_index("ix_journey_instances_journey_state", table_name="journey_instances")
    op.drop_index("ix_journey_instances_due", table_name="journey_instances")
    op.drop_index("ix_journey_instances_customer_id", table_name="journey_instances")
    op.drop_table("journey_instances")
    op.drop_table("journeys")
