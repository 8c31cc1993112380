"""The attribution page through the app: methods side by side per channel, the control group's increment, warnings,
last-touch flags, a campaign and the lookback chosen, exports, refusals, permission and both languages."""

from __future__ import annotations

import itertools

import pytest

from tests.attribution.world import write_world

FRESH_LOOKBACKS = itertools.count(23)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    effects = {"call": 0.12, "sms": 0.03, "app_push": 0.05, "wechat": 0.08, "email": 0.02}
    return write_world(tmp_path_factory.mktemp("board-attribution"), customers=12_000, seed=4, effects=effects)


@pytest.fixture
def client(board, world, monkeypatch):
    monkeypatch.setattr("callwise.board.attribution.FIRST_WAIT_S", 600.0)  # a page waits for its report here
    board.services.lake = world.lake
    return board.client_for("analyst")


def test_a_report_still_computing_is_said_and_the_page_refreshes_itself_until_it_is_done(client, world, monkeypatch):
    from callwise.board.attribution import REPORTS

    monkeypatch.setattr("callwise.board.attribution.FIRST_WAIT_S", 0.0)
    days = next(FRESH_LOOKBACKS)  # a report no test has asked for yet (the cache is the process's)
    first = client.get(f"/board/attribution?lookback_days={days}&lang=en")
    assert first.status_code == 200
    assert "Computing the attribution" in first.text and 'id="attribution-poll"' in first.text
    REPORTS.wait((str(world.lake.root), None, days), timeout=600)
    done = client.get(f"/board/attribution?lookback_days={days}&lang=en")
    main = done.text[done.text.index("<main") :]
    assert 'id="chart-shares"' in main and 'id="attribution-poll"' not in main, main[:3000]


def test_methods_side_by_side_with_the_control_group_in_both_languages(client):
    en = client.get("/board/attribution?lang=en")
    assert en.status_code == 200, en.text[:500]
    for chart in ("shares", "totals"):
        assert f'id="chart-{chart}"' in en.text and f'href="/board/attribution/export/{chart}.csv' in en.text
    assert "Share per channel by method" in en.text and "Control-group incremental" in en.text
    assert "Shapley (baseline removed)" in en.text and "Markov (textbook)" in en.text
    assert 'id="attribution-warnings"' in en.text and "Last touch gives call a share of" in en.text
    assert 'id="last-touch-flags"' in en.text and "the control group is the truth" in en.text
    zh = client.get("/board/attribution?lang=zh")
    assert (
        zh.status_code == 200 and "渠道归因" in zh.text and "对照组增量成交" in zh.text and "末次触达给 call" in zh.text
    )


def test_exports_read_the_tables_the_page_shows(client):
    shares = client.get("/board/attribution/export/shares.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert shares[0].startswith("Channel,Touches,First touch,Last touch") and len(shares) == 6
    campaigns = client.get("/board/attribution/export/campaigns.csv?campaign=CMP01&lang=en")
    rows = campaigns.content.decode("utf-8-sig").splitlines()
    assert campaigns.status_code == 200 and len(rows) == 2 and rows[1].startswith("CMP01,")
    assert client.get("/board/attribution/export/flags.xlsx").content[:2] == b"PK"
    assert client.get("/board/attribution/export/nothing.csv").status_code == 404


def test_a_campaign_and_a_lookback_are_chosen_and_bad_ones_refused(client):
    one = client.get("/board/attribution?campaign=CMP00&lookback_days=20&lang=en")
    assert one.status_code == 200 and '<option value="CMP00" selected>' in one.text and 'value="20"' in one.text
    assert 'href="/board/attribution/export/shares.csv?campaign=CMP00&amp;lookback_days=20"' in one.text
    unknown = client.get("/board/attribution?campaign=NOPE&lang=en")
    assert unknown.status_code == 200 and "Campaign NOPE has no marketing touch" in unknown.text
    assert client.get("/board/attribution?lookback_days=0").status_code == 422
    assert client.get("/board/attribution?lookback_days=abc").status_code == 422


def test_permission_is_metrics_read(board, world):
    board.services.lake = world.lake
    for role in ("agent",):
        assert board.client_for(role).get("/board/attribution").status_code == 403
        assert board.client_for(role).get("/board/attribution/export/shares.csv").status_code == 403
    assert board.client_for("auditor").get("/board/attribution").status_code == 200
