"""member_outcomes on a lake small enough to count by hand: window edges, products, duplicates, bands.

Campaign K1 sells P1 from 2026-07-01 09:00 (bank clock); the default window ends 2026-07-31 09:00 (excluded).
The operational DB keeps UTC: 02:00Z is 10:00 in Asia/Shanghai.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import CallOutcome, Campaign, Conversion, Customer, IssuedList, ListMember, PolicyEvent
from callwise.results.frame import COLUMNS, ResultsError, member_outcomes

START = datetime(2026, 7, 1, 9)
T = pa.timestamp("us")


def _lake(root, contacts_columns=None) -> Lake:
    lake = Lake(root, threads=1)
    lake.write(
        "campaigns",
        pa.table({"campaign_id": ["K1", "K2"], "product_id": ["P1", "P1"], "start_at": pa.array([START, START], T)}),
    )
    lake.write("products", pa.table({"product_id": ["P1", "P2"], "value_per_conversion": [800.0, 50.0]}))
    lake.write(
        "campaign_members",
        pa.table(
            {
                "campaign_id": ["K1"] * 6,
                "customer_id": ["A", "A", "B", "C", "D", "E"],
                "group": ["treatment", "control", "treatment", "control", "treatment", "treatment"],
                "arm": ["x", None, "y", None, "x", "y"],
                "assigned_at": pa.array(
                    [datetime(2026, 6, 30, 18), datetime(2026, 6, 30, 19)] + [datetime(2026, 6, 30, 18)] * 4, T
                ),
                "score": [0.9, 0.1, 0.5, 0.4, None, 0.3],
                "score_decile": pa.array([1, 10, 5, 6, None, 7], pa.int64()),
                "province": [None, None, "上海", None, None, None],
            }
        ),
    )
    lake.write(
        "customers",
        pa.table(
            {
                "customer_id": ["A", "B", "C", "D", "E"],
                "birth_date": pa.array(
                    [date(1996, 7, 1), date(1996, 7, 2), None, date(2008, 7, 2), date(1976, 7, 2)], pa.date32()
                ),
                "age": pa.array([None, None, 61, None, None], pa.int64()),
                "province": ["北京", "北京", "广东", "浙江", "江苏"],
                "occupation": ["企业职员", "退休人员", None, "学生", "个体工商户"],
            }
        ),
    )
    lake.write("agents", pa.table({"agent_id": ["G1", "G2"], "team": ["T1", "T2"]}))
    contacts = {
        "contact_id": [f"k{i}" for i in range(1, 7)],
        "campaign_id": ["K1", "K1", "K1", "K1", "K1", "K2"],
        "customer_id": ["B", "B", "B", "D", "E", "A"],
        "channel": ["call", "call", "call", "sms", "call", "call"],
        "ts": pa.array(
            [
                datetime(2026, 7, 2, 10),
                datetime(2026, 7, 3, 10),
                datetime(2026, 7, 4, 10),
                datetime(2026, 7, 2, 11),
                datetime(2026, 7, 5, 10),
                datetime(2026, 7, 2, 10),
            ],
            T,
        ),
        "disposition": ["no_answer", "answered", "refused", "answered", "complaint", "answered"],
        "agent_id": ["G1", "G2", "G1", None, "G2", "G1"],
        "duration_s": [15.0, 60.0, 30.0, None, 20.0, 99.0],
    }
    if contacts_columns is not None:
        contacts = {k: v for k, v in contacts.items() if k in contacts_columns}
    lake.write("contacts", pa.table(contacts))
    lake.write(
        "conversions",
        pa.table(
            {
                "customer_id": ["B", "B", "B", "B", "C", "D", "E"],
                "product_id": ["P1", "P2", "P2", "P1", "P1", "P1", "P1"],
                "ts": pa.array(
                    [
                        datetime(2026, 7, 31, 8, 59, 59),  # the window's last second
                        datetime(2026, 7, 10),  # another product: not a conversion of the campaign
                        datetime(2026, 6, 21, 9),  # 10 days before: a past purchase
                        datetime(2025, 6, 30, 9),  # 366 days before: too old to count
                        datetime(2026, 7, 10, 9),  # no amount: value per conversion
                        START,  # at the start: inside
                        datetime(2026, 7, 31, 9),  # at the end: outside
                    ],
                    T,
                ),
                "amount": [100.0, 5.0, 7.0, 9.0, None, 10.0, 20.0],
            }
        ),
    )
    return lake


@pytest.fixture
def lake(tmp_path) -> Lake:
    return _lake(tmp_path / "lake")


def _ops(engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add_all([Customer(customer_id=c) for c in "ABCDE"])
        s.flush()
        s.add_all(
            [
                # the lake's k1 again (10:00 in Shanghai): counted once
                CallOutcome(
                    idempotency_key="o1", customer_id="B", campaign_id="K1", ts=datetime(2026, 7, 2, 2, tzinfo=UTC),
                    disposition="no_answer", agent_id="G1", duration_s=15.0,
                ),
                CallOutcome(
                    idempotency_key="o2", customer_id="A", campaign_id="K1", ts=datetime(2026, 7, 6, 1, tzinfo=UTC),
                    disposition="answered", agent_id="G2", duration_s=45.0,
                ),
                CallOutcome(
                    idempotency_key="o3", customer_id="C", campaign_id="K2", ts=datetime(2026, 7, 6, 1, tzinfo=UTC),
                    disposition="answered", agent_id="G2", duration_s=45.0,
                ),
                Conversion(customer_id="A", product_id="P1", ts=datetime(2026, 7, 20, 1, tzinfo=UTC)),
                Conversion(customer_id="D", product_id="P1", ts=datetime(2026, 7, 1, 1, tzinfo=UTC)),  # D's again
                PolicyEvent(
                    customer_id="C", kind="consent_withdrawn", ts=datetime(2026, 7, 3, tzinfo=UTC), source="api",
                    actor="t",
                ),
                PolicyEvent(
                    customer_id="E", kind="consent_withdrawn", ts=datetime(2026, 6, 1, tzinfo=UTC), source="api",
                    actor="t",
                ),
            ]
        )  # fmt: skip


def _by_customer(frame):
    return frame.set_index("customer_id")


def test_the_frame_counts_what_a_person_counts(lake, db_engine):
    _ops(db_engine)
    frame = member_outcomes(lake, "K1", ops_engine=db_engine)
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["customer_id"]) == ["A", "B", "C", "D", "E"]  # A once: its earliest assignment
    f = _by_customer(frame)
    assert f.loc["A", "group"] == "treatment" and f.loc["A", "arm"] == "x" and f.loc["A", "score_decile"] == 1
    assert f.loc["C", "arm"] is None and f.loc["D", "score_decile"] is pd_na() and math.isnan(f.loc["D", "score"])
    # calls: B's three (one of them also in the ops DB), A's one from the ops DB, E's complaint; D had an SMS
    assert dict(f["dials"]) == {"A": 1, "B": 3, "C": 0, "D": 0, "E": 1}
    assert dict(f["connects"]) == {"A": 1, "B": 2, "C": 0, "D": 0, "E": 1}
    assert dict(f["reached"]) == {"A": 1, "B": 1, "C": 0, "D": 0, "E": 1}
    assert dict(f["talk_seconds"]) == {"A": 45.0, "B": 90.0, "C": 0.0, "D": 0.0, "E": 20.0}
    assert dict(f["sms"]) == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 0}
    assert dict(f["complaint"]) == {"A": 0, "B": 0, "C": 0, "D": 0, "E": 1}
    assert f["dnc"].sum() == 0
    # B's first call was G1's (team T1), its first connected call G2's
    assert f.loc["B", "team"] == "T1" and f.loc["B", "agent_id"] == "G2"
    assert f.loc["A", "team"] == "T2" and f.loc["D", "team"] is None and f.loc["D", "agent_id"] is None
    # conversions of P1 in [start, start + 30 days): the control member C converts too
    assert dict(f["converted"]) == {"A": 1, "B": 1, "C": 1, "D": 1, "E": 0}
    assert dict(f["revenue"]) == {"A": 800.0, "B": 100.0, "C": 800.0, "D": 10.0, "E": 0.0}
    assert f.loc["D", "conversion_day"] == 0.0 and f.loc["C", "conversion_day"] == 9.0
    assert f.loc["A", "conversion_day"] == 19.0 and math.isnan(f.loc["E", "conversion_day"])
    assert f.loc["B", "conversion_day"] == pytest.approx(30 - 1 / 86400)
    assert dict(f["past_purchases"]) == {"A": 0, "B": 1, "C": 0, "D": 0, "E": 0}
    assert dict(f["opt_out"]) == {"A": 0, "B": 0, "C": 1, "D": 0, "E": 0}  # E withdrew before the start
    assert set(f["product_id"]) == {"P1"}


def pd_na():
    import pandas as pd

    return pd.NA


def test_traits_come_from_the_members_first_then_the_customers(lake):
    f = _by_customer(member_outcomes(lake, "K1"))
    assert f.loc["B", "province"] == "上海" and f.loc["A", "province"] == "北京"  # recorded at assignment wins
    # ages on 2026-07-01: A turns 30 that day, B is 29, C has only an age (61), D is 17, E 49
    assert dict(f["age_band"]) == {"A": "30-39", "B": "18-29", "C": "60+", "D": None, "E": "40-49"}
    assert f.loc["C", "segment"] is None and f.loc["B", "segment"] == "退休人员"


def test_the_window_and_the_value_per_conversion_are_the_callers(lake):
    f = _by_customer(member_outcomes(lake, "K1", window_days=1, value_per_conversion=5.0))
    assert dict(f["converted"]) == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 0}
    wide = _by_customer(member_outcomes(lake, "K1", window_days=31, value_per_conversion=5.0))
    assert wide.loc["E", "converted"] == 1 and wide.loc["C", "revenue"] == 5.0  # no amount: the value given


def test_without_the_ops_db_only_the_lakes_rows_count(lake):
    f = _by_customer(member_outcomes(lake, "K1"))
    assert f.loc["A", "dials"] == 0 and f.loc["A", "converted"] == 0 and f.loc["C", "opt_out"] == 0


def test_members_come_from_the_ops_db_when_the_lake_has_none(lake, db_engine):
    _ops(db_engine)
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="K2", name="k2", product_id="P1", spec={"date": "2026-07-01"}, created_by="t"))
        s.flush()
        issued = IssuedList(campaign_id="K2", issued_by="t", policy_sha256="", summary={})
        s.add(issued)
        s.flush()
        for cid, group in (("A", "treatment"), ("C", "control")):
            s.add(
                ListMember(
                    list_id=issued.list_id, campaign_id="K2", customer_id=cid, group=group, seed=7,
                    assigned_at=datetime(2026, 7, 1, 1, tzinfo=UTC), arm="default" if group == "treatment" else None,
                )
            )  # fmt: skip
    f = _by_customer(member_outcomes(lake, "K2", ops_engine=db_engine))
    assert list(f.index) == ["A", "C"] and f.loc["C", "group"] == "control"
    assert f.loc["C", "dials"] == 1 and f.loc["A", "dials"] == 1  # ops o3, and the lake's k6
    assert f.loc["A", "product_id"] == "P1" and f.loc["A", "age_band"] == "30-39"


def test_an_unknown_campaign_names_the_close_ones(lake):
    with pytest.raises(ResultsError, match=r"campaign 'K11' .*did you mean 'K1'.*K1, K2"):
        member_outcomes(lake, "K11")


def test_a_campaign_without_members_says_so(lake):
    with pytest.raises(ResultsError, match="campaign 'K2' has no recorded members"):
        member_outcomes(lake, "K2")


@pytest.mark.parametrize("window", [0, 366, -1, 1.5, True, "30"])
def test_a_window_out_of_range_is_refused(lake, window):
    with pytest.raises(ResultsError, match="window_days must be a whole number of days from 1 to 365"):
        member_outcomes(lake, "K1", window_days=window)


def test_a_contacts_table_without_dispositions_is_refused(tmp_path):
    lake = _lake(tmp_path / "lake", contacts_columns=("contact_id", "campaign_id", "customer_id", "channel", "ts"))
    with pytest.raises(ResultsError, match=r"the lake table contacts lacks .*: disposition"):
        member_outcomes(lake, "K1")


def test_a_lake_without_conversions_and_no_ops_db_is_refused(lake):
    import shutil

    shutil.rmtree(lake.root / "conversions.parquet", ignore_errors=True)
    (lake.root / "conversions.parquet").unlink()
    with pytest.raises(ResultsError, match="no conversions table"):
        member_outcomes(lake, "K1")
