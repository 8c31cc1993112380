"""The default tag catalogue gives the same tag table on DuckDB and PySpark (the parity bank, conftest.py)."""

from __future__ import annotations

from callwise.tags import default_catalogue, tag_table
from callwise.tags.audience import audience_filter

from .compare import assert_same
from .conftest import CUSTOMERS, CUTOFF


def test_default_catalogue_tag_table_is_the_same_on_both_engines(lakes):
    catalogue = default_catalogue()
    duck, spark = (tag_table(lake, catalogue, CUTOFF).to_pyarrow() for lake in lakes.both())
    assert duck.num_rows == CUSTOMERS
    assert duck.schema.names == ["customer_id", *catalogue.tags]
    assert_same(duck, spark, ["customer_id"])


def test_an_audience_selects_the_same_customers_on_both_engines(lakes):
    catalogue = default_catalogue()
    expression = "工资代发 and not 近期投诉 and balance_rank >= 0.5"
    duck, spark = (audience_filter(lake, catalogue, expression, CUTOFF).to_pyarrow() for lake in lakes.both())
    assert 0 < duck.num_rows < CUSTOMERS
    assert_same(duck, spark, ["customer_id"])
