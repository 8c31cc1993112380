"""List members: every member of an issued list's experiment (treatment and control) with its assignment.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_members",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("score_decile", sa.Integer(), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["issued_lists.list_id"], name=op.f("fk_list_members_list_id_issued_lists")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_list_members")),
    )
    op.create_index("ix_list_members_campaign_customer", "list_members", ["campaign_id", "customer_id"], unique=False)
    op.create_index("ix_list_members_list_id", "list_members", ["list_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_list_members_list_id", table_name="list_members")
    op.drop_index("ix_list_members_campaign_customer", table_name="list_members")
    op.drop_table("list_members")
