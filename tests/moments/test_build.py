"""The moments table of the hand-made bank: every default trigger's moments worked out by hand."""

from __future__ import annotations

from datetime import datetime

import pyarrow.parquet as pq
import pytest

from callwise.moments import (
    SCHEMA,
    MomentsError,
    build_history,
    build_moments,
    built_at,
    default_triggers,
    floor_to,
    live_moments,
    moments_table,
    pick_moment,
    stored_moments,
)
from callwise.moments.build import materialize

from .handbank import AS_OF, EXPECTED, rows_of, write_bank
from .test_triggers import catalogue_of, trigger


def test_the_default_triggers_give_exactly_the_moments_worked_out_by_hand(hand_lake):
    table = materialize(hand_lake, default_triggers(), AS_OF)
    assert table.schema.names == SCHEMA.names
    assert rows_of(table) == EXPECTED
    assert set(table.column("built_at").to_pylist()) == {AS_OF}


def test_a_row_at_the_as_of_instant_is_not_seen_and_one_just_before_is(hand_lake):
    # M02's salary at 06-10 00:00 is invisible at 06-10 00:00 and starts a moment at 06-10 01:00 (hourly)
    at_midnight = rows_of(materialize(hand_lake, default_triggers().only(["salary_arrived"]), AS_OF))
    assert {r[0] for r in at_midnight} == {"M01"}
    later = rows_of(
        materialize(hand_lake, default_triggers().only(["salary_arrived"]), datetime(2026, 6, 10, 1), "hourly")
    )
    assert ("M02", "salary_arrived", datetime(2026, 6, 10), datetime(2026, 6, 17), "工资") in later


def test_without_the_cooldown_the_second_salary_starts_a_moment(hand_lake, tmp_path):
    spec = trigger(
        "salary", "transaction", transaction={"categories": ["工资"], "direction": "in"}, validity={"days": 3}
    )
    plain = catalogue_of(tmp_path, spec)
    cooled = catalogue_of(tmp_path, {**spec, "cooldown": {"days": 20}})
    assert {r[0] for r in rows_of(materialize(hand_lake, plain, AS_OF))} == {"M01", "M03"}
    assert {r[0] for r in rows_of(materialize(hand_lake, cooled, AS_OF))} == {"M01"}


def test_a_burst_of_views_is_one_moment_from_its_first_hit(hand_lake, tmp_path):
    spec = trigger(
        "twice",
        "event_repeat",
        event_repeat={"event": "view_product", "min_count": 2, "window": {"days": 1}},
        validity={"days": 2},
    )
    rows = rows_of(materialize(hand_lake, catalogue_of(tmp_path, spec), AS_OF))
    # M05's P_FD01 views at 06-08 09:00, 10:00, 06-09 09:00, 10:00: every one after the first is a hit, one run
    assert rows == {("M05", "twice", datetime(2026, 6, 8, 10), datetime(2026, 6, 10, 10), "P_FD01")}


def test_the_grain_floors_the_as_of_time(hand_lake):
    assert floor_to(datetime(2026, 6, 11, 9, 30, 5), "hourly") == datetime(2026, 6, 11, 9)
    assert floor_to(datetime(2026, 6, 11, 9, 30), "daily") == datetime(2026, 6, 11)
    salary = default_triggers().only(["salary_arrived"])
    before = rows_of(materialize(hand_lake, salary, datetime(2026, 6, 15, 9, 59), "hourly"))
    after = rows_of(materialize(hand_lake, salary, datetime(2026, 6, 15, 10, 30), "hourly"))
    assert "M01" in {r[0] for r in before}  # at 09:00, the moment expires at 10:00
    assert "M01" not in {r[0] for r in after}  # at 10:00 sharp it has expired
    with pytest.raises(MomentsError) as info:
        floor_to(AS_OF, "weekly")
    assert "daily, hourly" in str(info.value)


def test_where_keeps_only_the_customers_the_tag_expression_selects(hand_lake, tmp_path):
    spec = trigger("rich_birthday", "date_ahead", date_ahead={"column": "customers.birth_date", "within": {"days": 7}})
    every = catalogue_of(tmp_path, spec)
    rich = catalogue_of(tmp_path, {**spec, "where": "income_monthly >= 15000"})
    assert {r[0] for r in rows_of(materialize(hand_lake, every, AS_OF))} == {"M01", "M09"}
    assert {r[0] for r in rows_of(materialize(hand_lake, rich, AS_OF))} == {"M01"}


def test_a_trigger_over_a_table_or_column_the_lake_lacks_is_skipped_and_named(tmp_path):
    from tests.tags.helpers import write_lake

    from .handbank import CUSTOMERS, TRANSACTIONS

    lake = write_lake(tmp_path / "lake", {"customers": CUSTOMERS, "transactions": TRANSACTIONS})
    done = build_moments(lake, default_triggers(), AS_OF)
    assert done.skipped == ["deposit_maturing", "wealth_maturing", "repeated_product_views", "card_bill_due"]
    assert done.counts == {
        "salary_arrived": 1,
        "large_inflow": 2,
        "deposit_maturing": 0,
        "wealth_maturing": 0,
        "birthday": 2,
        "repeated_product_views": 0,
        "card_bill_due": 0,
        "competitor_transfer_out": 1,
    }


def test_build_writes_the_table_with_its_metadata_and_a_history_entry(tmp_path):
    lake = write_bank(tmp_path / "lake")
    done = build_moments(lake, default_triggers(), datetime(2026, 6, 10, 7, 45), "daily")
    assert done.as_of == "2026-06-10T00:00:00" and done.rows == len(EXPECTED) and done.customers == 8
    meta = built_at(lake)
    assert meta is not None and meta.as_of == AS_OF and meta.grain == "daily"
    assert meta.catalogue == default_triggers().sha256
    assert pq.read_table(lake.path("moments")).num_rows == len(EXPECTED)
    build_moments(lake, default_triggers(), datetime(2026, 6, 11, 9), "hourly")
    history = build_history(lake)
    assert [h["as_of"] for h in history] == ["2026-06-10T00:00:00", "2026-06-11T09:00:00"]
    assert history[0]["counts"]["birthday"] == 2
    with pytest.raises(MomentsError) as info:
        stored_moments(lake, AS_OF)
    assert "after the campaign's cutoff" in str(info.value)


def test_live_moments_and_the_campaigns_pick(hand_lake):
    table = moments_table(hand_lake, default_triggers(), AS_OF)
    later = live_moments(table, datetime(2026, 6, 18, 9, 30)).to_pyarrow()
    assert ("M04", "competitor_transfer_out") not in {(r["customer_id"], r["moment_id"]) for r in later.to_pylist()}
    assert ("M06", "large_inflow") in {(r["customer_id"], r["moment_id"]) for r in later.to_pylist()}
    picked = pick_moment(table, AS_OF, ["birthday", "salary_arrived", "large_inflow"]).to_pyarrow().to_pylist()
    assert sorted((r["customer_id"], r["moment_id"]) for r in picked) == [
        ("M01", "birthday"),
        ("M04", "large_inflow"),
        ("M06", "large_inflow"),
        ("M10", "birthday"),
    ]


def test_an_empty_catalogue_answer_and_a_rebuild_are_deterministic(hand_lake):
    first = materialize(hand_lake, default_triggers(), AS_OF)
    again = materialize(hand_lake, default_triggers(), AS_OF)
    assert first.equals(again)
    assert first.column("moment_id").to_pylist() == sorted(first.column("moment_id").to_pylist())
