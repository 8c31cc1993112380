"""The pipeline's daily path ends with the dialer file a dialer loads: the list issued, its calls with real numbers."""

from __future__ import annotations

import csv
import io
import re
import stat
from pathlib import Path

import pytest

from callwise.pipeline import DAILY_STAGES, run_pipeline


@pytest.mark.slow
def test_the_daily_path_ends_with_the_issued_lists_dialer_csv(tmp_path, session_pii):
    summary = run_pipeline(tmp_path, customers=2_000, seed=5, evaluate=False, pii=session_pii, dialer="csv")
    assert set(DAILY_STAGES) <= set(summary["stages"])  # each stage of the daily path has its own time
    assert summary["stages"]["ops_sync"]["rows"] == 2_000  # the operational database got the lake's customers
    path = tmp_path / "lists" / summary["list"]["campaign_id"]
    dialer = Path(summary["files"]["dialer"])
    rows = list(csv.DictReader(io.StringIO(dialer.read_text(encoding="utf-8-sig"))))
    calls = list(csv.DictReader(io.StringIO(next(path.glob("dialer/calls_*.csv")).read_text(encoding="utf-8-sig"))))
    assert rows and summary["stages"]["dialer"]["rows"] == len(rows) == summary["stages"]["files"]["rows"]
    assert all(re.fullmatch(r"1[3-9]\d{9}", r["phone"]) for r in rows)  # real numbers, not the masked ones
    assert "****" in calls[0]["phone_masked"]  # the list files stay masked
    assert stat.S_IMODE(dialer.stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_day_appended_to_the_history_gives_the_list_of_one_whole_ingest(tmp_path, session_pii):
    import json

    lists = {}
    for incremental in (False, True):
        out = tmp_path / str(incremental)
        summary = run_pipeline(out, customers=2_000, seed=5, evaluate=False, pii=session_pii, incremental=incremental)
        lists[incremental] = json.loads(Path(summary["files"]["summary"]).read_text(encoding="utf-8"))["list_sha256"]
    assert summary["stages"]["history"]["rows"] > 20 * summary["stages"]["ingest"]["rows"] > 0
    assert lists[True] == lists[False]
