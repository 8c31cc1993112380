"""Initial schema: every table of the operational database, and the five roles.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_lookup", sa.LargeBinary(length=32), nullable=True),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_lookup", sa.LargeBinary(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dnc", sa.Boolean(), nullable=False),
        sa.Column("dnc_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_marketing", sa.Boolean(), nullable=False),
        sa.Column("consent_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complaint_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_id_number_lookup"), ["id_number_lookup"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_phone_lookup"), ["phone_lookup"], unique=False)

    op.create_table(
        "followups",
        sa.Column(
            "followup_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("outcome_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("followup_id", name=op.f("pk_followups")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_followups_dedupe_key")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followups_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_followups_status_next", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "login_attempts",
        sa.Column(
            "attempt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_ip_ts", ["ip", "ts"], unique=False)
        batch_op.create_index("ix_login_attempts_username_ts", ["username", "ts"], unique=False)

    op.create_table(
        "model_versions",
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_model_versions_name")),
    )
    op.create_table(
        "policy_events",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("outcome_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_policy_events")),
    )
    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_events_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "roles",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_roles")),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_table(
        "call_outcomes",
        sa.Column(
            "outcome_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_call_outcomes_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("outcome_id", name=op.f("pk_call_outcomes")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_call_outcomes_idempotency_key")),
    )
    with op.batch_alter_table("call_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_outcomes_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_outcomes_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "issued_lists",
        sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.campaign_id"], name=op.f("fk_issued_lists_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_issued_lists")),
    )
    with op.batch_alter_table("issued_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_lists_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.campaign_id"], name=op.f("fk_jobs_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_jobs")),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["role"], ["roles.name"], name=op.f("fk_user_roles_role_roles")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "conversions",
        sa.Column(
            "conversion_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("outcome_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["call_outcomes.outcome_id"], name=op.f("fk_conversions_outcome_id_call_outcomes")
        ),
        sa.PrimaryKeyConstraint("conversion_id", name=op.f("pk_conversions")),
        sa.UniqueConstraint("outcome_id", name=op.f("uq_conversions_outcome_id")),
    )
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversions_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "list_items",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=False),
        sa.Column("name_masked", sa.String(length=64), nullable=True),
        sa.Column("hints", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["list_id"], ["issued_lists.list_id"], name=op.f("fk_list_items_list_id_issued_lists")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_list_items")),
    )
    with op.batch_alter_table("list_items", schema=None) as batch_op:
        batch_op.create_index("ix_list_items_customer_status", ["customer_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_list_items_list_id"), ["list_id"], unique=False)
    op.create_table(
        "audit_head",
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("head_id", name=op.f("pk_audit_head")),
    )
    head = sa.table("audit_head", sa.column("head_id"), sa.column("last_entry_id"), sa.column("last_hash"))
    op.bulk_insert(head, [{"head_id": 1, "last_entry_id": 0, "last_hash": "0" * 64}])
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.Text))
    op.bulk_insert(
        roles,
        [
            {"name": "admin", "description": "users, keys, PIPL export and erasure"},
            {"name": "analyst", "description": "campaigns, list builds, models; no personal data"},
            {"name": "supervisor", "description": "call-centre floor: outcomes, DNC, consent, reveals with audit"},
            {"name": "agent", "description": "records outcomes of own calls; masked customers"},
            {"name": "auditor", "description": "reads the audit log and metrics"},
        ],
    )


def downgrade() -> None:
    op.drop_table("audit_head")

    with op.batch_alter_table("list_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_items_list_id"))
        batch_op.drop_index("ix_list_items_customer_status")

    op.drop_table("list_items")
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversions_customer_id"))

    op.drop_table("conversions")
    op.drop_table("user_roles")
    op.drop_table("jobs")
    with op.batch_alter_table("issued_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_lists_campaign_id"))

    op.drop_table("issued_lists")
    with op.batch_alter_table("call_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_outcomes_customer_id"))
        batch_op.drop_index(batch_op.f("ix_call_outcomes_campaign_id"))

    op.drop_table("call_outcomes")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("roles")
    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_events_customer_id"))

    op.drop_table("policy_events")
    op.drop_table("model_versions")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_username_ts")
        batch_op.drop_index("ix_login_attempts_ip_ts")

    op.drop_table("login_attempts")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_status_next")
        batch_op.drop_index(batch_op.f("ix_followups_customer_id"))

    op.drop_table("followups")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_phone_lookup"))
        batch_op.drop_index(batch_op.f("ix_customers_id_number_lookup"))

    op.drop_table("customers")
    op.drop_table("campaigns")
    op.drop_table("audit_log")
