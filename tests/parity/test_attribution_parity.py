"""Attribution's lake side (touches, paths, transitions, channel sets, credits, control members) is the same on
DuckDB and PySpark, on a small multi-channel world (tests/attribution/world.py) with calls of several attempts and
consents per channel."""

from __future__ import annotations

from callwise.attribution.paths import path_tables
from callwise.lake import Lake
from tests.attribution.world import write_world

from .compare import assert_same


def test_path_tables_are_the_same_on_both_engines(lakes, tmp_path):
    consented = {"call": 0.9, "sms": 0.8, "app_push": 0.5, "wechat": 0.5, "email": 0.6}
    world = write_world(tmp_path, customers=4_000, seed=5, campaigns=2, consented=consented)
    spark = Lake(world.lake.root, "pyspark", threads=2)
    for campaign in (None, "CMP01"):
        duck, other = (path_tables(lake, campaign, lookback_days=30) for lake in (world.lake, spark))
        assert duck.channels == other.channels == ("call", "sms", "app_push", "wechat", "email")
        assert len(duck.transitions) > 30 and duck.sets["n"].sum() > 1000 and len(duck.groups) > 0
        assert_same(duck.transitions, other.transitions, ["campaign_id", "source", "target"])
        assert duck.sets["eligible"].nunique() > 10  # the consents in force, per customer
        keys = ["campaign_id", "eligible", "source", "target"]
        assert_same(duck.set_transitions, other.set_transitions, keys)
        keys = ["campaign_id", "eligible", "mask", "age_band", "income_band", "segment", "converted"]
        assert_same(duck.sets, other.sets, keys)
        assert_same(duck.credits, other.credits, ["campaign_id", "channel"])
        assert_same(duck.groups, other.groups, ["campaign_id", "group"])
