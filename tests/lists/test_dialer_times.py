"""Dialer files say whose clock each time is on: the centre's zone, the customer's, and an ISO time with offset."""

from __future__ import annotations

import pandas as pd

from callwise.lists.output import DIALER_COLUMNS, dialer_rows
from callwise.lists.times import local_iso, utc_iso


def _calls() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "call_at": pd.to_datetime(["2026-07-01 10:00", "2026-07-01 09:00", "2026-07-01 11:00"]),
            "local_start": pd.to_datetime(["2026-07-01 08:00", "2026-07-01 09:00", "2026-07-01 11:00"]),
            "priority": [2, 1, 3],
            "attempt": [1, 1, 1],
            "agent_id": ["A1", "A1", "A2"],
            "customer_id": ["W", "E", "X"],
            "phone_masked": ["139****9002", "138****8001", "137****7003"],
            "product_id": ["P1"] * 3,
            "arm": ["treatment"] * 3,
            "p_answer": [0.5, 0.4, 0.3],
            "script_hint": ["", None, "hint"],
        }
    )


def test_each_row_names_the_centre_zone_the_customer_zone_and_the_instant_with_its_offset():
    zones = pd.Series({"E": "Asia/Shanghai", "W": "Asia/Urumqi", "X": "Not/AZone"})
    rows = dialer_rows(_calls(), zones, "Asia/Shanghai")
    assert tuple(rows.columns) == DIALER_COLUMNS
    assert rows["customer_id"].tolist() == ["E", "W", "X"]
    assert rows["slot_tz"].tolist() == ["Asia/Shanghai"] * 3
    assert rows["local_tz"].tolist() == ["Asia/Shanghai", "Asia/Urumqi", ""]
    assert rows["slot_start_local"].tolist() == ["2026-07-01T09:00:00+08:00", "2026-07-01T08:00:00+06:00", ""]
    assert rows["slot"].tolist() == ["09:00", "10:00", "11:00"] and rows["local_time"].tolist()[:2] == [
        "09:00",
        "08:00",
    ]


def test_utc_is_written_with_z_and_local_times_with_their_offset():
    starts = pd.Series(pd.to_datetime(["2026-07-01T01:00:00Z", "2026-12-01T14:30:00Z"]))
    assert utc_iso(starts).tolist() == ["2026-07-01T01:00:00Z", "2026-12-01T14:30:00Z"]
    zones = pd.Series(["Asia/Shanghai", "America/New_York"])
    assert local_iso(starts, zones).tolist() == ["2026-07-01T09:00:00+08:00", "2026-12-01T09:30:00-05:00"]
