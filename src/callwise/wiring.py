"""One place that builds things from settings: keys, lake, policy, follow-up planner, senders, the services.

The CLI and the web service both build through here, so a command and the server run with the same objects
made the same way; neither reaches into the other for them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callwise.lake import Lake, open_lake
from callwise.loop import FollowupRules, load_followup_rules
from callwise.ops import audit
from callwise.ops.db import make_engine, session_factory, transaction
from callwise.ops.followups import outcome_planner
from callwise.ops.job_queue import JobConfig
from callwise.ops.lookups import LookupLimit
from callwise.ops.migrate import current, head
from callwise.ops.models import AuditEntry
from callwise.ops.outcomes import FollowupPlanner
from callwise.policy import Policy, default_policy, load_policy
from callwise.security.crypto import LookupHasher, PiiCipher
from callwise.security.pii import Pii
from callwise.settings import Settings
from callwise.web.deps import Services


class ServiceConfigError(RuntimeError):
    """The service cannot start as configured; the message says which setting to fix."""


def pii_from_settings(settings: Settings) -> Pii:
    """The PII keys; refuses to go on without them (there is no default key, by design)."""
    return Pii(PiiCipher.from_settings(settings), LookupHasher.from_settings(settings))


def build_services(settings: Settings) -> Services:
    """Everything the service holds, from the settings; refuses an unmigrated database or missing keys."""
    pii = pii_from_settings(settings)  # keys first: nothing is opened for a service that cannot start
    engine = make_engine(settings.database_url())
    at, latest = current(engine), head()
    if at != latest:
        engine.dispose()
        raise ServiceConfigError(
            f"the operational database is at revision {at or 'none'}, not {latest}: run `callwise db upgrade`"
        )
    lake = lake_from_settings(settings)
    policy = policy_from_settings(settings)
    rules = load_followup_rules(settings.followup_rules)
    factory = session_factory(engine)
    record_rules_in_force(factory, policy, rules)
    return Services(
        engine=engine,
        factory=factory,
        pii=pii,
        lake=lake,
        policy=policy,
        plan_followups=outcome_planner(rules, policy, products_of(lake), settings.timezone, settings.bank_name),
        bank_timezone=settings.timezone,
        receipt_secret=settings.webhook_secret,
        models_dir=Path(settings.data_dir / "models"),
        lookups=LookupLimit(
            settings.lookup_limit, settings.lookup_limit_pii, timedelta(minutes=settings.lookup_window_minutes)
        ),
        job_config=JobConfig(
            lease=timedelta(seconds=settings.job_lease_s),
            max_attempts=settings.job_max_attempts,
            poll_s=settings.job_poll_s,
            shutdown_s=settings.job_shutdown_s,
        ),
        board_idle=timedelta(minutes=settings.board_idle_minutes),
    )


def record_rules_in_force(factory: sessionmaker[Session], policy: Policy, rules: FollowupRules) -> bool:
    """Audit the contact policy and follow-up rules the service runs with, whenever they differ from the last
    run's: a changed policy file is a policy change, and the log says when it took effect. True if recorded."""
    in_force = {"policy": policy.audit(), "followup_rules": {"name": rules.name, "sha256": rules.sha256}}
    with transaction(factory) as session:
        last = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "policy.in_force").order_by(AuditEntry.entry_id.desc())
        ).first()
        if last == in_force:
            return False
        audit.append(session, "service", "policy.in_force", f"policy:{policy.name}", in_force)
        return True


def lake_from_settings(settings: Settings) -> Lake | None:
    """The lake under the data directory, or None while nothing has been ingested there."""
    lake_dir = settings.data_dir / "lake"
    return open_lake(lake_dir, settings=settings) if lake_dir.is_dir() else None


def policy_from_settings(settings: Settings) -> Policy:
    """The contact policy file of the settings, else the built-in defaults."""
    return load_policy(settings.policy_file) if settings.policy_file else default_policy()


def planner_from_settings(settings: Settings, lake: Lake | None, policy: Policy) -> FollowupPlanner:
    """Follow-up planning as the service does it, also for outcomes imported on the command line."""
    rules = load_followup_rules(settings.followup_rules)
    return outcome_planner(rules, policy, products_of(lake), settings.timezone, settings.bank_name)


def products_of(lake: Lake | None) -> dict[str, dict[str, Any]]:
    """Product id → category, name and link (a ``link`` column is optional), for follow-up messages."""
    if lake is None or not lake.has("products"):
        return {}
    table = lake.table("products")
    columns = [c for c in ("product_id", "category", "name", "link") if c in table.columns]
    return {row["product_id"]: row for row in table.select(*columns).to_pyarrow().to_pylist()}


def senders_from_settings(settings: Settings) -> dict[str, Any]:
    """One sender per follow-up channel: the signed webhook when a URL is set, else JSON-lines files."""
    from callwise.loop import FileSender, WebhookSender
    from callwise.loop.rules import FOLLOWUP_CHANNELS

    if settings.webhook_url:
        if settings.webhook_secret is None:
            raise ServiceConfigError(
                "CALLWISE_WEBHOOK_URL is set but CALLWISE_WEBHOOK_SECRET is not: deliveries must be signed"
            )
        sender: Any = WebhookSender(settings.webhook_url, settings.webhook_secret.get_secret_value())
    else:
        sender = FileSender(settings.data_dir / "outbox", settings.timezone)
    return dict.fromkeys(FOLLOWUP_CHANNELS, sender)
