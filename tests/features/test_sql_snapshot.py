"""The SQL the feature logic compiles to, kept in the repository so a change in any feature shows in review.

To accept an intended change: ``CALLWISE_UPDATE_SNAPSHOTS=1 pytest tests/features/test_sql_snapshot.py``.
"""

import os
from pathlib import Path

import ibis

from callwise.features import customer_features

from .test_asof import CUTOFF, base_tables, make_lake

SNAPSHOT = Path(__file__).parent / "snapshots" / "customer_features.duckdb.sql"


def test_customer_features_sql_is_unchanged(tmp_path):
    sql = ibis.to_sql(customer_features(make_lake(tmp_path, base_tables()), CUTOFF, "P1"), dialect="duckdb")
    assert str(tmp_path) not in sql, "the SQL names lake tables, never machine paths"
    if os.environ.get("CALLWISE_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(sql + "\n", encoding="utf-8")
    assert sql + "\n" == SNAPSHOT.read_text(encoding="utf-8"), "feature SQL changed; review it and update the snapshot"
