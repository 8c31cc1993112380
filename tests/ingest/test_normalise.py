"""Normalisers: every common way of writing a phone, a date, a yes or a number, and what is refused."""

import pandas as pd
import pyarrow as pa
import pytest

from callwise.ingest.normalise import normalise
from callwise.schema.contract import CUSTOMERS, TRANSACTIONS, Column, Kind


def run(values, column):
    typed, bad = normalise(pa.array(values, pa.string()), column)
    return typed.to_pylist(), bad.tolist()


PHONE = CUSTOMERS.column("phone")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("(+86)138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("13800138000.0", "13800138000"),  # a number cell from Excel
    ],
)
def test_phone_forms_are_normalised(raw, expected):
    typed, bad = run([raw], PHONE)
    assert typed == [expected] and bad == [False]


@pytest.mark.parametrize("raw", ["12345", "23800138000", "1380013800", "138001380001", "phone", "021-12345678"])
def test_non_mobiles_are_bad(raw):
    typed, bad = run([raw], PHONE)
    assert typed == [None] and bad == [True]


def test_empty_cells_are_null_not_bad():
    typed, bad = run([None, "", "  "], PHONE)
    assert typed == [None, None, None] and bad == [False, False, False]


@pytest.mark.parametrize(
    "raw",
    ["2024-03-05", "2024/3/5", "2024.03.05", "20240305", "2024年3月5日", "2024 年 3 月 5 日", "2024-03-05 00:00:00"],
)
def test_date_forms(raw):
    typed, bad = run([raw], CUSTOMERS.column("birth_date"))
    assert [str(v) for v in typed] == ["2024-03-05"] and bad == [False]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05 14:30:00", "2024-03-05 14:30:00"),
        ("2024-03-05T14:30:00", "2024-03-05 14:30:00"),
        ("2024/3/5 14:30", "2024-03-05 14:30:00"),
        ("2024年3月5日 14:30", "2024-03-05 14:30:00"),
        ("2024年3月5日 14时30分", "2024-03-05 14:30:00"),
        ("20240305143000", "2024-03-05 14:30:00"),
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024-03-05 14:30:00.750", "2024-03-05 14:30:00"),  # dialers write milliseconds; seconds are kept
    ],
)
def test_datetime_forms(raw, expected):
    typed, bad = run([raw], TRANSACTIONS.column("ts"))
    assert [str(pd.Timestamp(v)) for v in typed] == [expected] and bad == [False]


@pytest.mark.parametrize("raw", ["2024-13-01", "2024-02-30", "yesterday", "05/03/24", "2024年13月1日"])
def test_bad_dates(raw):
    typed, bad = run([raw], CUSTOMERS.column("birth_date"))
    assert typed == [None] and bad == [True]


def test_booleans():
    column = CUSTOMERS.column("consent_marketing")
    typed, bad = run(["是", "否", "Y", "n", "1", "0", "TRUE", "false", "同意", "maybe"], column)
    assert typed == [True, False, True, False, True, False, True, False, True, None]
    assert bad == [False] * 9 + [True]


def test_numbers_with_separators_and_currency():
    column = CUSTOMERS.column("income_monthly")
    typed, bad = run(["12,000", "￥8,500.50", "¥ 3000", "9000元", "1e3", "abc", "12.3.4"], column)
    assert typed == [12000.0, 8500.5, 3000.0, 9000.0, 1000.0, None, None]
    assert bad == [False] * 5 + [True, True]


def test_integers_refuse_fractions():
    typed, bad = run(["35", "35.0", "35.5"], CUSTOMERS.column("age"))
    assert typed == [35, 35, None] and bad == [False, False, True]


def test_enums_match_case_and_chinese_words():
    typed, bad = run(["c3", "C5", "C9"], CUSTOMERS.column("risk_tolerance"))
    assert typed == ["C3", "C5", None] and bad == [False, False, True]
    typed, bad = run(["男", "女", "m", "x"], CUSTOMERS.column("gender"))
    assert typed == ["M", "F", "M", None] and bad == [False, False, False, True]
    typed, _ = run(["正常", "冻结", "身故"], CUSTOMERS.column("status"))
    assert typed == ["active", "frozen", "deceased"]


def test_json_cells():
    column = Column("turns", Kind.JSON)
    typed, bad = run(['[{"speaker": "agent", "text": "您好"}]', "[oops"], column)
    assert typed[0] == '[{"speaker": "agent", "text": "您好"}]' and typed[1] is None and bad == [False, True]


def test_typed_parquet_columns_pass_through():
    typed, bad = normalise(pa.array([1.0, 2.5, None]), CUSTOMERS.column("income_monthly"))
    assert typed.to_pylist() == [1.0, 2.5, None] and not bad.any()
    typed, bad = normalise(pa.array([30.0, 30.5]), CUSTOMERS.column("age"))
    assert typed.to_pylist() == [30, None] and bad.tolist() == [False, True]
    typed, bad = normalise(pa.array([13800138000, 12345]), PHONE)  # phones stored as numbers are still checked
    assert typed.to_pylist() == ["13800138000", None] and bad.tolist() == [False, True]


def test_zoned_times_become_wall_clock_time_in_the_bank_zone(monkeypatch):
    column = TRANSACTIONS.column("ts")
    typed, bad = run(["2024-03-05T06:30:00Z", "2024-03-05 14:30:00+08:00", "2024-03-05T12:30:00+0600"], column)
    assert [str(pd.Timestamp(v)) for v in typed] == ["2024-03-05 14:30:00"] * 3 and not any(bad)
    aware = pa.array([pd.Timestamp("2024-03-05 06:30", tz="UTC")], pa.timestamp("s", tz="UTC"))
    assert str(pd.Timestamp(normalise(aware, column)[0][0].as_py())) == "2024-03-05 14:30:00"
    monkeypatch.setenv("CALLWISE_TIMEZONE", "Asia/Urumqi")
    typed, _ = run(["2024-03-05T06:30:00Z"], column)
    assert str(pd.Timestamp(typed[0])) == "2024-03-05 12:30:00"


MIXED = {
    Kind.TEXT: ["  a ", "ｂ", "", None, "c", "\u3000d"],
    Kind.PHONE: ["+86 138 0013 8000", "１３８００１３８０００", "12345", "", None, " 13900139000 ", "13800138000.0"],
    Kind.INT: ["1,200", "3.5", "x", "", None, "７", "12元"],
    Kind.FLOAT: ["¥1,234.50", "abc", "", None, "0.1", " 2 "],
    Kind.BOOL: ["是", "否", "Y", "maybe", "", None, "TRUE"],
    Kind.DATE: ["2024年3月5日", "2024/3/5", "20240305", "0001-01-01", "soon", "", None],
    Kind.DATETIME: ["2024-03-05 14:30", "2024-03-05T06:30:00Z", "2024年3月5日 9点5分", "never", "", None],
    Kind.ENUM: ["男", "f", "M", "other", "", None],
    Kind.JSON: ['{"a": 1}', "{", "", None, "[1, 2]"],
}


@pytest.mark.parametrize("kind", list(MIXED))
def test_few_distinct_values_parse_as_each_cell_does(kind, monkeypatch):
    """A column of repeated values is parsed once per distinct value: the result is the one cell by cell."""
    column = Column("x", kind, values=("M", "F") if kind is Kind.ENUM else ())
    values = MIXED[kind] * 40  # few distinct values among many rows
    monkeypatch.setattr("callwise.ingest.normalise.DISTINCT_SHARE", 0.0)  # cell by cell
    by_cell = run(values, column)
    monkeypatch.setattr("callwise.ingest.normalise.DISTINCT_SHARE", 1.0)  # once per distinct value
    by_value = run(values, column)
    assert by_value == by_cell
    assert any(by_cell[1]) or kind is Kind.TEXT  # the mix holds cells that are refused (text refuses none)
