"""The per-member results frame is the same on DuckDB and PySpark, on past campaigns of the parity bank."""

from __future__ import annotations

import pytest

from callwise.results.frame import member_outcomes

from .compare import assert_same
from .conftest import CAMPAIGN


@pytest.mark.parametrize("campaign", ["CMP2510W", CAMPAIGN])  # the second has calls logged twice in one second
def test_member_outcomes(lakes, campaign):
    duck, spark = (member_outcomes(lake, campaign, window_days=30) for lake in lakes.both())
    assert len(duck) > 1000 and set(duck["group"]) == {"treatment", "control"}
    assert duck["converted"].sum() > 0 and duck["dials"].sum() > 0 and duck["team"].notna().any()
    # the comparison reads missing integers as floats (pandas' NA cannot be compared elementwise)
    duck, spark = (f.assign(score_decile=f["score_decile"].astype("float64")) for f in (duck, spark))
    assert_same(duck, spark, ["customer_id"])
