"""The campaign page's numbers from the ops DB, on SQLite and PostgreSQL, against data made by the ops functions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callwise.board import campaign as board
from callwise.board.campaign_results import FAILED, ResultsCache
from callwise.ops.db import session_factory
from tests.board.campaign_data import CAMPAIGN, FUNNEL, report_outcomes, seed_campaign


@pytest.fixture
def factory(db_engine):
    return session_factory(db_engine)


def test_unknown_campaign_has_no_head(factory):
    with factory() as s:
        assert board.campaign_head(s, "nope") is None
        assert board.delivery(s, "nope").stages()[0] == {"stage": "treatment", "customers": 0, "of_previous": None}
        assert board.issued_lists(s, "nope") == []
        assert board.eligibility_funnel(s, "nope") == (None, [])
        assert board.schedule(s, "nope", "Asia/Shanghai") == {"cells": [], "days": []}


def test_delivery_funnel_counts_customers_at_each_stage(factory):
    names = seed_campaign(factory)
    with factory() as s:
        before = board.delivery(s, CAMPAIGN)
    assert (before.treatment, before.control, before.dials, before.converted) == (12, 6, 0, 0)
    report_outcomes(factory, names)
    with factory() as s:
        d = board.delivery(s, CAMPAIGN)
    assert (d.dials, d.dialled, d.connected, d.interested, d.converted) == (8, 8, 5, 3, 2)
    assert d.talk_seconds == 300.0
    assert d.connect_rate == 5 / 8 and d.conversion_per_connect == 2 / 5
    assert d.last_received_at is not None
    stages = d.stages()
    assert [s["customers"] for s in stages] == [12, 8, 5, 3, 2]
    assert stages[2]["of_previous"] == 5 / 8


def test_arms_and_deciles_join_members_to_outcomes(factory):
    names = seed_campaign(factory)
    report_outcomes(factory, names)
    with factory() as s:
        arms = {r["arm"]: r for r in board.arms(s, CAMPAIGN)}
        deciles = board.deciles(s, CAMPAIGN)
    assert {k: (v["members"], v["dialled"], v["connected"], v["converted"]) for k, v in arms.items()} == {
        "A": (6, 4, 3, 2),
        "B": (6, 4, 2, 0),
        "control": (6, 0, 0, 0),
    }
    assert arms["A"]["conversion_rate"] == 2 / 6 and arms["B"]["connect_rate"] == 2 / 4
    assert [(d["decile"], d["treatment"], d["control"], d["converted"]) for d in deciles] == [
        (1, 4, 2, 1),
        (2, 4, 2, 1),
        (3, 4, 2, 0),
    ]
    assert [d["gains"] for d in deciles] == [0.5, 1.0, 1.0]
    assert deciles[0]["rate"] == 0.25


def test_schedule_by_local_day_and_hour_with_capacity_use(factory):
    names = seed_campaign(factory)
    report_outcomes(factory, names)
    with factory() as s:
        plan = board.schedule(s, CAMPAIGN, "Asia/Shanghai")
    cells = {(c["date"], c["hour"]): (c["planned"], c["dials"]) for c in plan["cells"]}
    assert cells == {("2026-07-01", 9): (4, 3), ("2026-07-01", 10): (4, 3), ("2026-07-01", 11): (4, 2)}
    assert plan["days"] == [
        {"date": "2026-07-01", "capacity": 10.0, "expected_calls": 9.5, "planned": 12, "dials": 8, "use": 0.8}
    ]


def test_lists_and_funnel_of_the_newest_list(factory):
    seed_campaign(factory)
    with factory() as s:
        lists = board.issued_lists(s, CAMPAIGN)
        list_id, funnel = board.eligibility_funnel(s, CAMPAIGN)
    assert len(lists) == 1 and lists[0]["items"] == 12 and lists[0]["pending"] == 12
    assert list_id == lists[0]["list_id"]
    assert funnel == FUNNEL


def test_data_version_moves_with_outcomes(factory):
    names = seed_campaign(factory)
    with factory() as s:
        first = board.data_version(s, CAMPAIGN)
    report_outcomes(factory, names, {"T00": "converted"})
    with factory() as s:
        second = board.data_version(s, CAMPAIGN)
    assert first[0] == second[0] and first[0] > 0
    assert first[1:3] == (0, 0) and second[1] > 0 and second[2] > 0
    report_outcomes(factory, names, {"T01": "refused"})  # a refusal is a policy event too
    with factory() as s:
        third = board.data_version(s, CAMPAIGN)
    assert third[1] > second[1] and third[3] > second[3]


def test_results_cache_computes_once_per_version_in_the_background():
    cache = ResultsCache(min_age=timedelta(0))
    calls: list[int] = []

    def compute() -> dict:
        calls.append(1)
        return {"n": len(calls)}

    first = cache.get("k", 1, compute)
    assert first.snapshot is None and first.computing
    cache.wait("k")
    again = cache.get("k", 1, compute)
    assert again.current and not again.computing and again.snapshot.result == {"n": 1}
    stale = cache.get("k", 2, compute)  # a new version: the old snapshot is shown while the new one is computed
    assert stale.snapshot.result == {"n": 1} and not stale.current and stale.computing
    cache.wait("k")
    assert cache.get("k", 2, compute).snapshot.result == {"n": 2}
    assert len(calls) == 2


def test_results_cache_keeps_a_young_snapshot_and_says_why_it_failed():
    cache = ResultsCache(min_age=timedelta(minutes=5))

    def broken() -> dict:
        raise RuntimeError("secret detail 13800138000")

    cache.get("k", 1, broken)
    cache.wait("k")
    found = cache.get("k", 2, broken)
    assert not found.computing  # young: not recomputed for the new version yet
    assert found.snapshot.result is None and found.snapshot.reason_key == FAILED
    assert found.snapshot.reason_values == {"error": "RuntimeError"}  # the kind only, never the message


def test_snapshot_of_the_real_results_over_the_lake(factory, db_engine, small_bank):
    """The cached snapshot is ``results_for`` itself: the members recorded in the ops DB, measured in the lake."""
    from callwise.results.campaign import results_for

    lake = small_bank["lake"]
    ids = lake.table("customers").select("customer_id").limit(18).to_pyarrow()["customer_id"].to_pylist()
    names = seed_campaign(factory, ids)
    report_outcomes(factory, names)
    cache = ResultsCache()
    with factory() as s:
        version = board.data_version(s, CAMPAIGN)
    cache.get(CAMPAIGN, version, lambda: results_for(CAMPAIGN, lake, 30, ops_engine=db_engine))
    cache.wait(CAMPAIGN)
    found = cache.get(CAMPAIGN, version, lambda: {})
    assert found.current and found.snapshot.reason_key is None, found.snapshot
    result = found.snapshot.result
    assert result["members"] == {"total": 18, "treatment": 12, "control": 6}
    assert result["itt"]["conversions_treatment"] >= 2  # the two recorded conversions, and any the lake holds
    assert {a["arm"] for a in result["arms"]["arms"]} == {"A", "B"}


def test_numbers_are_kept_while_the_version_stays(factory):
    names = seed_campaign(factory)
    cache = board.NumbersCache()
    with factory() as s:
        version = board.data_version(s, CAMPAIGN)
        first = cache.get(("db", CAMPAIGN, "cells"), version, lambda: board.cells(s, CAMPAIGN))
    report_outcomes(factory, names)
    with factory() as s:
        same = cache.get(("db", CAMPAIGN, "cells"), version, lambda: board.cells(s, CAMPAIGN))
        newer = board.data_version(s, CAMPAIGN)
        fresh = cache.get(("db", CAMPAIGN, "cells"), newer, lambda: board.cells(s, CAMPAIGN))
    assert same is first and board.delivery_of(same).dials == 0
    assert newer != version and board.delivery_of(fresh).dials == 8
