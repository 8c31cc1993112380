"""The channel plan's lake logic is the same on DuckDB and PySpark: the past campaigns' randomised contrasts (with
consents and moments) and the customers' strata, on a small synthetic bank with channels."""

from __future__ import annotations

from datetime import datetime

import ibis
import pyarrow as pa
import pytest

from callwise.channels.effects import member_outcomes
from callwise.channels.strata import customer_strata
from callwise.lake import Lake

from .compare import assert_same

CUTOFF = datetime(2026, 7, 1)


@pytest.fixture(scope="module")
def channel_lakes(tmp_path_factory) -> tuple[Lake, Lake]:
    from callwise.ingest import ingest_directory
    from callwise.moments import build_moments, default_triggers
    from callwise.synth import synthesize

    root = tmp_path_factory.mktemp("channel_parity")
    synthesize(root / "bank", customers=2_000, seed=31, channels=True)
    duck = Lake(root / "lake", "duckdb", threads=2)
    ingest_directory(root / "bank", duck, root / "quarantine")
    build_moments(duck, default_triggers(), CUTOFF)
    return duck, Lake(root / "lake", "pyspark", threads=2)


def test_past_campaign_contrasts_are_the_same_on_both_engines(channel_lakes):
    duck, spark = (member_outcomes(lake, CUTOFF) for lake in channel_lakes)
    assert duck is not None and spark is not None
    keys = ["campaign_id", "channel", "touched", "stratum", "live", "moments", "seen"]
    d, s = (t.order_by(keys).to_pyarrow() for t in (duck, spark))
    assert d.num_rows > 10
    assert sum(d.column("members").to_pylist()) > 1000
    assert any(d.column("live").to_pylist())  # the moments path ran
    assert len(set(d.column("moments").to_pylist())) > 3  # several moments, judged at each touch
    assert_same(d, s, keys)


def test_customer_strata_are_the_same_on_both_engines(channel_lakes):
    some = channel_lakes[0].table("customers").select("customer_id").to_pyarrow().column("customer_id")
    ids = ibis.memtable(pa.table({"customer_id": some.cast(pa.string())}))
    found = [customer_strata(lake, ids, CUTOFF).to_pyarrow() for lake in channel_lakes]
    assert_same(found[0], found[1], ["customer_id"])
