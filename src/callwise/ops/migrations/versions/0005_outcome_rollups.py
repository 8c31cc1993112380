"""Outcome roll-ups for the dashboard: calls and talk seconds per campaign, local day and disposition; list
members and conversions indexed so that a period's conversions find their members from the indexes alone, and
calls indexed by agent for a team's figures.

The upgrade counts the outcomes already stored (``callwise.ops.rollups.rebuild_rollups``, local days in the
``CALLWISE_TIMEZONE`` of the settings); from then on ``record_outcomes`` keeps the counts. Decision 0031.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_rollups",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("talk_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "day", "disposition", name=op.f("pk_outcome_rollups")),
    )
    op.create_index("ix_outcome_rollups_day", "outcome_rollups", ["day"], unique=False)
    # The members a conversion belongs to, found by customer (the overview's treatment-vs-control counts).
    op.create_index(
        "ix_list_members_customer_conversion",
        "list_members",
        ["customer_id", "product_id", "assigned_at", "campaign_id", "group"],
        unique=False,
    )
    # A period's conversions and a team's calls.
    op.create_index(
        "ix_conversions_ts_customer_product", "conversions", ["ts", "customer_id", "product_id"], unique=False
    )
    op.create_index("ix_call_outcomes_agent_ts", "call_outcomes", ["agent_id", "ts"], unique=False)
    from callwise.ops.rollups import rebuild_rollups

    rebuild_rollups(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_call_outcomes_agent_ts", table_name="call_outcomes")
    op.drop_index("ix_conversions_ts_customer_product", table_name="conversions")
    op.drop_index("ix_list_members_customer_conversion", table_name="list_members")
    op.drop_index("ix_outcome_rollups_day", table_name="outcome_rollups")
    op.drop_table("outcome_rollups")
