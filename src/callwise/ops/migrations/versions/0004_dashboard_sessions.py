"""The dashboard: a session's last activity (for the idle timeout), and whose calls a user may see.

``users.agent_id`` ties a user to the agent they are on the call floor (an agent sees only their own figures);
``users.teams`` lists, space-separated, the teams a supervisor runs (a supervisor sees those teams).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("agent_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("teams", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("teams")
        batch.drop_column("agent_id")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_seen_at")
