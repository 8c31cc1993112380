"""Segment assignment and profiles are the same on DuckDB and PySpark (the parity bank, conftest.py)."""

from __future__ import annotations

from callwise.segments import assign_segments, fit_segments
from callwise.segments.profile import profiles

from .compare import assert_same
from .conftest import CUSTOMERS, CUTOFF


def test_segment_assignment_and_profiles_are_the_same_on_both_engines(lakes):
    seg = fit_segments(lakes.duckdb, CUTOFF, k=5, boots=1, write=False)
    duck, spark = (assign_segments(lake, seg).to_pyarrow() for lake in lakes.both())
    assert duck.num_rows == CUSTOMERS
    assert_same(duck, spark, ["customer_id"])
    found = [profiles(lake, CUTOFF, seg.features, seg.tags, assign_segments(lake, seg)) for lake in lakes.both()]
    assert found[0] == found[1]
    assert sorted(found[0]) == [s.id for s in seg.segments]
    assert all(p["response_rate"] is not None and p["uplift"] is not None for p in found[0].values())
