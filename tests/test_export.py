"""The cell rule of callwise.export (OWASP's CSV-injection rule) and its CSV and XLSX writers."""

from __future__ import annotations

import csv
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from callwise.export import formula_safe, write_csv, write_xlsx

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "＝1", "＋1", "－1", "＠A1"]
ORDINARY = ["张三", "稳健理财·季季盈", "a=1", "C00000001", "-12.5", "+8613800138000", "1e-05", "", "'=1", "#N/A"]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_text_that_starts_a_formula_gets_a_leading_quote(value):
    assert formula_safe(pa.array([value])).to_pylist() == ["'" + value]
    assert formula_safe(pd.Series([value])).tolist() == ["'" + value]


def test_ordinary_text_plain_numbers_and_missing_values_are_unchanged():
    values = [*ORDINARY, None]
    assert formula_safe(pa.array(values)).to_pylist() == values
    assert formula_safe(pa.chunked_array([values[:3], values[3:]])).to_pylist() == values
    assert formula_safe(pd.Series(values)).tolist()[:-1] == ORDINARY


def test_number_columns_are_never_touched():
    numbers = pd.Series([-2, 3, -1])
    assert formula_safe(numbers) is numbers
    assert formula_safe(pa.array([-2.5, 1.0])).to_pylist() == [-2.5, 1.0]
    mixed = pd.Series([-3, "-2+3", 1.5, None], dtype=object)
    assert formula_safe(mixed).tolist() == [-3, "'-2+3", 1.5, None]


def test_categorical_and_dictionary_columns():
    assert formula_safe(pd.Series(["=x", "y", "=x"], dtype="category")).tolist() == ["'=x", "y", "'=x"]
    assert formula_safe(pa.array(["=x", "y"]).dictionary_encode()).to_pylist() == ["'=x", "y"]


def test_csv_writes_ordinary_values_byte_for_byte_as_pandas_would(tmp_path):
    frame = pd.DataFrame({"name": ["张三", "李四"], "balance": [-12.5, 3.0], "n": [-3, 4], "code": ["-7", "x"]})
    path = write_csv(frame, tmp_path / "a.csv")
    expected = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected


def test_csv_quotes_hostile_cells_and_headers_from_pandas_and_arrow(tmp_path):
    frame = pd.DataFrame({"=HYPERLINK(1)": HOSTILE[:4], "n": np.arange(4) - 5})
    text = write_csv(frame, tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("'=HYPERLINK(1),n\n'=cmd|' /C calc'!A0,-5\n'+1+1,-4\n")
    arrow = write_csv(pa.Table.from_pandas(frame), tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert arrow.startswith('"\'=HYPERLINK(1)","n"\n"\'=cmd|\' /C calc\'!A0",-5\n')


def test_a_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path):
    frame = pd.DataFrame({"name": ["张三\r=1+1", "李四"], "balance": [-12.5, 3]})
    path = write_csv(frame, tmp_path / "a.csv")
    assert path.read_bytes() == '\ufeff"name","balance"\n"张三\r=1+1",-12.5\n"李四",3.0\n'.encode()
    with path.open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [["name", "balance"], ["张三\r=1+1", "-12.5"], ["李四", "3.0"]]


def test_xlsx_cells_are_typed_and_never_formulas(tmp_path):
    frame = pd.DataFrame(
        {
            "text": [*HOSTILE, "张三", "#N/A", "bell\x07", None],
            "n": [*range(-len(HOSTILE), 0), -12.5, np.nan, 1, 0],
        }
    )
    path = write_xlsx(frame, tmp_path / "a.xlsx", sheet="=x", header=["=名称", "余额"])
    sheet = load_workbook(path).worksheets[0]
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert sheet.title == "=x" and rows[0] == [("'=名称", "s"), ("余额", "s")]
    assert [v for (v, _), _ in rows[1:]] == ["'" + h.replace("\r", "\n") for h in HOSTILE] + [
        "张三",
        "#N/A",
        "bell\ufffd",
        None,
    ]
    assert all(t == "s" for (v, t), _ in rows[1:] if v is not None)
    assert [v for _, (v, _) in rows[1:]] == [*range(-len(HOSTILE), 0), -12.5, None, 1, 0]
    assert all(t == "n" for _, (_, t) in rows[1:])


def test_mode_is_exact_and_a_failed_write_leaves_the_old_file(tmp_path):
    old = os.umask(0)
    try:
        path = write_csv(pd.DataFrame({"a": ["x"]}), tmp_path / "q" / "a.csv", mode=0o600)
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o600
    before = path.read_bytes()
    with pytest.raises(pa.ArrowInvalid):
        write_csv(pa.table({"a": pa.array([[1]])}), path)  # a list column has no CSV form
    assert path.read_bytes() == before and [p.name for p in path.parent.iterdir()] == ["a.csv"]
