"""The uplift page through the app: empty state, a real fitted model's charts and tables, exports, the model
switch, the negative-uplift exclusions, permission and language."""

from __future__ import annotations

import pytest

from tests.board.uplift_data import fit_and_save, issue, register, summary


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("board-uplift") / "auto"
    fit_and_save(directory)
    return directory


def test_empty_state_says_what_to_do_in_both_languages(board):
    client = board.client_for("analyst")
    en = client.get("/board/uplift?lang=en")
    assert (
        en.status_code == 200
        and "No uplift model is registered yet" in en.text
        and "callwise train --uplift" in en.text
    )
    assert 'id="chart-qini"' not in en.text and "No recent list was ranked by uplift" in en.text
    zh = client.get("/board/uplift?lang=zh")
    assert zh.status_code == 200 and "还没有注册的增量模型" in zh.text and 'lang="zh' in zh.text
    assert 'href="/board/uplift?lang=en"' in zh.text  # the switch keeps the page
    assert '<a href="/board/uplift"' in zh.text or 'href="/board/uplift"' in zh.text  # in the navigation


def test_a_fitted_model_draws_its_curve_deciles_calibration_and_learners(board, saved):
    factory = board.services.factory
    first = register(factory, saved, "v1", active=True)
    second = register(factory, saved, "v2")
    client = board.client_for("analyst")
    page = client.get("/board/uplift?lang=en")
    assert page.status_code == 200
    for chart in ("qini", "deciles", "calibration", "learners"):
        assert f'id="chart-{chart}"' in page.text and f'href="/board/uplift/export/{chart}.csv"' in page.text
    assert "Uplift model uplift v1" in page.text and "Qini curve" in page.text and "chosen automatically" in page.text
    assert f'href="/board/uplift?model={second}"' in page.text  # the registered models, each a link
    curve = client.get("/board/uplift/export/qini.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert curve[0] == "Share targeted,Model,Random,Perfect" and len(curve) == 102
    deciles = client.get("/board/uplift/export/deciles.csv?lang=zh").content.decode("utf-8-sig").splitlines()
    assert deciles[0].startswith("十分位（1 = 预测增量最高）,样本数") and len(deciles) == 11
    learners = client.get("/board/uplift/export/learners.xlsx")
    assert learners.status_code == 200 and learners.content[:2] == b"PK"
    other = client.get(f"/board/uplift?model={second}&lang=en")
    assert "Uplift model uplift v2" in other.text
    assert f'href="/board/uplift/export/qini.csv?model={second}"' in other.text  # exports keep the model shown
    assert client.get(f"/board/uplift/export/qini.csv?model={first}").status_code == 200
    assert client.get("/board/uplift/export/nothing.csv").status_code == 404
    assert client.get("/board/uplift/export/qini.pdf").status_code == 404


def test_a_bad_or_unknown_model_is_refused_not_ignored(board, saved):
    client = board.client_for("analyst")
    bad = client.get("/board/uplift?model=%3Dcmd&lang=en")
    assert bad.status_code == 422 and "model" in bad.text
    missing = client.get("/board/uplift?model=999999&lang=en")
    assert missing.status_code == 404 and "there is no uplift model 999999" in missing.text


def test_negative_uplift_exclusions_by_campaign_and_list(board):
    factory = board.services.factory
    issue(factory, "=cmd|' /C calc'!A0", [summary("uplift", 1000, 120, 300)])
    issue(factory, "camp-response", [summary("response", 900, 0, 300)])
    client = board.client_for("analyst")
    page = client.get("/board/uplift?lang=en")
    assert 'id="chart-exclusions"' in page.text and "Recent lists ranked by uplift" in page.text
    assert "camp-response" not in page.text
    rows = client.get("/board/uplift/export/campaigns.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert rows[0] == "Campaign,Lists,Eligible customers,Left off as negative uplift,Share of the eligible"
    assert rows[1].startswith("'=cmd") and ",1,1000,120,0.12" in rows[1]  # formula-safe
    lists = client.get("/board/uplift/export/lists.csv").content.decode("utf-8-sig").splitlines()
    assert len(lists) == 2


def test_permission_is_the_models_pages(board):
    for role in ("supervisor", "agent", "auditor"):
        assert board.client_for(role).get("/board/uplift").status_code == 403
        assert board.client_for(role).get("/board/uplift/export/models.csv").status_code == 403
