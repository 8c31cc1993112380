"""The dashboard's lake logic gives the same answers on DuckDB and on PySpark (see conftest.py for the bank):
the best-time page's call history per hour of the week, for everyone, a segment and one customer, and its
list of segments."""

from __future__ import annotations

from datetime import date

import numpy as np

from callwise.board.best_time import history_counts, history_segments

ON = date(2026, 6, 1)


def test_the_call_history_by_hour_of_week_is_the_same_on_both_engines(lakes):
    duck, spark = lakes.both()
    segments = history_segments(duck, ON)
    assert segments == history_segments(spark, ON) and len(segments) > 3
    column, _, value = segments[1].partition("=")
    customer = duck.table("contacts").select("customer_id").order_by("customer_id").limit(1).to_pandas().iloc[0, 0]
    asked = [{}, {"column": column, "value": value, "on": ON}, {"customer_id": customer}]
    for question in asked:
        (n_duck, k_duck), (n_spark, k_spark) = history_counts(duck, **question), history_counts(spark, **question)
        assert n_duck.sum() > 0, question
        np.testing.assert_array_equal(n_duck, n_spark)
        np.testing.assert_array_equal(k_duck, k_spark)
