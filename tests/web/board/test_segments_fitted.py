"""The segments page on a segmentation really fitted by ``callwise.segments`` on a copy of the small bank (twice, so
the sizes over time have two points)."""

from __future__ import annotations

import shutil
import time
from datetime import datetime

import pytest

from callwise.board import segments as data
from callwise.lake import Lake
from callwise.segments import fit_segments


@pytest.fixture(scope="module")
def fitted_lake(small_bank, tmp_path_factory):
    root = tmp_path_factory.mktemp("board-segments") / "lake"
    shutil.copytree(small_bank["root"] / "lake", root)
    lake = Lake(root, threads=1)
    started = time.perf_counter()
    for cutoff in (datetime(2026, 6, 1), datetime(2026, 7, 1)):
        fit_segments(lake, cutoff, k=4, seed=3, boots=1)
    print(f"two fits: {time.perf_counter() - started:.1f} s")
    return lake


def test_a_fitted_segmentation_shows_its_profiles_history_and_response(board, fitted_lake):
    board.services.lake = fitted_lake
    found = data.current(fitted_lake)
    assert found is not None and found.k == 4 and len(found.segments) == 4
    assert sum(s.size for s in found.segments) == 4_000
    client = board.client_for("analyst")
    en = client.get("/board/segments?lang=en")
    assert en.status_code == 200 and "The current segmentation (k = 4)" in en.text
    for segment in found.segments:
        assert segment.name_en in en.text
    assert 'id="chart-history"' in en.text and 'id="chart-response"' in en.text
    history = client.get("/board/segments/export/history.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert len(history) == 1 + 2 * 4  # two assignments of four segments
    zh = client.get("/board/segments?lang=zh")
    assert found.segments[0].name_zh in zh.text and "客群画像" in zh.text
