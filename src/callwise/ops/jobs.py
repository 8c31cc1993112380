"""List builds as background jobs: the client gets a job id at once and polls its progress.

The job waits in the jobs table until a worker claims it (``job_queue``, ``job_worker``). Each stage commits
its progress in its own short transaction, fenced by the worker's lease, so a poller sees it move and a worker
that lost its lease stops; a failure is stored with its message in English and Chinese. The list is issued and
the job marked done in one transaction (the campaign moving to ``built`` and ``issued`` with it), and issuing
is keyed by the job, so a build that is retried after its process died issues its list once. The build reads
the live policy state first (``overlay``), so whatever was recorded up to the moment the job starts is obeyed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from callwise.i18n import t
from callwise.i18n.errors import message
from callwise.lake import Lake
from callwise.ops import audit
from callwise.ops.campaign_state import IllegalTransition, reach
from callwise.ops.db import transaction
from callwise.ops.job_queue import FREED, Claim, LeaseLost, fence
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, Job, ModelVersion
from callwise.ops.overlay import export_policy_state
from callwise.policy import Policy, default_policy

if TYPE_CHECKING:
    from callwise.lists.build import ListResult

log = logging.getLogger("callwise.jobs")


class BuildError(RuntimeError):
    """A list build that cannot run (no active model, no lake…); stored as the job's error in both languages."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(t(key, "en", **values))
        self.zh = t(key, "zh", **values)


def new_build_job(session: Session, campaign_id: str, actor: str) -> Job:
    job = Job(job_id=str(uuid.uuid4()), kind="list_build", campaign_id=campaign_id, status="queued", created_by=actor)
    session.add(job)
    session.flush()
    return job


def run_build(
    engine: Engine,
    factory: sessionmaker[Session],
    lake: Lake | None,
    claim: Claim,
    bank_timezone: str,
    policy: Policy | None = None,
    models_dir: Path | None = None,
) -> None:
    """Run one claimed build to the end; the job row records the outcome.

    With ``models_dir``, the active model's directory is resolved again before it is read: a file swapped for a
    link that leads outside the models directory after the model was registered is refused, not read.

    It raises only when the database cannot take the outcome; the lease then runs out and the job is run again.
    """
    from callwise.lists.build import build_list, load_ranking_model
    from callwise.lists.campaign import Campaign as CampaignSpec
    from callwise.models.paths import OutsideRoot, confined_tree

    job_id = claim.job_id
    try:
        with transaction(factory) as session:
            job = session.get(Job, job_id)
            campaign = session.get(Campaign, job.campaign_id) if job is not None else None
            if job is None or campaign is None:  # both are written together; gone only if deleted underneath
                raise BuildError("ops.job.gone", job_id=job_id)
            spec, actor, campaign_id = dict(campaign.spec), job.created_by, campaign.campaign_id
            if campaign.status == "closed":
                raise BuildError("campaign.state.closed", campaign_id=campaign_id, wanted="built")
            # The registered model a campaign ranks by: by default "response", or "uplift" for ranking: uplift.
            name = spec.pop("model_name", "uplift" if spec.get("ranking") == "uplift" else "response")
            active = session.scalars(
                select(ModelVersion).where(ModelVersion.name == name, ModelVersion.active.is_(True))
            ).first()
            if active is None:
                raise BuildError("ops.job.no_uplift_model" if spec.get("ranking") == "uplift" else "ops.job.no_model")
            model_path, model_version = active.path, f"{active.name}:{active.version}"
        if lake is None:
            raise BuildError("ops.job.no_lake")
        _progress(factory, claim, 0.05, "policy_state")
        export_policy_state(engine, lake, policy or default_policy(), campaign_id)
        _progress(factory, claim, 0.15, "model")
        if models_dir is not None:
            try:
                model_path = str(confined_tree(models_dir, model_path))
            except OutsideRoot:
                raise BuildError("ops.job.model_outside", version=model_version) from None
        campaign_spec = CampaignSpec(**spec)
        model = load_ranking_model(campaign_spec, model_path)  # the other kind of model: refused in one sentence
        _progress(factory, claim, 0.25, "build")
        result = build_list(campaign_spec, lake, model, policy=policy, bank_timezone=bank_timezone)
        _progress(factory, claim, 0.9, "issue")
        with transaction(factory) as session:
            _reach(session, campaign_id, "built", actor, "list_built")
            issued = issue_list(
                session,
                campaign_id,
                result.calls,
                result.summary,
                actor,
                job_id,
                bank_timezone,
                model_version,
                members=result.members,
                assigned_at=_assigned_at(result, bank_timezone),
            )
            _reach(session, campaign_id, "issued", actor, "list_issued")
            audit.append(
                session, actor, "list.build", f"campaign:{campaign_id}", {"job_id": job_id, "list_id": issued.list_id}
            )
            result_info = {"list_id": issued.list_id, "items": issued.items, "funnel": result.summary.get("funnel")}
            # Last, and in the same transaction: a worker that lost its lease meanwhile rolls its list back.
            fence(session, claim, progress=0.95, stage="record")
        # Done only once the lake holds the members too, so a client that sees "done" can measure the campaign.
        # A worker that dies in between leaves the job to be run again: the list (keyed by job) and the lake part
        # (named by its rows) are then found, not made twice.
        _record_in_lake(lake, result, issued.list_id, job_id)
        with transaction(factory) as session:
            fence(session, claim, status="done", progress=1.0, stage="done", result=result_info, **FREED)
    except LeaseLost:
        log.warning("list build %s (start %d): the lease was lost, another worker has the job", job_id, claim.attempt)
    except Exception as error:  # the job records every failure; the service keeps running
        log.exception("list build %s failed", job_id)
        if isinstance(error, BuildError):
            english, chinese = str(error), error.zh
        else:
            english, chinese = (t("ops.job.failed", lang, detail=_detail(error, lang)) for lang in ("en", "zh"))
        try:
            with transaction(factory) as session:
                fence(session, claim, status="failed", error=english[:2000], error_zh=chinese[:2000], **FREED)
        except LeaseLost:
            log.warning("list build %s failed after its lease was lost", job_id)


def _assigned_at(result: ListResult, bank_timezone: str) -> datetime:
    """The campaign's first calling slot as an instant: when its members' assignment takes effect."""
    from callwise.results.record import campaign_start

    local = pd.Timestamp(campaign_start(result.planning.campaign)).tz_localize(bank_timezone)
    return local.tz_convert("UTC").to_pydatetime()


def _record_in_lake(lake: Lake, result: ListResult, list_id: int, job_id: str) -> None:
    """The issued list's members into the lake's campaign_members, after the list is issued.

    Recording is idempotent (a part named by its rows), and the operational DB holds the same members already, so
    a lake that cannot take them is logged and the job stays done: results fall back to the DB's list_members.
    """
    from callwise.results.record import record_members

    try:
        record_members(lake, result, list_id)
    except Exception:
        log.exception("list build %s: the members of list %d could not be recorded in the lake", job_id, list_id)


def _detail(error: Exception, lang: str) -> str:
    """What went wrong, in ``lang`` when the error has a catalogue key (a list that cannot be built …)."""
    if isinstance(error, ValueError | KeyError):
        return message(error, lang)
    return f"{type(error).__name__}: {error}"


def _reach(session: Session, campaign_id: str, state: str, actor: str, event: str) -> None:
    """Step the campaign to ``state`` (audited); a campaign closed while the list was built gets no list."""
    try:
        reach(session, campaign_id, state, actor, event)
    except IllegalTransition as refused:
        raise BuildError("campaign.state.closed", campaign_id=campaign_id, wanted=refused.wanted) from None


def _progress(factory: sessionmaker[Session], claim: Claim, progress: float, stage: str) -> None:
    with transaction(factory) as session:
        fence(session, claim, progress=progress, stage=stage)
