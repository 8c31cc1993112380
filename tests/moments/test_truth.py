"""The shipped triggers recover the moments the channel bank plants (``_truth/moments.parquet``): per moment id,
the customers with a live built moment against those with a live planted one, at the list date and on a pay week."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from callwise.lake import Lake
from callwise.moments import default_triggers
from callwise.moments.build import materialize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from moments_build import recovery  # the benchmark's own measure, tested at a small size

LIST_DATE = datetime(2026, 7, 1)
PAY_WEEK = datetime(2026, 6, 12)


@pytest.fixture(scope="module")
def channel_bank(tmp_path_factory):
    from callwise.ingest import ingest_directory
    from callwise.synth import synthesize

    root = tmp_path_factory.mktemp("channel_bank")
    synthesize(root / "bank", customers=3_000, seed=5, channels=True)
    lake = Lake(root / "lake", threads=2)
    ingest_directory(root / "bank", lake, root / "quarantine")
    return lake, root / "bank" / "_truth" / "moments.parquet"


@pytest.mark.parametrize("at", [LIST_DATE, PAY_WEEK], ids=["list_date", "pay_week"])
def test_every_planted_moment_kind_is_recovered(channel_bank, at):
    lake, truth = channel_bank
    found = recovery(materialize(lake, default_triggers(), at), truth, at)
    assert found is not None
    for moment, r in found.items():
        if r["planted"] >= 20:  # enough planted to judge
            assert r["precision"] >= 0.95 and r["recall"] >= 0.93, (moment, r)
    planted = {m for m, r in found.items() if r["planted"] > 0}
    assert len(planted) >= 6  # the bank plants (nearly) every kind live at these dates
    if at == PAY_WEEK:
        assert found["salary_arrived"]["planted"] > 500 and found["salary_arrived"]["recall"] == 1.0


def test_the_truth_is_never_read_by_the_build(channel_bank):
    lake, truth = channel_bank
    assert not lake.has("moments_truth") and truth.parent.name == "_truth"
    assert "_truth" not in {p.name for p in lake.root.iterdir()}
    assert pq.read_schema(truth).names[:2] == ["customer_id", "moment_id"]
