"""One synthetic bank for the whole parity suite, read through two lakes: DuckDB and PySpark local[2].

Both lakes are the same files; only the engine differs. The Spark session is started once for the run
(callwise.lake.spark reuses the active session) and every stage runs once per engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from callwise.lake import Lake

CUSTOMERS = 20_000
CUTOFF = datetime(2026, 6, 1)
PLAN_START, PLAN_END = date(2026, 6, 1), date(2026, 6, 5)
PRODUCT = "P_WM01"
CAMPAIGN = "CMP2605W"
TIES = 300  # calls logged twice at the same second with another outcome, as dialer exports do


@dataclass(frozen=True)
class Lakes:
    duckdb: Lake
    pyspark: Lake

    def both(self) -> tuple[Lake, Lake]:
        return self.duckdb, self.pyspark


@pytest.fixture(scope="session")
def lakes(tmp_path_factory) -> Lakes:
    """The bank ingested as a bank does (its history, then its last day appended, so the event tables are a
    file and a part), with the live overlay tables and same-second ties added; one lake per engine."""
    from callwise.ingest import ingest_directory
    from callwise.synth import synthesize
    from callwise.synth.daily import split_last_day

    root = tmp_path_factory.mktemp("parity")
    manifest = synthesize(root / "bank", customers=CUSTOMERS, seed=23)
    split_last_day(root / "bank", root / "history", root / "day", date.fromisoformat(manifest["end"]))
    duck = Lake(root / "lake", "duckdb", threads=2)
    ingest_directory(root / "history", duck, root / "quarantine")
    ingest_directory(root / "day", duck, root / "quarantine", append=True)
    assert len(duck.files("transactions")) == 2  # the suite reads a table of several files
    _add_ties(duck)
    _add_overlay(duck)
    spark = Lake(root / "lake", "pyspark", threads=2)
    spark.con  # noqa: B018 (started once here: a missing Java fails the fixture, and so every parity test)
    return Lakes(duck, spark)


def _add_ties(lake: Lake) -> None:
    """A second call at the very second of some customers' last call, with a different disposition."""
    import pyarrow.parquet as pq

    contacts = pq.ParquetDataset(lake.files("contacts")).read()
    calls = contacts.filter(pc.equal(contacts["channel"], "call")).sort_by(
        [("customer_id", "ascending"), ("ts", "descending")]
    )
    customer = calls["customer_id"].to_numpy(zero_copy_only=False)
    first = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])[:TIES]
    last = calls.take(pa.array(first))
    other = pc.if_else(pc.equal(last["disposition"], "refused"), "answered", "refused")
    ties = last.set_column(last.schema.get_field_index("disposition"), "disposition", other)
    ids = pa.array([f"TIE{i:06d}" for i in range(ties.num_rows)])
    ties = ties.set_column(ties.schema.get_field_index("contact_id"), "contact_id", ids)
    lake.write("contacts", pa.concat_tables([contacts, ties]))


def _add_overlay(lake: Lake) -> None:
    """What the operational DB would lay over the lake: DNC, consent, erasure, and calls since the load."""
    from callwise.ops.overlay import CONTACT_SCHEMA, STATE_SCHEMA

    ids = [f"C{i:08d}" for i in range(1, 601)]
    n = len(ids)
    state = pa.table(
        {
            "customer_id": ids,
            "dnc": [i % 3 == 0 for i in range(n)],
            "consent_marketing": [None if i % 5 == 0 else i % 2 == 0 for i in range(n)],
            "erased": [i % 50 == 0 for i in range(n)],
        },
        schema=STATE_SCHEMA,
    )
    lake.write("ops_customer_state", state)
    dispositions = ["refused", "no_answer", "answered", "dnc_requested", "complaint", "busy"]
    calls = pa.table(
        {
            "contact_id": [f"OPS{i:06d}" for i in range(n)],
            "campaign_id": [CAMPAIGN if i % 2 else None for i in range(n)],
            "customer_id": ids[::-1],
            "product_id": [PRODUCT] * n,
            "channel": ["call" if i % 7 else "sms" for i in range(n)],
            "ts": [datetime(2026, 5, 27 + i % 4, 9 + i % 10, i % 60, i % 60, i * 997 % 1_000_000) for i in range(n)],
            "disposition": [dispositions[i % len(dispositions)] for i in range(n)],
            "duration_s": [float(i % 90) for i in range(n)],
        },
        schema=CONTACT_SCHEMA,
    )
    lake.write("ops_contacts", calls)
