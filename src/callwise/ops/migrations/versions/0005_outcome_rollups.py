"""Outcome roll-ups for the dashboard: calls and talk seconds per campaign, local day and disposition; list
members indexed by customer and conversions by time, so a period's conversions find their campaigns' members.

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
    op.create_index("ix_list_members_customer_id", "list_members", ["customer_id"], unique=False)
    op.create_index("ix_conversions_ts", "conversions", ["ts"], unique=False)  # and a period's conversions
    from callwise.ops.rollups import rebuild_rollups

    rebuild_rollups(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_conversions_ts", table_name="conversions")
    op.drop_index("ix_list_members_customer_id", table_name="list_members")
    op.drop_index("ix_outcome_rollups_day", table_name="outcome_rollups")
    op.drop_table("outcome_rollups")
