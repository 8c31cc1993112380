"""The moments page through the app: live moments per trigger, the builds over time, the catalogue, the effect of a
triggered campaign's moments, exports, permission, the empty state and both languages."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime

import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.moments import build_moments, default_triggers


@pytest.fixture
def built(board, small_bank, tmp_path):
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    lake = Lake(tmp_path / "lake", threads=2)
    build_moments(lake, default_triggers(), datetime(2026, 6, 30))
    build_moments(lake, default_triggers(), datetime(2026, 7, 1))
    board.services.lake = lake
    return board


def test_without_a_moments_table_the_page_says_how_to_build(board):
    client = board.client_for("analyst")
    en = client.get("/board/moments?lang=en")
    assert en.status_code == 200 and "after callwise moments build this page shows" in en.text
    assert "Salary arrived" in en.text  # the catalogue is shown anyway
    assert 'id="chart-counts"' not in en.text
    zh = client.get("/board/moments?lang=zh")
    assert zh.status_code == 200 and "工资到账" in zh.text and "触发器目录" in zh.text


def test_counts_history_and_catalogue_in_both_languages(built):
    client = built.client_for("supervisor")  # tags:read is enough
    lake = built.services.lake
    en = client.get("/board/moments?lang=en")
    assert en.status_code == 200 and "as of 2026-07-01 00:00, daily grain" in en.text
    assert 'id="chart-counts"' in en.text and 'id="chart-history"' in en.text
    assert "Birthday week" in en.text and "Large inflow" in en.text
    assert "No campaign members with a moment recorded yet." in en.text
    counts = client.get("/board/moments/export/counts.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert counts[0] == "Trigger id,Trigger,Live moments,Share of customers" and len(counts) == 9
    table = lake.table("moments").to_pandas()
    birthday = next(line for line in counts if line.startswith("birthday,"))
    assert birthday.split(",")[2] == str(int((table["moment_id"] == "birthday").sum()))
    history = client.get("/board/moments/export/history.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert len(history) == 1 + 2 * 8 and history[1].startswith("2026-06-30 00:00,")
    zh = client.get("/board/moments?lang=zh")
    assert "生日前后" in zh.text and "各触发器的有效关键节点" in zh.text and "粒度 按日" in zh.text
    assert "daily" not in zh.text.split("<main")[1].split("触发器目录")[0]
    assert "C0000" not in en.text + zh.text  # counts, never customers
    assert client.get("/board/moments/export/catalogue.xlsx").content[:2] == b"PK"
    assert client.get("/board/moments/export/nothing.csv").status_code == 404
    assert built.client_for("agent").get("/board/moments").status_code == 403


def test_a_triggered_campaigns_moments_are_measured_on_the_page(built):
    lake = built.services.lake
    ids = lake.table("customers").select("customer_id").order_by("customer_id").limit(400).to_pyarrow().column(0)
    n = len(ids)
    members = pa.table(
        {
            "campaign_id": ["T1"] * n,
            "customer_id": ids,
            "group": ["control" if i % 4 == 0 else "treatment" for i in range(n)],
            "arm": [None] * n,
            "assigned_at": pa.array([datetime(2026, 7, 1, 9)] * n, pa.timestamp("us")),
            "product_id": ["P_WM01"] * n,
            "moment_id": ["birthday" if i % 2 else "large_inflow" for i in range(n)],
        }
    )
    lake.write("campaign_members", members)
    page = built.client_for("analyst").get("/board/moments?lang=en")
    assert page.status_code == 200 and "T1" in page.text
    effects = built.client_for("analyst").get("/board/moments/export/effects.csv?lang=en")
    lines = effects.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Campaign,Trigger,Treatment n,Control n") and len(lines) == 3
    by_name = {row[1]: row for row in csv.reader(lines[1:])}
    # every second member is a birthday, every fourth a control: the birthdays have no control to compare with
    assert by_name["Birthday week"][2:4] == ["200", "0"] and by_name["Birthday week"][-1] == "—"
    assert by_name["Large inflow"][2:4] == ["100", "100"] and " pp [" in by_name["Large inflow"][-1]
