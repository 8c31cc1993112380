"""Who may get a message on which channel: the same reason for every customer and channel on DuckDB and PySpark."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa

from callwise.policy import default_policy
from callwise.policy.channel_rules import MESSAGE_CHANNELS
from callwise.policy.channels import message_eligibility
from callwise.schema.contract import TABLES

from .compare import assert_same
from .conftest import CUSTOMERS, CUTOFF


def _consents(n: int) -> pa.Table:
    """Every channel for every customer, some granted, some withdrawn by a newer row, some re-granted."""
    rows = []
    for i in range(1, n + 1):
        cid = f"C{i:08d}"
        for j, channel in enumerate(MESSAGE_CHANNELS):
            first = (i + j) % 3 != 0
            rows.append((cid, channel, first, CUTOFF - timedelta(days=200 + j)))
            if (i * 7 + j) % 5 == 0:  # changed their mind later
                rows.append((cid, channel, not first, CUTOFF - timedelta(days=20 + j)))
    cols = list(zip(*rows, strict=True))
    data = {"customer_id": cols[0], "channel": cols[1], "purpose": ["marketing"] * len(rows), "granted": cols[2]}
    data["ts"] = cols[3]
    return pa.table(data, schema=TABLES["consents"].arrow_schema(list(data)))


def test_message_eligibility_is_the_same_on_both_engines(lakes):
    lakes.duckdb.write("consents", _consents(CUSTOMERS))
    duck, spark = (message_eligibility(lake, default_policy(), CUTOFF).to_pyarrow() for lake in lakes.both())
    assert duck.num_rows == CUSTOMERS * len(MESSAGE_CHANNELS)
    reasons = set(duck.column("reason").to_pylist())
    assert {None, "no_channel_consent", "dnc"} <= reasons  # the overlay's DNC and the consents both count
    assert_same(duck, spark, ["customer_id", "channel"])


def test_message_eligibility_for_given_customers_is_the_same_on_both_engines(lakes):
    """The journey worker's read: only the customers of live instances (a semi-join against a memtable of ids)."""
    import ibis

    ids = [f"C{i:08d}" for i in range(1, CUSTOMERS + 1, 97)] + ["nobody"]
    wanted = ibis.memtable(pa.table({"customer_id": pa.array(ids, pa.string())}))
    duck, spark = (
        message_eligibility(lake, default_policy(), CUTOFF, customers=wanted).to_pyarrow() for lake in lakes.both()
    )
    assert set(duck.column("customer_id").to_pylist()) == set(ids[:-1])
    assert duck.num_rows == (len(ids) - 1) * len(MESSAGE_CHANNELS)
    assert_same(duck, spark, ["customer_id", "channel"])
