"""Dialer files say whose clock each time is on: the centre's zone, the customer's, and an ISO time with offset."""

from __future__ import annotations

import pandas as pd

from callwise.lists.output import DIALER_COLUMNS, dialer_rows
from callwise.lists.times import clock_text, local_iso, utc_iso


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


def _local_iso_by_pandas(starts: pd.Series, zones: pd.Series) -> pd.Series:
    """What local_iso wrote before it formatted with Arrow: pandas' strftime zone by zone."""
    utc = pd.to_datetime(starts, utc=True).reset_index(drop=True)
    names = pd.Series(zones, dtype="str").reset_index(drop=True)
    out = pd.Series([""] * len(utc), dtype="str")
    for name, rows in names.groupby(names).groups.items():
        if name in ("Nowhere/Zone",):
            continue
        text = utc[rows].dt.tz_convert(str(name)).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        out[rows] = text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return out


def test_times_are_the_text_pandas_strftime_gave():
    starts = pd.Series(
        pd.to_datetime(
            ["2026-07-01 01:00:00", None, "2026-12-01 14:30:00", "1900-01-01 00:00:00", "2026-11-01 05:59:59.9"],
            format="ISO8601",
        )
    ).dt.tz_localize("UTC")
    zones = ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "America/St_Johns", "UTC", "Nowhere/Zone"]
    for name in zones:
        column = pd.Series([name] * len(starts))
        assert (
            local_iso(starts, column).fillna("<na>").tolist()
            == _local_iso_by_pandas(starts, column).fillna("<na>").tolist()
        )
    mixed = pd.Series(["Asia/Shanghai", "UTC", "Nowhere/Zone", "America/New_York", "Asia/Kolkata"])
    assert (
        local_iso(starts, mixed).fillna("<na>").tolist() == _local_iso_by_pandas(starts, mixed).fillna("<na>").tolist()
    )
    expected = starts.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert utc_iso(starts).fillna("<na>").tolist() == expected.fillna("<na>").tolist()
    naive = starts.dt.tz_localize(None)
    for fmt in ("%Y-%m-%d", "%H:%M", "%Y-%m-%d %H:%M:%S"):
        assert clock_text(naive, fmt).fillna("<na>").tolist() == naive.dt.strftime(fmt).fillna("<na>").tolist()
        assert str(clock_text(naive, fmt).dtype) == "str"
