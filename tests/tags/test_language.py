"""Every function of the tag language on the hand-built bank (conftest.py), against values worked out by hand."""

from __future__ import annotations

import ast
import math
from datetime import date

import pytest

from callwise.tags import tag_table
from callwise.tags.expr import ExpressionError, parse

from .conftest import CUTOFF
from .helpers import catalogue_of, entry

N, F, L = "number", "flag", "level"
# id → (value, definition, expected for customers A, B, C; a level tag's levels are its distinct values)
CASES: dict[str, tuple[str, str, tuple[object, object, object]]] = {
    # scalar functions and operators
    "age_": (N, "age", (36.0, 66.0, None)),
    "coalesce_": (N, "coalesce(income_monthly, 0)", (20000.0, 8000.0, 0.0)),
    "if_else_": (L, "if_else(age >= 60, 'senior', 'other')", ("other", "senior", "other")),
    "between_": (F, "between(age, 30, 40)", (True, False, False)),
    "chain_": (F, "30 <= age < 40", (True, False, False)),
    "is_null_": (F, "is_null(income_monthly)", (False, False, True)),
    "abs_": (N, "abs(0 - income_monthly)", (20000.0, 8000.0, None)),
    "least_": (N, "least(income_monthly, 10000)", (10000.0, 8000.0, 10000.0)),
    "greatest_": (N, "greatest(income_monthly, 10000)", (20000.0, 10000.0, 10000.0)),
    "log1p_": (N, "log1p(income_monthly)", (math.log1p(20000), math.log1p(8000), None)),
    "round_": (N, "round(income_monthly / 3, 2)", (6666.67, 2666.67, None)),
    "division_by_zero": (N, "income_monthly / 0", (None, None, None)),
    "arithmetic": (N, "-income_monthly * 2 + 1", (-39999.0, -15999.0, None)),
    "bucket_": (L, "bucket(age, [40, 60], ['低', '中', '高'])", ("低", "高", None)),
    "days_before_": (N, "days_before(opened_at)", (float((date(2026, 6, 1) - date(2020, 1, 1)).days), 31.0, None)),
    "complaint_days": (N, "days_before(complaint_last_at)", (12.0, None, None)),  # B's is after the cutoff
    "month_of_": (N, "month_of(opened_at)", (1.0, 5.0, None)),
    "contains_": (F, "contains(city, '海')", (True, False, False)),
    "in_": (F, "risk_tolerance in ['C3', 'C4']", (True, False, False)),
    "not_in_": (F, "not risk_tolerance not in ['C1']", (False, True, False)),
    "date_text": (F, "opened_at < '2021-01-01'", (True, False, False)),
    "column_bool": (F, "dnc == True", (False, False, True)),
    "text_level": (L, "gender", ("F", "M", None)),
    "percentile_": (N, "percentile(balance_total)", (1.0, 0.5, 0.0)),
    "percentile_null": (N, "percentile(income_monthly)", (1.0, 0.0, None)),
    # table windows: rows strictly before the cutoff only
    "tx_count": (N, "count(transactions)", (3.0, 2.0, 0.0)),
    "tx_count_30d": (N, "count(transactions, days=30)", (2.0, 1.0, 0.0)),
    "tx_in_90d": (N, "sum(transactions.amount, days=90, where=direction == 'in')", (100.0, 0.0, 0.0)),
    "tx_in_all": (N, "sum(transactions.amount, where=direction == 'in')", (1100.0, 0.0, 0.0)),
    "tx_salary": (N, "sum(transactions.amount, where=category == '工资')", (100.0, 0.0, 0.0)),
    "tx_mean": (N, "mean(transactions.amount)", (1150 / 3, 18.5, None)),
    "tx_max_365d": (N, "max(transactions.amount, days=365)", (1000.0, 30.0, None)),
    "tx_min": (N, "min(transactions.amount)", (50.0, 7.0, None)),
    "tx_abs_where": (N, "count(transactions, where=abs(amount) > 40 and channel == '柜面')", (2.0, 0.0, 0.0)),
    "tx_channels": (N, "count_distinct(transactions.channel)", (2.0, 1.0, 0.0)),
    "tx_days_since": (N, "days_since(transactions)", (1.0, 22.0, None)),
    "tx_salary_exists": (F, "exists(transactions, where=category == '工资')", (True, False, False)),
    "held": (N, "count(holdings)", (2.0, 1.0, 0.0)),
    "held_wealth": (N, "sum(holdings.balance, where=category == 'wealth')", (900000.0, 0.0, 0.0)),
    "holds_wealth_": (F, "exists(holdings, where=category == 'wealth')", (True, False, False)),
    "balance_": (N, "balance_total", (1100000.0, 1000.0, 0.0)),
    "logins_30d": (N, "count(events, days=30, where=event == 'app_login')", (3.0, 0.0, 0.0)),
    "viewed_days": (N, "days_since(events, where=event == 'view_product')", (11.0, None, None)),
    "complaints": (N, "count(contacts, where=disposition == 'complaint')", (1.0, 0.0, 0.0)),
    "called_7d": (F, "exists(contacts, days=7, where=channel == 'call')", (True, True, False)),
    "longest_call": (N, "max(contacts.duration_s)", (60.0, None, None)),
    "bought_days": (N, "days_since(conversions)", (10.0, None, None)),
    "bought_30d": (N, "sum(conversions.amount, days=30)", (5000.0, 0.0, 0.0)),
    "products_bought": (N, "count_distinct(conversions.product_id)", (2.0, 0.0, 0.0)),
    # tags reading tags, by id and by Chinese name, two layers deep
    "rich": (F, "held_wealth >= 100000", (True, False, False)),
    "rich_and_active": (F, "标签rich and logins_30d >= 3", (True, False, False)),
    "rich_active_level": (L, "if_else(rich_and_active, '是', '否')", ("是", "否", "否")),
}


LEVELS = {"bucket_": ["低", "中", "高"]}


def _tag(tag_id: str, value: str, definition: str, expected: tuple[object, ...]) -> dict:
    more: dict[str, object] = {}
    if value == "level":
        more["levels"] = LEVELS.get(tag_id) or sorted({str(v) for v in expected if v is not None})
    return entry(tag_id, definition, value, **more)


@pytest.fixture(scope="module")
def built(bank, tmp_path_factory):
    folder = tmp_path_factory.mktemp("language")
    catalogue = catalogue_of(folder, *(_tag(k, *v) for k, v in CASES.items()))
    return catalogue, tag_table(bank, catalogue, CUTOFF).to_pyarrow().to_pylist()


@pytest.mark.parametrize("tag_id", list(CASES))
def test_function_gives_the_value_worked_out_by_hand(built, tag_id):
    _, rows = built
    assert [r["customer_id"] for r in rows] == ["A", "B", "C"]
    got = [r[tag_id] for r in rows]
    for value, want in zip(got, CASES[tag_id][2], strict=True):
        if isinstance(want, float):
            assert value == pytest.approx(want, rel=1e-9), (tag_id, got)
        else:
            assert value == want, (tag_id, got)


def test_only_computes_the_tags_asked_for_and_what_they_need(bank, built):
    catalogue, _ = built
    table = tag_table(bank, catalogue, CUTOFF, only=["rich_active_level"])
    assert table.columns == ("customer_id", "rich_active_level")
    assert catalogue.layers(["rich_active_level"]) == [
        ["held_wealth", "logins_30d"],
        ["rich"],
        ["rich_and_active"],
        ["rich_active_level"],
    ]
    assert table.to_pyarrow().column("rich_active_level").to_pylist() == ["是", "否", "否"]


def test_customers_restricts_the_rows(bank, built):
    catalogue, _ = built
    people = bank.table("customers").filter(lambda t: t.customer_id == "B").select("customer_id")
    rows = tag_table(bank, catalogue, CUTOFF, only=["tx_count", "percentile_"], customers=people).to_pyarrow()
    assert rows.to_pylist() == [{"customer_id": "B", "tx_count": 2.0, "percentile_": 0.0}]


def test_value_types_are_stored_as_declared(built):
    _, rows = built
    for tag_id, (value, _, _) in CASES.items():
        kinds = {type(r[tag_id]) for r in rows if r[tag_id] is not None}
        assert kinds <= {"number": {float}, "flag": {bool}, "level": {str}}[value], tag_id
    # a flag is never unknown: unknown counts as not
    assert all(r[t] is not None for r in rows for t, (v, _, _) in CASES.items() if v == "flag")


@pytest.mark.parametrize(
    ("text", "column"),
    [("a and", 6), ("  a and (", 9), ("a b", 3), ("(a", 1)],
)
def test_a_syntax_error_names_its_column_from_one_where_the_text_ends_too_soon(text, column):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column


def test_a_node_is_placed_by_characters_of_the_text_as_written_not_by_utf8_bytes():
    tree = parse("  高净值 and nope")
    assert isinstance(tree, ast.BoolOp)
    assert [value.col_offset for value in tree.values] == [2, 10]
