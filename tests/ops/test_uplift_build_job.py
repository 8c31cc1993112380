"""A list build job for a campaign ranked by uplift: it takes the active "uplift" model, and refuses a model of
the other kind in both languages."""

from __future__ import annotations

import shutil

import pytest

from callwise.lake import Lake
from callwise.ops.db import session_factory, transaction
from callwise.ops.job_queue import JobConfig, claim_next
from callwise.ops.jobs import new_build_job, run_build
from callwise.ops.models import Campaign, Job, ModelVersion
from callwise.pipeline import train_from_lake, train_uplift_from_lake

SPEC = {"campaign_id": "u1", "product_id": "P_WM01", "date": "2026-07-01", "days": 3, "ranking": "uplift"}


@pytest.fixture(scope="module")
def saved(small_bank, tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    train_uplift_from_lake(small_bank["lake"], "s", root / "uplift", seed=1)
    train_from_lake(small_bank["lake"], "lightgbm", root / "response", seed=1)
    return root


def _run(db_engine, lake: Lake, model_dir, tmp_path) -> Job:
    factory = session_factory(db_engine)
    with transaction(factory) as session:
        session.add(Campaign(campaign_id="u1", name="u", product_id="P_WM01", spec=SPEC, created_by="t"))
        session.add(ModelVersion(name="uplift", version="1", path=str(model_dir), card={}, active=True))
        session.flush()
        job_id = new_build_job(session, "u1", "t").job_id
    claim = claim_next(factory, "w", JobConfig())
    assert claim is not None and claim.job_id == job_id
    run_build(db_engine, factory, lake, claim, "Asia/Shanghai")
    with factory() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def _lake(small_bank, tmp_path) -> Lake:
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")  # the job writes the policy state and the members
    return Lake(tmp_path / "lake")


def test_a_campaign_ranked_by_uplift_is_built_from_the_active_uplift_model(db_engine, small_bank, saved, tmp_path):
    job = _run(db_engine, _lake(small_bank, tmp_path), saved / "uplift", tmp_path)
    assert job.status == "done", job.error
    assert job.result["list_id"] and "negative_uplift" in [s["step"] for s in job.result["funnel"]]


def test_a_response_model_registered_as_the_uplift_one_is_refused(db_engine, small_bank, saved, tmp_path):
    job = _run(db_engine, _lake(small_bank, tmp_path), saved / "response", tmp_path)
    assert job.status == "failed"
    assert "ranking: uplift" in job.error and "not an uplift model" in job.error
    assert "不是增量模型" in job.error_zh
