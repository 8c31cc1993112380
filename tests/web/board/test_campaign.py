"""The campaign page through the app: its numbers are the data's, who may see it and download the dialer file
(audited as the API's export), both languages, the live fragment, exports, the empty and unknown states."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from callwise.board.campaign_results import RESULTS
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList
from tests.board.campaign_data import CAMPAIGN, report_outcomes, seed_campaign

PAGE = f"/board/campaigns/{CAMPAIGN}"


@pytest.fixture(autouse=True)
def _measured_before_the_database_goes(board):
    """A page view starts a measurement in the background: let it end before the test's database is dropped."""
    yield
    RESULTS.drain(timeout=120)


@pytest.fixture
def seeded(board):
    """The campaign with its list over customers of the board's lake, and the dialer's first outcomes."""
    lake = board.services.lake
    ids = lake.table("customers").select("customer_id").limit(18).to_pyarrow()["customer_id"].to_pylist()
    names = seed_campaign(board.services.factory, ids, board.services.pii)
    report_outcomes(board.services.factory, names)
    return names


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _wait_for_results(board) -> None:
    RESULTS.wait((str(board.services.engine.url), CAMPAIGN), timeout=120)


def test_the_page_shows_the_data_numbers(board, seeded):
    client = board.client_for("analyst")
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    for title in (
        "Delivery funnel",
        "Eligibility funnel by reason code",
        "Treatment vs control",
        "Gains by score",
        "Schedule heatmap",
        "Capacity use per day",
        "Issued lists",
    ):
        assert title in html
    assert 'hx-get="/board/campaigns/camp-board/live"' in html and 'hx-trigger="every 10s"' in html
    funnel = _csv(client.get(PAGE + "/export/delivery.csv?lang=en"))
    assert funnel[0] == ["Stage", "Customers", "Of the step before"]
    assert [row[1] for row in funnel[1:]] == ["12", "8", "5", "3", "2"]
    assert [row[0] for row in funnel[1:]] == ["On the list", "Dialled", "Connected", "Interested", "Converted"]
    arms = {row[0]: row[1:5] for row in _csv(client.get(PAGE + "/export/arms.csv"))[1:]}
    assert arms["A"] == ["6", "4", "3", "2"] and arms["B"] == ["6", "4", "2", "0"]
    eligibility = _csv(client.get(PAGE + "/export/eligibility.csv"))
    assert [row[1] for row in eligibility[1:]] == ["customers", "dnc", "no_consent", "control_group", "below_capacity"]
    heat = _csv(client.get(PAGE + "/export/heatmap.csv"))
    assert [row[1:] for row in heat[1:]] == [["9", "4", "3"], ["10", "4", "3"], ["11", "4", "2"]]
    capacity = _csv(client.get(PAGE + "/export/capacity.csv"))
    assert capacity[1][:5] == ["2026-07-01", "10.0", "9.5", "12", "8"]
    assert client.get(PAGE + "/export/lists.xlsx").content[:2] == b"PK"
    assert client.get(PAGE + "/export/nothing.csv").status_code == 404
    assert client.get(PAGE + "/export/delivery.pdf").status_code == 404


def test_results_against_control_come_from_the_snapshot(board, seeded):
    client = board.client_for("analyst")
    client.get(PAGE)  # the first view starts the measurement in the background
    _wait_for_results(board)
    live = client.get(PAGE + "/live?lang=en")
    assert "Measured against control at" in live.text and "on the newest data" in live.text
    assert "Lift vs control (points)" in live.text
    effect = _csv(client.get(PAGE + "/export/effect.csv?lang=en"))
    assert [row[0] for row in effect[1:]] == ["Treatment", "Control", "Lift"]
    assert effect[1][1:2] == ["12"] and effect[2][1:2] == ["6"]
    assert int(effect[1][2]) >= 2  # the two recorded conversions, and any the lake holds


def test_both_languages(board, seeded):
    client = board.client_for("analyst")
    zh = client.get(PAGE + "?lang=zh").text
    assert "外呼漏斗" in zh and 'lang="zh-CN"' in zh
    en = client.get(PAGE + "?lang=en").text
    assert "Delivery funnel" in en and "外呼漏斗" not in en
    headers = _csv(client.get(PAGE + "/export/delivery.csv?lang=zh"))[0]
    assert headers == ["阶段", "客户数", "占上一步"]


def test_permissions(board, seeded):
    assert board.client_for("agent").get(PAGE).status_code == 403  # no metrics:read
    assert board.client_for("agent").get(PAGE + "/live").status_code == 403
    assert board.client_for("agent").get(PAGE + "/export/delivery.csv").status_code == 403
    assert board.client_for("auditor").get(PAGE).status_code == 200


def test_dialer_download_only_for_pii_read_and_audited(board, seeded):
    with board.services.factory() as s:
        list_id = s.execute(select(IssuedList.list_id).where(IssuedList.campaign_id == CAMPAIGN)).scalar_one()
    url = f"{PAGE}/lists/{list_id}/dialer"
    analyst = board.client_for("analyst")
    page = analyst.get(PAGE + "?lang=en").text
    assert "needs pii:read" in page and url not in page
    refused = analyst.post(url, data={"format": "csv", "csrf_token": board.csrf(analyst)})
    assert refused.status_code == 403

    supervisor = board.client_for("supervisor")
    assert url in supervisor.get(PAGE).text
    assert supervisor.post(url, data={"format": "csv"}).status_code == 403  # no CSRF token
    assert _exports(board) == []
    got = supervisor.post(url, data={"format": "csv", "csrf_token": board.csrf(supervisor)})
    assert got.status_code == 200, got.text[:300]
    assert got.headers["X-Callwise-Rows"] == "12" and got.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len(rows) == 13 and re.fullmatch(r"1380013\d{4}", rows[1][4])  # real numbers, in clear
    entries = _exports(board)
    assert len(entries) == 1
    assert entries[0].actor == "supervisor1" and entries[0].target == f"list:{list_id}"
    assert entries[0].detail == {"list_id": list_id, "campaign_id": CAMPAIGN, "format": "csv", "rows": 12}
    assert "1380013" not in str(entries[0].detail)
    vici = supervisor.post(url, data={"format": "vicidial", "csrf_token": board.csrf(supervisor)})
    assert vici.status_code == 200 and len(_exports(board)) == 2
    other = supervisor.post(
        f"/board/campaigns/nope/lists/{list_id}/dialer", data={"format": "csv", "csrf_token": board.csrf(supervisor)}
    )
    assert other.status_code == 404 and len(_exports(board)) == 2


def _exports(board) -> list[AuditEntry]:
    with board.services.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "list.export_dialer")))


def test_live_fragment_follows_new_outcomes(board, seeded):
    client = board.client_for("analyst")
    before = client.get(PAGE + "/live?lang=en")
    assert before.status_code == 200 and "<html" not in before.text and 'id="campaign-live"' in before.text
    report_outcomes(board.services.factory, seeded, {"T08": "converted", "T09": "answered"})
    funnel = _csv(client.get(PAGE + "/export/delivery.csv"))
    assert [row[1] for row in funnel[1:]] == ["12", "10", "7", "4", "3"]
    after = client.get(PAGE + "/live?lang=en").text
    assert after != before.text


def test_unknown_campaign_and_empty_campaign(board):
    client = board.client_for("analyst")
    missing = client.get("/board/campaigns/nope?lang=en")
    assert missing.status_code == 404 and "There is no campaign nope." in missing.text
    assert client.get("/board/campaigns/nope/live").status_code == 404
    with transaction(board.services.factory) as s:
        s.add(Campaign(campaign_id="fresh", name="Fresh", product_id="P1", spec={}, created_by="setup"))
    empty = client.get("/board/campaigns/fresh?lang=en")
    assert empty.status_code == 200
    assert "has no issued list yet" in empty.text and 'href="/board/build?campaign=fresh"' in empty.text
