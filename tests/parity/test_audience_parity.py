"""A campaign's audience (read from the stored tag table) and segment map select the same customers on DuckDB and
PySpark."""

from __future__ import annotations

import pyarrow as pa

from callwise.lists.audience import campaign_selection
from callwise.lists.campaign import Campaign
from callwise.tags import default_catalogue, tag_table
from callwise.tags.build import CUTOFF_KEY

from .compare import assert_same
from .conftest import CUSTOMERS, CUTOFF, PRODUCT

EXPRESSION = "工资代发 and not 近期投诉 and age >= 30"


def test_a_campaigns_audience_and_segments_select_the_same_customers_on_both_engines(lakes):
    duck = lakes.duckdb
    catalogue = default_catalogue()
    stored = tag_table(duck, catalogue, CUTOFF, only=["salary_paid", "recent_complaint"]).to_pyarrow()
    duck.write("tags", stored.replace_schema_metadata({CUTOFF_KEY: CUTOFF.isoformat().encode()}))
    ids = stored.column("customer_id")
    duck.write(
        "segments",
        pa.table(
            {
                "customer_id": pa.concat_arrays([ids.combine_chunks(), ids.combine_chunks()]),
                "segment_id": [f"S0{1 + i % 4}" for i in range(len(ids))] + ["S09"] * len(ids),  # S09 older
                "distance": [0.5] * (2 * len(ids)),
                "assigned_at": pa.array(
                    [CUTOFF] * len(ids) + [CUTOFF.replace(year=2025)] * len(ids), pa.timestamp("us")
                ),
            }
        ),
    )
    campaign = Campaign(
        campaign_id="par",
        product_id=PRODUCT,
        date=CUTOFF.date(),
        audience=EXPRESSION,
        segments={"S01": {"arm": "B", "hours": (10, 12)}, "S02": {"product": "P_DEP01"}, "S03": {}},
    )
    duck_rows, spark_rows = (campaign_selection(lake, campaign).to_pyarrow() for lake in lakes.both())
    assert duck_rows.num_rows == CUSTOMERS
    inside = duck_rows.column("in_audience").to_pylist()
    assert 0 < sum(bool(x) for x in inside) < CUSTOMERS
    assert "S09" not in set(duck_rows.column("segment_id").to_pylist())  # the latest assignment counts
    assert_same(duck_rows, spark_rows, ["customer_id"])
