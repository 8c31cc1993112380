"""Job leases: who runs a list build, until when, how often it was started; one issued list per job; an index
for counting a user's recent look-ups in the audit log.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_zh", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_jobs_status_lease", ["status", "lease_until"], unique=False)
    with op.batch_alter_table("issued_lists", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_issued_lists_job_id"), ["job_id"])
    op.create_index("ix_audit_log_actor_action_ts", "audit_log", ["actor", "action", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor_action_ts", table_name="audit_log")
    with op.batch_alter_table("issued_lists", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_issued_lists_job_id"), type_="unique")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_lease")
        for column in ("attempts", "lease_until", "owner", "error_zh"):
            batch_op.drop_column(column)
