"""An experiment table read the way an analyst's file comes: the groups told by a column, the ugly cases refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from callwise.i18n.errors import message
from callwise.ingest.readers import SourceError
from callwise.models.widetable import WideTableError
from callwise.uplift.widetable import load_experiment_table


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def refusal(path: Path, lang: str = "en", **kwargs) -> str:
    args = {"target": "bought", "positive": None, "treatment": "group", "treated": "call", "control": "hold"} | kwargs
    with pytest.raises((WideTableError, SourceError)) as caught:
        load_experiment_table(path, **args)
    return message(caught.value, lang)


TABLE = "id,group,bought,age\n1,call,yes,30\n2,hold,no,41\n3,call,no,52\n4,hold,yes,23\n"


def test_groups_target_and_features_in_file_order(tmp_path):
    table = load_experiment_table(write(tmp_path / "t.csv", TABLE), "bought", None, "group", "call", "hold", ["id"])
    assert list(table.X.columns) == ["age"] and table.X["age"].tolist() == [30, 41, 52, 23]
    assert table.y.tolist() == [1, 0, 0, 1] and table.treatment.tolist() == [1, 0, 1, 0]
    assert table.facts() == {
        "source": str(tmp_path / "t.csv"),
        "target": "bought",
        "treatment": "group",
        "treated_value": "call",
        "control_value": "hold",
        "dropped_no_target": 0,
        "rows": 4,
        "treated": 2,
        "control": 2,
        "positives": 2,
    }


def test_rows_without_a_target_are_counted_and_the_groups_stay_aligned(tmp_path):
    text = "group,bought,age\ncall,yes,1\nhold,,2\nhold,no,3\ncall,,4\ncall,no,5\n"
    table = load_experiment_table(write(tmp_path / "t.csv", text), "bought", None, "group", "call", "hold")
    assert table.dropped_no_target == 2
    assert table.X["age"].tolist() == [1, 3, 5] and table.treatment.tolist() == [1, 0, 1]


@pytest.mark.parametrize(
    ("text", "treated", "control"),
    [
        ("group,bought,age\n1,1,30\n0,0,41\n1,0,52\n", "1", "0"),  # a number column
        ("group,bought,age\n1.0,1,30\n0.0,0,41\n1.0,0,52\n", "1", "0"),  # 1 matches 1.0
        ("group,bought,age\n Yes ,1,30\nno,0,41\nYES,0,52\n", "yes", "No"),  # trimmed, any case
        ("group,bought,age\ntrue,1,30\nfalse,0,41\ntrue,0,52\n", "true", "false"),  # a bool column
    ],
)
def test_the_group_values_are_matched_as_people_write_them(tmp_path, text, treated, control):
    table = load_experiment_table(write(tmp_path / "t.csv", text), "bought", None, "group", treated, control)
    assert table.treatment.tolist() == [1, 0, 1]


def test_a_gbk_file_with_chinese_groups_and_target(tmp_path):
    text = "客户号,组别,是否购买,年龄\n1,外呼,是,30\n2,对照,否,41\n3,外呼,否,52\n"
    path = write(tmp_path / "gbk.csv", text, "gbk")
    table = load_experiment_table(path, "是否购买", None, "组别", "外呼", "对照", ["客户号"])
    assert table.treatment.tolist() == [1, 0, 1] and table.y.tolist() == [1, 0, 0]


def test_a_third_value_is_refused_naming_the_file_the_row_and_the_value(tmp_path):
    text = "group,bought,age\ncall,yes,1\nhold,no,2\nsms,no,3\ncall,no,4\nsms,yes,5\n"
    path = write(tmp_path / "arms.csv", text)
    said = refusal(path)
    assert said == (
        f"{path}: row 3 (the first row under the header is 1) has 'sms' in 'group', neither the treated value "
        "'call' nor the control value 'hold' (2 rows like it); keep only the two groups' rows"
    )
    assert "第 3 行" in refusal(path, "zh") and "'sms'" in refusal(path, "zh")


def test_a_blank_group_is_a_third_value_too(tmp_path):
    path = write(tmp_path / "blank.csv", "group,bought,age\ncall,yes,1\n,no,2\nhold,no,3\n")
    assert "row 2 (the first row under the header is 1) has '' in 'group'" in refusal(path)


def test_a_huge_or_hostile_value_is_quoted_short_in_one_line(tmp_path):
    huge = "x" * 1_200_000
    path = write(tmp_path / "huge.csv", f"group,bought,age\ncall,yes,1\n{huge},no,2\nhold,no,3\n")
    said = refusal(path)
    assert "'" + "x" * 40 + "…'" in said and len(said) < 400 and "\n" not in said
    hostile = write(tmp_path / "hostile.csv", "group,bought,age\ncall,yes,1\n=cmd|' /C calc'!A0,no,2\nhold,no,3\n")
    assert "row 2" in refusal(hostile) and "=cmd|" in refusal(hostile)


@pytest.mark.parametrize(
    ("text", "kwargs", "sentence"),
    [
        (TABLE, {"treatment": "arm"}, "treatment column 'arm' is missing (columns: id, group, bought, age)"),
        (TABLE, {"target": "purchase"}, "target column 'purchase' is missing"),
        (TABLE, {"treated": "hold"}, "--treated and --control are the same value 'hold'"),
        (TABLE, {"treated": "Call", "control": "call"}, "--treated and --control are the same value 'Call'"),
        (TABLE, {"treatment": "bought"}, "the treatment column 'bought' cannot also be the target"),
        (TABLE, {"drop": ["group"]}, "the treatment column 'group' cannot be dropped"),
        (TABLE, {"drop": ["nothing"]}, "cannot drop column 'nothing'"),
        ("group,bought,age\nhold,yes,1\nhold,no,2\n", {"control": "hold"}, "no row of 'group' equals the treated"),
        ("group,bought,age\ncall,yes,1\ncall,no,2\n", {}, "no row of 'group' equals the control value 'hold'"),
        ("group,bought,group\ncall,yes,1\nhold,no,2\n", {}, "column 'group' appears more than once"),
        ("group,bought\ncall,yes\nhold,no\n", {}, "no feature columns are left besides the target"),
        ("group,bought,age\ncall,maybe,1\nhold,no,2\n", {}, "cannot tell the positive value of 'bought'"),
    ],
)
def test_tables_that_cannot_be_an_experiment_are_refused_in_one_sentence(tmp_path, text, kwargs, sentence):
    path = write(tmp_path / "t.csv", text)
    said = refusal(path, **kwargs)
    assert said.startswith(f"{path}: ") and sentence in said and "\n" not in said


def test_empty_and_header_only_files(tmp_path):
    assert refusal(write(tmp_path / "empty.csv", "")).endswith("empty.csv: the file is empty")
    assert "empty.csv：文件是空的" in refusal(tmp_path / "empty.csv", "zh")
    header_only = write(tmp_path / "header.csv", "group,bought,age\n")
    assert refusal(header_only) == f"{header_only}: the file has a header but no rows"


def test_parquet_and_xlsx_read_the_same(tmp_path):
    frame = pd.DataFrame({"group": ["call", "hold", "call"], "bought": [1, 0, 0], "age": [30.0, np.nan, 52.0]})
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    for name in ("t.parquet", "t.xlsx"):
        table = load_experiment_table(tmp_path / name, "bought", None, "group", "call", "hold")
        assert table.treatment.tolist() == [1, 0, 1] and table.y.tolist() == [1, 0, 0]
