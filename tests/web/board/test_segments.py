"""The segments page through the app, written against the segmentation's contract with segmentations built here (in
the contract's shape and in the shape ``callwise.segments`` saves): profiles, sizes over time, response by segment,
the empty state, exports, permission and both languages."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pyarrow as pa
import pytest

from callwise.board import segments as data
from callwise.lake import Lake


def contract_shape() -> SimpleNamespace:
    """As the brief's contract: segment_id, profile features entries, response_rate, uplift, best_hours as hours."""
    features = [{"feature": "balance_total", "segment_mean": 820000.0, "bank_mean": 150000.0}]
    segments = [
        SimpleNamespace(
            segment_id="S1",
            name_zh="高净值活跃客户",
            name_en="Wealthy and active",
            size=600,
            share=0.15,
            profile={"features": features},
            response_rate=0.081,
            uplift=0.024,
            best_hours=[19, 20],
            preferred_channel="call",
        ),
        SimpleNamespace(
            segment_id="S2",
            name_zh="沉睡客户",
            name_en="Dormant customers",
            size=3400,
            share=0.85,
            profile={"features": [{"feature": "n_logins_30d", "segment_mean": 0.2, "bank_mean": 3.1}]},
            response_rate=0.012,
            uplift=None,
            best_hours=[],
            preferred_channel=None,
        ),
    ]
    return SimpleNamespace(
        segments=segments, k=2, method="kmeans", stability_ari=0.91, fitted_at="2026-12-01T08:00", cutoff="2026-06-01"
    )


def saved_shape() -> SimpleNamespace:
    """As callwise.segments saves it: ``id``, and response, uplift and hours inside ``profile``."""
    profile = {
        "features": [{"feature": "age", "segment_mean": 58.0, "bank_mean": 41.0, "difference_sd": 1.2}],
        "response_rate": 0.05,
        "uplift": {"difference": 0.01, "treatment_rate": 0.06, "control_rate": 0.05},
        "best_hours": [{"hour": 10, "calls": 40, "answer_rate": 0.6}],
        "preferred_channel": "wechat",
    }
    one = SimpleNamespace(id="S7", name_zh="银发客户", name_en="Silver customers", size=10, share=1.0, profile=profile)
    return SimpleNamespace(
        segments=(one,), k=1, method="ward", stability_ari=0.7, fitted_at="2026-12-02T00:00:00", cutoff="2026-06-01"
    )


@pytest.fixture
def history_lake(tmp_path) -> Lake:
    lake = Lake(tmp_path / "lake", threads=1)
    rows = [
        {"cutoff": datetime(2026, m, 1), "assigned_at": datetime(2026, m, 2, 3), "segment_id": s, "customers": n}
        for m, sizes in ((4, (550, 3450)), (5, (580, 3420)), (6, (600, 3400)))
        for s, n in zip(("S1", "S2"), sizes, strict=True)
    ]
    lake.write("segment_history", pa.Table.from_pylist(rows))
    return lake


@pytest.fixture
def fitted(board, history_lake, monkeypatch):
    board.services.lake = history_lake
    monkeypatch.setattr(data, "current", lambda lake: data.adapt(contract_shape()))
    return board


def test_without_segments_the_page_says_how_to_fit(board, monkeypatch):
    monkeypatch.setattr(data, "current", lambda lake: None)
    client = board.client_for("analyst")
    en = client.get("/board/segments?lang=en")
    assert en.status_code == 200 and "No segments yet — run callwise segments fit." in en.text
    assert 'id="chart-history"' not in en.text
    zh = client.get("/board/segments?lang=zh")
    assert zh.status_code == 200 and "还没有客群 —— 请运行 callwise segments fit。" in zh.text


def test_the_real_lookup_is_none_when_nothing_was_fitted(board):
    assert data.current(board.services.lake) is None and data.current(None) is None
    assert data.adapt(None) is None


def test_profiles_sizes_over_time_and_response_in_both_languages(fitted):
    client = fitted.client_for("supervisor")  # tags:read is enough
    en = client.get("/board/segments?lang=en")
    assert en.status_code == 200 and "The current segmentation (k = 2)" in en.text
    assert "Wealthy and active" in en.text and "Total balances 820,000.0 (bank 150,000.0)" in en.text
    assert "19:00, 20:00" in en.text and "K-means (mini-batch)" in en.text and "stable: ≥ 0.8" in en.text
    assert 'id="chart-history"' in en.text and 'id="chart-response"' in en.text
    zh = client.get("/board/segments?lang=zh")
    assert "高净值活跃客户" in zh.text and "电话" in zh.text and "客群规模随时间的变化" in zh.text
    history = client.get("/board/segments/export/history.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert history[0] == "Assigned,As of,Segment,Customers" and len(history) == 7
    assert '"2026-04-01"' in en.text and '"2026-06-01"' in en.text  # the chart's points read by their cutoffs
    profiles = client.get("/board/segments/export/profiles.xlsx")
    assert profiles.status_code == 200 and profiles.content[:2] == b"PK"
    response = client.get("/board/segments/export/response.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert response[1].startswith("S1,Wealthy and active,0.081,0.024")
    assert client.get("/board/segments/export/nothing.csv").status_code == 404
    assert fitted.client_for("agent").get("/board/segments").status_code == 403


def test_the_adapter_reads_the_shape_segments_saves(board, monkeypatch):
    view = data.adapt(saved_shape())
    assert view is not None
    one = view.segments[0]
    assert (one.segment_id, one.response_rate, one.uplift, one.best_hours) == ("S7", 0.05, 0.01, [10])
    assert one.features == [{"feature": "age", "segment_mean": 58.0, "bank_mean": 41.0}]
    monkeypatch.setattr(data, "current", lambda lake: view)
    page = board.client_for("analyst").get("/board/segments?lang=en")
    assert "Hierarchical (Ward)" in page.text and "not stable enough" in page.text and "WeChat" in page.text
    assert "No history of segment assignments yet" in page.text  # the small bank has no segment_history
