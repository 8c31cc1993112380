"""The moments table is the same on DuckDB and PySpark: on the hand-made bank of tests/moments (every trigger kind
and rule) at a day and an hour, and on the parity bank with every default trigger plus a where: filter."""

from __future__ import annotations

from datetime import datetime

from callwise.lake import Lake
from callwise.moments import default_triggers, load_triggers
from callwise.moments.build import materialize
from tests.moments.handbank import AS_OF, EXPECTED, rows_of, write_bank

from .compare import assert_same
from .conftest import CUTOFF

KEYS = ["moment_id", "customer_id"]


def _both(duck: Lake, triggers, at: datetime, grain: str):
    spark = Lake(duck.root, "pyspark", threads=2)
    return materialize(duck, triggers, at, grain), materialize(spark, triggers, at, grain)


def test_the_hand_made_banks_moments_are_the_same_on_both_engines(lakes, tmp_path):
    duck = write_bank(tmp_path / "lake")
    for at, grain in ((AS_OF, "daily"), (datetime(2026, 6, 11, 9, 30), "hourly")):
        a, b = _both(duck, default_triggers(), at, grain)
        assert_same(a, b, KEYS)
        if grain == "daily":
            assert rows_of(b) == EXPECTED


def test_the_parity_banks_moments_are_the_same_on_both_engines(lakes, tmp_path):
    path = tmp_path / "triggers.yaml"
    path.write_text(default_triggers_text() + WHERE_TRIGGER, "utf-8")
    triggers = load_triggers(path)
    duck, spark = (materialize(lake, triggers, CUTOFF) for lake in lakes.both())
    assert_same(duck, spark, KEYS)
    counts = duck.group_by("moment_id").aggregate([("customer_id", "count")]).to_pylist()
    assert {r["moment_id"] for r in counts} >= {"large_inflow", "birthday", "young_birthday"}
    assert duck.num_rows > 500


WHERE_TRIGGER = """
  - id: young_birthday
    name: {zh: 年轻客户生日, en: Young customer's birthday}
    description: {zh: 四十岁以下客户的生日临近, en: A birthday ahead of a customer under forty}
    kind: date_ahead
    date_ahead: {column: customers.birth_date, within: {days: 10}}
    where: "age < 40"
"""


def default_triggers_text() -> str:
    from importlib.resources import files

    return (files("callwise.moments") / "triggers.yaml").read_text("utf-8").rstrip() + "\n"


def test_the_channel_banks_moments_are_the_same_on_both_engines(lakes, tmp_path):
    """A bank with every input the triggers read (maturities, card bills, transfers out), at a list date and a
    pay week: no trigger skipped, the same table on both engines."""
    from callwise.ingest import ingest_directory
    from callwise.synth import synthesize

    synthesize(tmp_path / "bank", customers=3_000, seed=9, channels=True)
    duck = Lake(tmp_path / "lake", "duckdb", threads=2)
    ingest_directory(tmp_path / "bank", duck, tmp_path / "quarantine")
    for at in (datetime(2026, 7, 1), datetime(2026, 6, 12)):
        a, b = _both(duck, default_triggers(), at, "daily")
        assert_same(a, b, KEYS)
        assert set(a.column("moment_id").to_pylist()) >= {"wealth_maturing", "card_bill_due", "competitor_transfer_out"}
