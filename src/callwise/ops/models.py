"""The operational database: what people and dialers change one row at a time.

The lake holds the bank's history for analysis; this database holds the live state around it: campaigns and
the lists issued to dialers (frozen snapshots), call outcomes as they arrive, the policy state they change
(DNC, consent, refusals, complaints), follow-up actions waiting in the outbox, users, tokens, the audit
chain and the model registry. Personal data is stored only encrypted (``*_enc``) with a keyed hash for
look-up (``*_lookup``); see ``callwise.security.crypto``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from callwise.clock import utcnow
from callwise.ops.types import UtcDateTime

# Stable constraint names, so migrations can refer to them on both engines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# 64-bit ids on PostgreSQL; SQLite only auto-increments a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Customer(Base):
    """A customer's live policy state and encrypted contact details (synced from the lake, changed by outcomes)."""

    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    status: Mapped[str] = mapped_column(String(16), default="active")
    dnc: Mapped[bool] = mapped_column(Boolean, default=False)
    dnc_at: Mapped[datetime | None]
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updated_at: Mapped[datetime | None]
    refused_at: Mapped[datetime | None]
    complaint_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]  # PIPL erasure: contact details gone, aggregates kept
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]]  # the campaign file's fields (callwise.lists.campaign.Campaign)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A background job (a list build) with its progress, so a client can poll it."""

    __tablename__ = "jobs"
    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.campaign_id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    error_zh: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The lease (see ops/jobs.py): which process runs the job, until when, and how many times it was started.
    owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    __table_args__ = (Index("ix_jobs_status_lease", "status", "lease_until"),)


class IssuedList(Base):
    """A list as it was sent to the dialer: never edited, only its items' status changes."""

    __tablename__ = "issued_lists"
    list_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    job_id: Mapped[str | None] = mapped_column(String(36), unique=True)  # a job issues at most one list
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(64))
    items: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]]


class ListItem(Base):
    """One planned call of an issued list; ``status`` goes pending → dialled, or → withdrawn (e.g. DNC)."""

    __tablename__ = "list_items"
    item_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("issued_lists.list_id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64))
    slot_start: Mapped[datetime]
    agent_id: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    arm: Mapped[str | None] = mapped_column(String(32))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str] = mapped_column(String(32))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    hints: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_list_items_customer_status", "customer_id", "status"),)


class ListMember(Base):
    """A member of an issued list's experiment: called (treatment) or held out (control), as assigned then.

    The control group is never called, so only this table says who it was; results are measured against it.
    """

    __tablename__ = "list_members"
    member_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("issued_lists.list_id"))
    campaign_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(16))  # treatment, control
    arm: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    score_decile: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(BigInteger)  # the campaign seed the assignment hashed with
    product_id: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str | None] = mapped_column(String(64))
    age_band: Mapped[str | None] = mapped_column(String(8))
    segment: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[datetime]
    __table_args__ = (
        Index("ix_list_members_campaign_customer", "campaign_id", "customer_id"),
        Index("ix_list_members_list_id", "list_id"),
        # A conversion's members, answered from the index alone (the dashboard's treatment vs control, 0005).
        Index(
            "ix_list_members_customer_conversion", "customer_id", "product_id", "assigned_at", "campaign_id", "group"
        ),
    )


class CallOutcome(Base):
    """One call's outcome, stored exactly once per idempotency key."""

    __tablename__ = "call_outcomes"
    outcome_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64), index=True)
    item_id: Mapped[int | None] = mapped_column(BigId)
    product_id: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[datetime]
    disposition: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float)
    callback_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="api")  # api, import
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_call_outcomes_agent_ts", "agent_id", "ts"),)  # a team's calls (the dashboard, 0005)


class OutcomeRollup(Base):
    """Outcomes counted per campaign, local day (the bank's time zone) and disposition, kept in the transaction that
    stores them (``callwise.ops.rollups``): the dashboard reads these few thousand rows, not a million outcomes.

    ``campaign_id`` is ``""`` for outcomes of no campaign (a key column cannot be null on PostgreSQL).
    """

    __tablename__ = "outcome_rollups"
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    disposition: Mapped[str] = mapped_column(String(32), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
    talk_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    __table_args__ = (Index("ix_outcome_rollups_day", "day"),)


class Conversion(Base):
    __tablename__ = "conversions"
    conversion_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("call_outcomes.outcome_id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[datetime]
    # A period's conversions, answered from the index alone (the dashboard, 0005).
    __table_args__ = (Index("ix_conversions_ts_customer_product", "ts", "customer_id", "product_id"),)


class PolicyEvent(Base):
    """A change to what may be done with a customer: DNC, consent given or withdrawn, refusal, complaint."""

    __tablename__ = "policy_events"
    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))  # outcome, api, import
    actor: Mapped[str] = mapped_column(String(64))
    outcome_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str | None] = mapped_column(Text)


class Followup(Base):
    """The outbox: a follow-up action waiting to be delivered (at most once per ``dedupe_key``)."""

    __tablename__ = "followups"
    followup_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    outcome_id: Mapped[int | None] = mapped_column(BigId)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, dead, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_followups_status_next", "status", "next_attempt_at"),)


class Role(Base):
    __tablename__ = "roles"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[str | None] = mapped_column(String(64))  # the agent this user is on the floor, if any
    teams: Mapped[str | None] = mapped_column(Text)  # space-separated teams a supervisor runs


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(ForeignKey("roles.name"), primary_key=True)


class ApiToken(Base):
    """A bearer token: a login session of a person, or a machine client's token with scopes and expiry."""

    __tablename__ = "api_tokens"
    token_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)  # SHA-256 of the secret; never the secret
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # session, machine
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated permissions
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]  # a dashboard session's last request, for its idle timeout


class LoginAttempt(Base):
    """Failed and successful logins, for throttling (per user name and per address) and for the audit."""

    __tablename__ = "login_attempts"
    attempt_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        Index("ix_login_attempts_username_ts", "username", "ts"),
        Index("ix_login_attempts_ip_ts", "ip", "ts"),
    )


class AuditEntry(Base):
    """Append-only and hash-chained: each entry's hash covers its fields and the previous entry's hash."""

    __tablename__ = "audit_log"
    # Per-user look-up limits count a user's recent entries of one action (decision 0012).
    __table_args__ = (Index("ix_audit_log_actor_action_ts", "actor", "action", "ts"),)
    entry_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    ts: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]]
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's newest entry, in one row: appends lock it, so entries are numbered without gaps or races,
    and deleting the newest entries is detected too (the head would point past the end)."""

    __tablename__ = "audit_head"
    head_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    last_entry_id: Mapped[int] = mapped_column(BigId, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class ModelVersion(Base):
    """A trained model in the registry; exactly one version per name is active."""

    __tablename__ = "model_versions"
    model_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    card: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    promoted_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("name", "version"),)


class JourneyDefinition(Base):
    """A journey file as loaded, one row per version (a new version only when its content changed, decision 0051)."""

    __tablename__ = "journeys"
    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]]  # callwise.journeys.definition.Journey.to_json()
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(64))


class JourneyInstance(Base):
    """One customer's walk through one version of a journey; advanced by the journey worker under a lease.

    ``live`` is 1 while the instance is active and null after it exits, so the unique key over (journey,
    customer, live) allows one live instance per journey and customer on both engines (nulls are distinct).
    """

    __tablename__ = "journey_instances"
    instance_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    journey_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active, exited
    live: Mapped[int | None] = mapped_column(Integer, default=1)
    current_step: Mapped[str] = mapped_column(String(64))
    step_started_at: Mapped[datetime]
    next_at: Mapped[datetime]
    entered_at: Mapped[datetime]
    exited_at: Mapped[datetime | None]
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[list[Any]]  # the step ids walked, in order (the page's journey path)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    __table_args__ = (
        UniqueConstraint("journey_id", "customer_id", "live", name="uq_journey_instances_live"),
        Index("ix_journey_instances_due", "state", "next_at"),
        Index("ix_journey_instances_journey_state", "journey_id", "state", "current_step"),
    )


class JourneyAction(Base):
    """An action a journey step took or was refused: exactly one row per idempotency key (the outbox's dedupe key)."""

    __tablename__ = "journey_actions"
    action_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("journey_instances.instance_id"), index=True)
    journey_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    # queued (in the outbox), refused (by the policy), sent, delivered, failed, opened, clicked, unsubscribed
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_journey_actions_customer_created", "customer_id", "created_at"),)


class JourneyEvent(Base):
    """A receipt or outcome a branch reads (delivered, opened, clicked, unsubscribed, failed…), stored once per key."""

    __tablename__ = "journey_events"
    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    ts: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # receipt, api
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_journey_events_customer_kind_ts", "customer_id", "kind", "ts"),)
