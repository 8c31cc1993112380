"""The customer 360's lake sections are the same on DuckDB and on PySpark (the parity bank, conftest.py): tags,
holdings, transaction windows and app activity of the busiest customer, read filtered by customer."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from callwise.customers.profile import activity_of, holdings_of, tags_of, transactions_of
from callwise.tags import default_catalogue

ON = date(2026, 5, 31)


def test_the_lake_sections_are_the_same_on_both_engines(lakes):
    duck, spark = lakes.both()
    catalogue = default_catalogue()
    tx = duck.table("transactions")
    busiest = tx.group_by("customer_id").aggregate(n=tx.count()).order_by([tx.count().desc(), "customer_id"])
    ids = [str(c) for c in busiest.limit(2).to_pandas()["customer_id"]]  # the second only has a tag row
    if not duck.has("tags"):  # a small tag table (both engines read the same files); its values are not the point
        flag, number = "high_net_worth", "balance_rank"
        duck.write("tags", pa.table({"customer_id": ids, flag: [True, False], number: [0.9, None]}))
    for cid in ids[:1]:
        sections = [(f(duck, cid, ON), f(spark, cid, ON)) for f in (holdings_of, transactions_of, activity_of)] + [
            (tags_of(duck, catalogue, cid), tags_of(spark, catalogue, cid))
        ]
        for on_duck, on_spark in sections:
            assert on_duck == on_spark, cid
    assert any(w["in"]["count"] for w in transactions_of(duck, ids[0], ON))
