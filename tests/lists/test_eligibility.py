"""Eligibility v1: every rule at its boundary, primary reason = first rule in order, all reasons kept."""

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from callwise.lake import Lake
from callwise.lists.eligibility import RULES, exclusion_flags, primary_reasons
from callwise.schema.contract import TABLES

ON = date(2026, 7, 1)
PRODUCT = {"product_id": "W1", "min_age": 18, "max_age": 70}


def customer(cid, **overrides):
    row = {
        "customer_id": cid,
        "phone": "13800138000",
        "birth_date": date(1980, 1, 1),
        "consent_marketing": True,
        "dnc": False,
        "profiling_opt_out": False,
        "status": "active",
    }
    row.update(overrides)
    return row


def make_lake(tmp_path, customers, holdings=()):
    lake = Lake(tmp_path / "lake")
    cols = list(customers[0])
    schema = TABLES["customers"].arrow_schema(cols)
    lake.write("customers", pa.Table.from_pylist(customers, schema=schema))
    if holdings:
        hcols = list(holdings[0])
        lake.write("holdings", pa.Table.from_pylist(list(holdings), schema=TABLES["holdings"].arrow_schema(hcols)))
    return lake


def reasons_for(lake, product=PRODUCT):
    flags = exclusion_flags(lake, product, ON)
    primary, every = primary_reasons(flags)
    return dict(zip(flags.customer_id, primary, strict=True)), dict(zip(flags.customer_id, every, strict=True))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, None),
        ({"status": "frozen"}, "inactive_status"),
        ({"status": "deceased"}, "inactive_status"),
        ({"dnc": True}, "dnc"),
        ({"consent_marketing": False}, "no_consent"),
        ({"consent_marketing": None}, "no_consent"),  # nothing on record counts as a refusal
        ({"birth_date": None}, "age_unknown"),
        ({"birth_date": date(2008, 7, 2)}, "under_18"),  # turns 18 tomorrow
        ({"birth_date": date(2008, 7, 1)}, None),  # 18 today
        ({"birth_date": date(1955, 7, 1)}, "product_age_limit"),  # 71 today
        ({"birth_date": date(1955, 7, 2)}, None),  # still 70
        ({"profiling_opt_out": True}, "profiling_opt_out"),
    ],
)
def test_each_rule_at_its_boundary(tmp_path, overrides, expected):
    lake = make_lake(tmp_path, [customer("C1", **overrides)])
    primary, _ = reasons_for(lake)
    assert primary["C1"] == expected


def test_holding_open_on_the_day_excludes_but_closed_or_future_does_not(tmp_path):
    holdings = [
        {"customer_id": "C1", "product_id": "W1", "opened_at": date(2025, 1, 1), "closed_at": None},
        {"customer_id": "C2", "product_id": "W1", "opened_at": date(2025, 1, 1), "closed_at": date(2026, 6, 30)},
        {"customer_id": "C3", "product_id": "W1", "opened_at": date(2026, 7, 1), "closed_at": None},
        {"customer_id": "C4", "product_id": "OTHER", "opened_at": date(2025, 1, 1), "closed_at": None},
    ]
    lake = make_lake(tmp_path, [customer(c) for c in ("C1", "C2", "C3", "C4")], holdings)
    primary, _ = reasons_for(lake)
    assert primary == {"C1": "holds_product", "C2": None, "C3": None, "C4": None}


def test_primary_is_first_rule_and_all_reasons_are_kept(tmp_path):
    lake = make_lake(tmp_path, [customer("C1", dnc=True, consent_marketing=False, birth_date=date(2010, 1, 1))])
    primary, every = reasons_for(lake)
    assert primary["C1"] == "dnc"
    assert every["C1"] == "dnc|no_consent|under_18|product_age_limit"


def test_missing_optional_columns_are_conservative(tmp_path):
    lake = Lake(tmp_path / "lake")
    schema = TABLES["customers"].arrow_schema(["customer_id", "phone", "consent_marketing"])
    lake.write(
        "customers",
        pa.Table.from_pylist([{"customer_id": "C1", "phone": "1", "consent_marketing": True}], schema=schema),
    )
    primary, _ = reasons_for(lake, {"product_id": "W1"})
    assert primary["C1"] == "age_unknown"


def test_rules_have_bilingual_labels():
    from callwise.i18n import t

    for rule in RULES:
        assert t(f"exclusion.{rule}", "zh") != t(f"exclusion.{rule}", "en")


def test_flags_frame_shape(tmp_path):
    lake = make_lake(tmp_path, [customer(f"C{i}") for i in range(5)])
    flags = exclusion_flags(lake, PRODUCT, ON)
    assert list(flags.columns) == ["customer_id", *RULES]
    assert isinstance(flags, pd.DataFrame) and len(flags) == 5
