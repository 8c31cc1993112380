"""The overview page through the app: its tiles show the data put in, filters narrow them, the tiles fragment
refreshes, exports are formula-safe, roles without metrics:read get 403, both languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl
import pytest

from callwise.ops.db import transaction
from callwise.ops.models import Campaign
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.security.rbac import ROLE_PERMISSIONS, Role
from tests.board.overview_seed import LOCAL, ZONE, cid, seed

PERIOD = "date_from=2026-07-04&date_to=2026-07-10"


@pytest.fixture
def seeded(board):
    seed(board.services.factory)
    return board


def _tile(html: str, label: str) -> str:
    """The value shown on the tile labelled ``label``."""
    assert f'<div class="label">{label}</div>' in html, re.findall(r"class=\"label\">([^<]*)<", html)
    part = html.split(f'<div class="label">{label}</div>', 1)[1]
    return part.split('<div class="value">', 1)[1].split("</div>", 1)[0]


def test_the_tiles_show_the_numbers_put_in_in_english(seeded):
    answer = seeded.client_for("analyst").get(f"/board/?{PERIOD}&lang=en")
    assert answer.status_code == 200
    html = answer.text
    assert _tile(html, "Dials") == "52"
    assert _tile(html, "Connect rate") == "63.5%"  # 33 of 52
    assert _tile(html, "Conversion per connect") == "33.3%"  # 11 of 33
    assert _tile(html, "Incremental conversions vs control") == "4.0"  # K1 +6, K2 −2
    assert _tile(html, "Complaints per 1,000 dials") == "19.23"
    assert "+42 vs the previous period" in html  # 52 against 10
    assert "95% interval" in html
    assert 'href="/board/campaigns/K1"' in html and "Dials and conversions per day" in html
    assert 'hx-get="/board/tiles?date_from=2026-07-04&amp;date_to=2026-07-10"' in html
    assert 'hx-trigger="every 10s"' in html


def test_the_page_in_chinese(seeded):
    html = seeded.client_for("analyst").get(f"/board/?{PERIOD}&lang=zh").text
    assert _tile(html, "外呼次数") == "52" and _tile(html, "接通率") == "63.5%"
    assert "每日外呼与转化" in html and "较上期 +42" in html


def test_filters_narrow_the_tiles_and_stay_in_the_links(seeded):
    client = seeded.client_for("analyst")
    html = client.get(f"/board/?{PERIOD}&campaign=K2&lang=en").text
    assert _tile(html, "Dials") == "12"
    assert "/board/export/campaigns.csv?date_from=2026-07-04&amp;date_to=2026-07-10&amp;campaign=K2" in html
    assert 'href="/board/campaigns/K1"' not in html
    assert _tile(client.get(f"/board/?{PERIOD}&product=P1&lang=en").text, "Dials") == "40"
    bad = client.get("/board/?date_from=July&lang=en")
    assert bad.status_code == 422 and "date_from" in bad.text


def test_a_team_filter_counts_the_teams_calls(seeded):
    lake = seeded.services.lake
    agents = lake.table("agents").select("agent_id", "team").to_pyarrow().to_pylist()
    team = agents[0]["team"]
    mine = [a["agent_id"] for a in agents if a["team"] == team]
    with transaction(seeded.services.factory) as s:
        record_outcomes(
            s,
            [
                OutcomeIn(
                    "team-1",
                    cid(80),
                    "answered",
                    datetime(2026, 7, 9, 10, tzinfo=LOCAL),
                    campaign_id="K2",
                    product_id="P2",
                    agent_id=mine[0],
                )
            ],
            actor="t",
            bank_timezone=ZONE,
        )
    html = seeded.client_for("analyst").get(f"/board/?{PERIOD}&team={team}&lang=en").text
    assert _tile(html, "Dials") == "1"
    assert "Not by team" in html


def test_the_tiles_fragment_refreshes_with_new_outcomes(seeded):
    client = seeded.client_for("supervisor")
    first = client.get(f"/board/tiles?{PERIOD}&lang=en", headers={"HX-Request": "true"})
    assert first.status_code == 200 and "<html" not in first.text and 'id="overview-tiles"' in first.text
    assert _tile(first.text, "Dials") == "52"
    with transaction(seeded.services.factory) as s:
        record_outcomes(
            s,
            [
                OutcomeIn(
                    "new-1",
                    cid(75),
                    "converted",
                    datetime(2026, 7, 10, 9, tzinfo=LOCAL),
                    campaign_id="K2",
                    product_id="P2",
                )
            ],
            actor="t",
            bank_timezone=ZONE,
        )
    again = client.get(f"/board/tiles?{PERIOD}&lang=en", headers={"HX-Request": "true"})
    assert _tile(again.text, "Dials") == "53"


def test_exports_hold_the_numbers_and_are_formula_safe(seeded):
    with transaction(seeded.services.factory) as s:
        s.get(Campaign, "K2").name = '=HYPERLINK("http://x","click")'
    client = seeded.client_for("analyst")
    answer = client.get(f"/board/export/campaigns.csv?{PERIOD}&lang=en")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    by_id = {r["Campaign"]: r for r in rows}
    assert by_id["K1"]["Dials"] == "40" and by_id["K2"]["Dials"] == "12"
    assert by_id["K2"]["Name"].startswith("'=")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/board/export/daily.xlsx?{PERIOD}&lang=en").content))
    values = list(book.active.values)
    assert values[0][:2] == ("Day", "Dials") and sum(v[1] for v in values[1:]) == 52
    assert client.get(f"/board/export/daily.pdf?{PERIOD}").status_code == 404
    assert client.get(f"/board/export/secrets.csv?{PERIOD}").status_code == 404


def test_roles_without_metrics_read_get_403(seeded):
    for role in Role:
        answer = seeded.client_for(role.value).get(f"/board/?{PERIOD}")
        assert (answer.status_code == 200) == ("metrics:read" in ROLE_PERMISSIONS[role]), role
        fragment = seeded.client_for(role.value).get(f"/board/tiles?{PERIOD}")
        assert (fragment.status_code == 200) == ("metrics:read" in ROLE_PERMISSIONS[role]), role


def test_an_empty_database_says_what_to_do(board):
    html = board.client_for("analyst").get("/board/?lang=en").text
    assert "No outcomes yet: build and issue a list" in html and 'href="/board/build"' in html


def test_signed_out_visitors_go_to_the_login(board):
    from fastapi.testclient import TestClient

    client = TestClient(board.api.client.app, follow_redirects=False)
    answer = client.get("/board/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
