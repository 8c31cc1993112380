"""The parity comparison really tells engines apart, and the lake's timestamps read the same on both."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.lake.frames import to_pandas

from .compare import EnginesDiffer, assert_same


def test_an_engine_specific_expression_fails_the_comparison(lakes):
    """``hash`` is each engine's own function (DuckDB's 64-bit hash, Spark's Murmur3): the results differ."""
    duck, spark = (
        to_pandas(lake.table("customers").select("customer_id", h=lambda c: c.customer_id.hash()))
        for lake in lakes.both()
    )
    with pytest.raises(EnginesDiffer, match="h: "):
        assert_same(duck, spark, ["customer_id"])


def test_a_raw_sql_string_fails_the_comparison(lakes):
    """Raw SQL means the same to both engines only by luck: ``substr(s, 0, 3)`` is 2 characters or 3.

    (Spark counts position 0 as 1; DuckDB counts it as the place before the first character.)
    """
    results = []
    for lake in lakes.both():
        view = lake.table("customers").get_name()  # the view the lake registered
        result = lake.con.raw_sql(f"SELECT customer_id, substr(customer_id, 0, 3) AS prefix FROM {view}")
        results.append(result.df() if lake.engine == "duckdb" else result.toPandas())
    with pytest.raises(EnginesDiffer, match="prefix: 20000 rows differ"):
        assert_same(*results, ["customer_id"])


def test_floats_within_the_tolerance_compare_equal_and_beyond_it_do_not():
    a = pd.DataFrame({"k": ["a", "b"], "x": [1.0, None]})
    assert_same(a, pd.DataFrame({"k": ["b", "a"], "x": [None, 1.0 + 1e-12]}), ["k"])
    with pytest.raises(EnginesDiffer, match="x: 1 rows differ"):
        assert_same(a, pd.DataFrame({"k": ["a", "b"], "x": [1.0 + 1e-6, None]}), ["k"])
    with pytest.raises(EnginesDiffer, match="x: 1 rows differ"):
        assert_same(a, pd.DataFrame({"k": ["a", "b"], "x": [1.0, 2.0]}), ["k"])


def test_ties_types_and_columns_are_differences():
    a = pd.DataFrame({"k": ["a", "a"], "v": [1, 2]})
    with pytest.raises(EnginesDiffer, match="do not identify a row"):
        assert_same(a, a, ["k"])
    with pytest.raises(EnginesDiffer, match="dtypes differ"):
        assert_same(pd.DataFrame({"k": ["a"], "v": [1]}), pd.DataFrame({"k": ["a"], "v": [1.0]}), ["k"])
    with pytest.raises(EnginesDiffer, match="columns differ"):
        assert_same(pd.DataFrame({"k": ["a"], "v": [1]}), pd.DataFrame({"k": ["a"], "w": [1]}), ["k"])
    with pytest.raises(EnginesDiffer, match="v: 1 rows differ"):
        assert_same(pd.DataFrame({"k": ["a"], "v": ["x"]}), pd.DataFrame({"k": ["a"], "v": ["y"]}), ["k"])


def test_naive_timestamps_read_as_the_same_wall_clock_on_both(lakes, tmp_path):
    """pyarrow writes naive times as not adjusted to UTC (Spark: TIMESTAMP_NTZ); no engine shifts them."""
    moments = [
        datetime(2026, 3, 29, 2, 30),
        datetime(2026, 10, 25, 1, 30, 0, 123456),
        datetime(2025, 12, 31, 23, 59, 59),
    ]
    table = pa.table({"k": ["a", "b", "c"], "ts": pa.array(moments, pa.timestamp("us"))})
    results = []
    for engine_lake in lakes.both():
        lake = Lake(tmp_path / "ts", engine_lake.engine)  # Spark: the run's one session, reused
        if not lake.has("t"):
            lake.write("t", table)
        t = lake.table("t")
        results.append(
            to_pandas(
                t.select(
                    "k",
                    "ts",
                    day=t.ts.cast("date"),
                    epoch=t.ts.epoch_seconds(),
                    before=t.ts < datetime(2026, 3, 29, 3, 0),
                    next_month=(t.ts.cast("date") + pa_interval()).cast("date"),
                )
            )
        )
    duck, spark = results
    assert_same(duck, spark, ["k"])
    assert list(duck.ts) == [pd.Timestamp(m) for m in moments]
    assert list(duck.day) == [pd.Timestamp(d) for d in (date(2026, 3, 29), date(2026, 10, 25), date(2025, 12, 31))]
    assert list(duck.next_month) == [
        pd.Timestamp(d) for d in (date(2026, 5, 29), date(2026, 12, 25), date(2026, 2, 28))
    ]


def pa_interval():
    import ibis

    return ibis.interval(months=2)


def test_two_spark_lakes_keep_their_own_tables(lakes, tmp_path):
    """One Spark session serves every lake: a second lake's customers must not replace the first's."""
    first, second = Lake(tmp_path / "a", "pyspark"), Lake(tmp_path / "b", "pyspark")
    first.write("customers", pa.table({"customer_id": ["A1", "A2"]}))
    second.write("customers", pa.table({"customer_id": ["B1"]}))
    mine = first.table("customers")
    second.table("customers")
    assert sorted(to_pandas(mine).customer_id) == ["A1", "A2"]
    first.write("customers", pa.table({"customer_id": ["A3"]}))  # a rewrite is read anew
    assert list(to_pandas(first.table("customers")).customer_id) == ["A3"]
