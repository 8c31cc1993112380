"""List builds as background jobs: the client gets a job id at once and polls its progress.

Each stage commits its progress in its own short transaction, so a poller sees it move; a failure is
stored with its message. The build reads the live policy state first (``overlay``), so whatever was
recorded up to the moment the job starts is obeyed.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.lake import Lake
from callwise.ops.db import transaction
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, Job, ModelVersion
from callwise.ops.overlay import export_policy_state
from callwise.ops.types import utcnow
from callwise.policy import Policy, default_policy

log = logging.getLogger("callwise.jobs")


class BuildError(RuntimeError):
    """A list build that cannot run (no active model, unknown product…); stored as the job's error."""


def new_build_job(session: Session, campaign_id: str, actor: str) -> Job:
    job = Job(job_id=str(uuid.uuid4()), kind="list_build", campaign_id=campaign_id, status="queued", created_by=actor)
    session.add(job)
    session.flush()
    return job


def run_build(
    engine: Engine,
    factory: sessionmaker[Session],
    lake: Lake,
    job_id: str,
    bank_timezone: str,
    policy: Policy | None = None,
) -> None:
    """Run one queued build to the end; never raises (the job row records the outcome)."""
    from callwise.lists.build import build_list
    from callwise.lists.campaign import Campaign as CampaignSpec
    from callwise.models import load_model

    try:
        with transaction(factory) as session:
            job = session.get(Job, job_id)
            campaign = session.get(Campaign, job.campaign_id)
            spec, actor, campaign_id = dict(campaign.spec), job.created_by, campaign.campaign_id
            active = session.scalars(
                select(ModelVersion).where(
                    ModelVersion.name == spec.pop("model_name", "response"), ModelVersion.active.is_(True)
                )
            ).first()
            if active is None:
                raise BuildError("no active response model: register one and promote it (POST /api/v1/models)")
            model_path, model_version = active.path, f"{active.name}:{active.version}"
        _progress(factory, job_id, "running", 0.05, "policy_state")
        export_policy_state(engine, lake, policy or default_policy(), campaign_id)
        _progress(factory, job_id, "running", 0.15, "model")
        model = load_model(model_path)
        _progress(factory, job_id, "running", 0.25, "build")
        result = build_list(CampaignSpec(**spec), lake, model, policy=policy, bank_timezone=bank_timezone)
        _progress(factory, job_id, "running", 0.9, "issue")
        with transaction(factory) as session:
            issued = issue_list(
                session, campaign_id, result.calls, result.summary, actor, job_id, bank_timezone, model_version
            )
            from callwise.ops import audit

            audit.append(
                session, actor, "list.build", f"campaign:{campaign_id}", {"job_id": job_id, "list_id": issued.list_id}
            )
            result_info = {"list_id": issued.list_id, "items": issued.items, "funnel": result.summary.get("funnel")}
            session.execute(
                update(Job)
                .where(Job.job_id == job_id)
                .values(status="done", progress=1.0, stage="done", result=result_info, updated_at=utcnow())
            )
    except Exception as error:  # the job records every failure; the service keeps running
        log.exception("list build %s failed", job_id)
        message = (
            str(error)
            if isinstance(error, BuildError | ValueError | KeyError)
            else f"{error.__class__.__name__}: {error}"
        )
        with transaction(factory) as session:
            session.execute(
                update(Job)
                .where(Job.job_id == job_id)
                .values(status="failed", error=message[:2000], updated_at=utcnow())
            )


def _progress(factory: sessionmaker[Session], job_id: str, status: str, progress: float, stage: str) -> None:
    with transaction(factory) as session:
        session.execute(
            update(Job)
            .where(Job.job_id == job_id)
            .values(status=status, progress=progress, stage=stage, updated_at=utcnow())
        )
