"""The build form's checks (the campaign file's own, worded in zh and en), the submit path and the job's view."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from callwise.board.build import WHOLE, check_form, defaults, funnel_rows, job_view, parse_form, products, submit
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList, Job

GOOD = {"campaign_id": "wm-board", "product_id": "P_WM01", "date": "2026-07-01", "days": "3", "seed": "5"}


@pytest.fixture
def factory(db_engine):
    return session_factory(db_engine)


def _problems(form, lake, factory, lang="en"):
    return check_form({**GOOD, **form}, lake, factory).messages(lang)


def test_a_good_form_checks_out_and_defaults_fill_the_rest(small_bank, factory):
    checked = check_form(GOOD, small_bank["lake"], factory)
    assert checked.ok and not checked.exists, checked.messages("en")
    assert checked.settings.days == 3 and checked.settings.control_share == 0.1 and checked.settings.capacity is None
    first = defaults(date(2026, 6, 30))
    assert first["date"] == "2026-07-01" and first["days"] == "10" and first["capacity"] == ""


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"days": "-5"}, "days", "must be at least 1"),
        ({"days": "99999999999999999999999"}, "days", "must be at most 92"),
        ({"capacity": "1e400"}, "capacity", "capacity"),
        ({"cost_per_call": "-1"}, "cost_per_call", "at least 0"),
        ({"control_share": "1.5"}, "control_share", "control_share"),
        ({"campaign_id": "<script>alert(1)</script>"}, "campaign_id", "may only hold letters"),
        ({"campaign_id": "x" * 5000}, "campaign_id", "at most 64"),
        ({"date": "2026-02-30"}, "date", "date"),
        ({"date": "'; DROP TABLE campaigns; --"}, "date", "not a date"),
        ({"arms": "A=0.5, B"}, "arms", "name=share"),
        ({"arms": "A=0.5, B=0.2"}, "arms", "arms"),
        ({"lang": "fr"}, "lang", "one of"),
        ({"product_id": "P_WM99"}, "product_id", "P_WM99"),
        ({"teams": "no-such-team"}, "teams", "no-such-team"),
        ({"first_hour": "20", "last_hour": "9"}, WHOLE, "20"),
    ],
)
def test_bad_input_is_refused_per_field_in_both_languages(small_bank, factory, form, field, words):
    english = _problems(form, small_bank["lake"], factory, "en")
    chinese = _problems(form, small_bank["lake"], factory, "zh")
    assert field in english and words in english[field], english
    assert field in chinese and chinese[field] != english[field]
    assert "Traceback" not in english[field] and len(english[field]) < 400


def test_an_unknown_product_is_named_with_the_closest_one(small_bank, factory):
    said = _problems({"product_id": "P_WM0l"}, small_bank["lake"], factory)["product_id"]
    assert "P_WM0l" in said and "P_WM01" in said


def test_the_form_reads_arms_teams_and_empty_fields():
    data, errors, typed = parse_form({"arms": "A=0.5，B:0.5", "teams": "t1, t2", "capacity": " ", "x": "ignored"})
    assert data == {"arms": {"A": "0.5", "B": "0.5"}, "teams": ["t1", "t2"]} and not errors
    assert "x" not in typed and typed["capacity"] == " "


def test_submit_creates_the_campaign_once_and_queues_a_build(small_bank, factory):
    lake = small_bank["lake"]
    first = submit(factory, check_form(GOOD, lake, factory), "analyst1", "10.0.0.1", True)
    again = check_form(GOOD, lake, factory)
    assert again.ok and again.exists  # the same settings: the campaign is reused
    second = submit(factory, again, "analyst1", "10.0.0.1", True)
    with factory() as session:
        assert session.get(Campaign, "wm-board").created_by == "analyst1"
        jobs = session.scalars(select(Job).where(Job.campaign_id == "wm-board")).all()
        assert {j.job_id for j in jobs} == {first, second} and {j.status for j in jobs} == {"queued"}
        made = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.create")).all()
        assert [m.target for m in made] == ["campaign:wm-board"]
    changed = check_form({**GOOD, "days": "4"}, lake, factory)
    assert "exists with other settings" in changed.messages("en")["campaign_id"]
    with pytest.raises(ValueError, match="checked out"):
        submit(factory, changed, "analyst1", None, True)
    view = job_view(factory, first, "en")
    assert view.status == "queued" and view.stage == "queued" and not view.finished and view.funnel == []
    assert job_view(factory, "no-such-job", "en") is None


def test_a_failed_job_says_its_error_in_the_viewers_language(small_bank, factory):
    job_id = submit(factory, check_form(GOOD, small_bank["lake"], factory), "analyst1", None, True)
    with transaction(factory) as session:
        job = session.get(Job, job_id)
        job.status, job.error, job.error_zh = "failed", "no active model", "没有启用的模型"
    assert job_view(factory, job_id, "zh").error == "没有启用的模型"
    assert job_view(factory, job_id, "en").error == "no active model"
    assert job_view(factory, job_id, "en").stage == "failed"


def test_a_done_job_shows_its_lists_funnel_and_plan(small_bank, factory):
    job_id = submit(factory, check_form(GOOD, small_bank["lake"], factory), "analyst1", None, True)
    funnel = [
        {"step": "customers", "removed": 0, "remaining": 100},
        {"step": "dnc", "removed": 10, "remaining": 90},
        {"step": "a_gate_code", "removed": 5, "remaining": 85},
    ]
    summary = {
        "funnel": funnel,
        "customers": 100,
        "eligible": 90,
        "listed": 85,
        "calls": 120,
        "days": ["2026-07-01", "2026-07-02", "2026-07-03"],
        "experiment": {"treatment_called": 85, "control_held_out": 9, "control_share": 0.1, "arms": {"A": 0.5}},
        "plan": {"capacity_calls": 300.0, "utilisation": 0.4, "days": [{"date": "2026-07-01", "capacity": 100.0}]},
    }
    with transaction(factory) as session:
        listed = IssuedList(
            campaign_id="wm-board", job_id=job_id, issued_by="a", policy_sha256="0" * 64, summary=summary
        )
        session.add(listed)
        session.flush()
        job = session.get(Job, job_id)
        job.status, job.progress, job.stage = "done", 1.0, "done"
        job.result = {"list_id": listed.list_id, "items": 120}
    view = job_view(factory, job_id, "en")
    assert view.finished and view.list_id is not None and view.progress == 1.0
    assert [r["label"] for r in view.funnel] == ["customers", "on the do-not-call list", "a_gate_code"]
    assert view.plan["listed"] == 85 and view.plan["control"] == 9 and view.plan["n_days"] == 3
    assert view.plan["arms"] == "A 0.5" and view.days[0]["capacity"] == 100.0
    assert funnel_rows(funnel, "zh")[1]["label"] == "拒绝来电名单（DNC）"


def test_products_come_from_the_lake(small_bank):
    ids = [p["product_id"] for p in products(small_bank["lake"])]
    assert "P_WM01" in ids and ids == sorted(ids)
    assert products(None) == []
