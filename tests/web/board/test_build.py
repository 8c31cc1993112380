"""The build-a-list page through the app: the form checked live per field, CSRF and permission refusals, a list
built by the real job worker from a submitted form, its funnel and plan, and a failed build said in zh."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from callwise.lake import Lake
from callwise.ops.customers import sync_customers
from callwise.ops.db import transaction
from callwise.ops.models import ModelVersion

GOOD = {"campaign_id": "wm-board", "product_id": "P_WM01", "date": "2026-07-01", "days": "3", "seed": "5"}
JOB = re.compile(r"/board/build/jobs/([0-9a-f-]{36})$")


@pytest.fixture
def builder(board, small_bank, tmp_path):
    """The board on a copy of the small bank's lake (a build records its members there), customers synced."""
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    board.services.lake = Lake(tmp_path / "lake", threads=2)
    sync_customers(board.services.factory, board.services.lake)
    return board


def _activate(board, saved_model) -> None:
    target = board.services.models_dir / "response-v1"
    shutil.copytree(saved_model, target)
    with transaction(board.services.factory) as session:
        session.add(ModelVersion(name="response", version="v1", path=str(target), card={}, active=True))


def _client(board, role="analyst", lang="en"):
    client = board.client_for(role)
    assert client.get(f"/board/build?lang={lang}").status_code in (200, 403)  # the switch sets the language
    return client


def _post(board, client, path, form):
    return client.post(path, data={**form, "csrf_token": board.csrf(client)})


def _wait(client, job_id: str) -> str:
    """The job's fragment once the job has ended, polled as HTMX polls it (bounded: 3 minutes)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        fragment = client.get(f"/board/build/jobs/{job_id}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        if 'data-status="done"' in fragment.text or 'data-status="failed"' in fragment.text:
            assert "hx-trigger" not in fragment.text  # an ended job stops the polling
            return fragment.text
        assert 'hx-trigger="every 1s"' in fragment.text and "<progress" in fragment.text
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not end within 3 minutes")


def test_the_form_shows_the_campaign_settings_in_both_languages(board):
    for lang, words in (("en", "Build a call list"), ("zh", "生成外呼名单")):
        page = _client(board, lang=lang).get(f"/board/build?lang={lang}")
        assert page.status_code == 200 and words in page.text
        assert 'name="csrf_token"' in page.text and 'hx-post="/board/build/validate"' in page.text
        for name in ("campaign_id", "product_id", "capacity", "control_share", "arms", "cost_per_call", "date"):
            assert f'name="{name}"' in page.text
        assert 'value="P_WM01"' in page.text


@pytest.mark.parametrize(
    ("form", "field", "english", "chinese"),
    [
        ({"capacity": "-10"}, "capacity", "capacity must be at least 0", "capacity 不能小于 0"),
        ({"product_id": "P_NOPE"}, "product_id", "P_NOPE", "P_NOPE"),
        ({"campaign_id": '"><script>alert(1)</script>'}, "campaign_id", "may only hold letters", "只能包含"),
        ({"days": "10" * 40}, "days", "must be at most 92", "不能大于 92"),
        ({"control_share": "NaN"}, "control_share", "control_share", "control_share"),
    ],
)
def test_live_checks_answer_per_field_in_the_viewers_language(board, form, field, english, chinese):
    for lang, words in (("en", english), ("zh", chinese)):
        client = _client(board, lang=lang)
        answer = _post(board, client, "/board/build/validate", {**GOOD, **form})
        assert answer.status_code == 200 and "<html" not in answer.text
        message = re.search(rf'id="error-{field}"[^>]*hx-swap-oob="true">([^<]*)</p>', answer.text)
        assert message and words in message.group(1), answer.text[:2000]
        assert "<script>alert" not in answer.text  # said, never run
        others = re.findall(r'id="error-(\w+)"[^>]*hx-swap-oob="true">([^<]+)</p>', answer.text)
        assert {name for name, _ in others} == {field}


def test_a_good_form_checks_out(board):
    client = _client(board)
    answer = _post(board, client, "/board/build/validate", GOOD)
    assert answer.status_code == 200 and "the list can be built" in answer.text


def test_posts_without_the_csrf_token_are_refused(board):
    client = _client(board)
    for path in ("/board/build/validate", "/board/build"):
        assert client.post(path, data=GOOD).status_code == 403
        assert client.post(path, data={**GOOD, "csrf_token": "forged"}).status_code == 403


@pytest.mark.parametrize("role", ["agent", "auditor", "supervisor"])
def test_roles_without_lists_build_get_403(board, role):
    client = board.client_for(role)
    assert client.get("/board/build").status_code == 403
    token = board.csrf(client)
    assert client.post("/board/build", data={**GOOD, "csrf_token": token}).status_code == 403
    assert client.post("/board/build/validate", data={**GOOD, "csrf_token": token}).status_code == 403


def test_a_bad_form_is_not_submitted_and_says_why(board):
    client = _client(board)
    answer = _post(board, client, "/board/build", {**GOOD, "days": "-1", "arms": "A=0.7,B=0.7"})
    assert answer.status_code == 422
    assert (
        "days must be at least 1, not &#39;-1&#39;" in answer.text
        and "arm shares must sum to 1" in answer.text
        and 'aria-invalid="true"' in answer.text
    )
    assert 'value="A=0.7,B=0.7"' in answer.text  # the form keeps what was typed


def test_a_list_built_from_the_form_shows_its_funnel_and_plan(builder, saved_model):
    _activate(builder, saved_model)
    client = _client(builder, lang="en")
    sent = _post(builder, client, "/board/build", {**GOOD, "control_share": "0.2", "arms": "A=0.5, B=0.5"})
    assert sent.status_code == 303, sent.text[:1000]
    job_id = JOB.search(sent.headers["location"]).group(1)
    progress = client.get(sent.headers["location"])
    assert progress.status_code == 200 and "List build progress" in progress.text
    done = _wait(client, job_id)
    assert 'data-status="done"' in done, done[:2000]
    assert "Eligibility funnel (by reason code)" in done and "no marketing consent on record" in done
    assert "On the list (treatment)" in done and "Control (not called)" in done and "A 0.5, B 0.5" in done
    assert 'href="/board/campaigns/wm-board"' in done
    option = re.search(r'<script type="application/json" id="option-funnel">(.*?)</script>', done).group(1)
    assert '"type": "bar"' in option or '"type":"bar"' in option
    exported = client.get(f"/board/build/jobs/{job_id}/export/funnel.csv")
    assert exported.status_code == 200 and "no_consent" in exported.content.decode("utf-8-sig")
    assert client.get(f"/board/build/jobs/{job_id}/export/nothing.csv").status_code == 404
    zh = client.get(f"/board/build/jobs/{job_id}?lang=zh")
    assert "资格漏斗" in zh.text and "无营销授权记录" in zh.text


def test_a_failed_build_says_its_error_in_chinese(builder):
    client = _client(builder, lang="zh")
    sent = _post(builder, client, "/board/build", {**GOOD, "campaign_id": "wm-nomodel"})
    assert sent.status_code == 303
    done = _wait(client, JOB.search(sent.headers["location"]).group(1))
    assert 'data-status="failed"' in done and "名单生成失败" in done and "没有启用的响应模型" in done
    assert "no active response model" not in done


def test_an_unknown_job_is_404(board):
    assert _client(board).get("/board/build/jobs/nope").status_code == 404
