"""The column-at-a-time CSV and XLSX writers give what pandas and openpyxl gave: the same CSV bytes, the same cells.

Each test writes a frame through ``write_csv``/``write_xlsx`` (which take the Arrow paths for these frames) and
through the cell-by-cell writers they replaced (kept as the fallback), and compares.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from callwise.csv_text import csv_columns
from callwise.export import (
    _LEADS,
    _NUMBER,
    _pandas_csv,
    _write_xlsx_openpyxl,
    formula_safe,
    formula_safe_text,
    safe_frame,
    write_csv,
    write_xlsx,
)
from callwise.i18n import t
from callwise.lists.output import DIALER_COLUMNS, _xlsx
from callwise.xlsx import sheet_columns

TEXT = [
    "张三",
    "稳健理财，季季盈",
    "a,b",
    'say "hi"',
    "two\nlines",
    "=1+1",
    "+86",
    "-3",
    "@x",
    "+8613800138000",
    "-12.5",
    " padded ",
    "",
    None,
    "<&>",
    "\u3000全角空格",
    "＝1",
    "\t=1",
    "'=1",
    "#N/A",
]


def hostile_frame() -> pd.DataFrame:
    n = len(TEXT)
    return pd.DataFrame(
        {
            "文本": pd.Series(TEXT, dtype="str"),
            "object": pd.Series(TEXT[::-1], dtype=object),
            "=header,x": ["x"] * n,
            "n": np.arange(n) - 7,
            "big": np.array([12345678901234567, *list(range(n - 1))], dtype=np.int64),
            "f": [0.1, 0.30000000000000004, np.nan, 1e16, 1e-05, 3.0, -0.0, 1 / 3, 2.5e-300, 1e10] * (n // 10),
            "f32": np.linspace(0, 1, n).astype(np.float32),
            "all_nan": [np.nan] * n,
            "ok": [True, False] * (n // 2),
        }
    )


def _csv_reference(frame: pd.DataFrame, tmp_path, name: str, **kw) -> bytes:
    path = tmp_path / name
    with path.open("wb") as handle:
        _pandas_csv(safe_frame(frame), handle, quoting=0, **kw)
    return path.read_bytes()


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("header", [True, False])
def test_csv_bytes_are_what_pandas_wrote(tmp_path, bom, header):
    frame = hostile_frame()
    assert csv_columns(safe_frame(frame)) is not None  # the Arrow path is the one under test
    written = write_csv(frame, tmp_path / "new.csv", bom=bom, header=header).read_bytes()
    assert written == _csv_reference(frame, tmp_path, "old.csv", header=header, bom=bom)
    text = written.decode("utf-8-sig")
    cells = [line.split(",") for line in text.split("\n")]
    first = [row[0] for row in cells[int(header) :] if row]
    assert {"'=1+1", "'@x", "'＝1", "'\t=1"} <= set(first)  # a formula's start gets its quote
    assert {"+86", "-3", "+8613800138000", "-12.5"} <= set(first)  # plain numbers cannot call anything: as they are
    for cell in ('"say ""hi"""', '"two\nlines"', '"a,b"') + (('"\'=header,x"',) if header else ()):
        assert cell in text


def test_csv_of_zero_rows_and_of_several_chunks(tmp_path, monkeypatch):
    import callwise.csv_text as csv_text

    empty = hostile_frame().head(0)
    for header in (True, False):
        new = write_csv(empty, tmp_path / "e.csv", header=header).read_bytes()
        assert new == _csv_reference(empty, tmp_path, "e_old.csv", header=header, bom=True)
    monkeypatch.setattr(csv_text, "ROWS_PER_CHUNK", 3)
    frame = pd.concat([hostile_frame()] * 2, ignore_index=True)  # chunked Arrow columns too
    assert write_csv(frame, tmp_path / "c.csv").read_bytes() == _csv_reference(
        frame, tmp_path, "c_old.csv", header=True, bom=True
    )


def test_frames_the_arrow_path_leaves_to_pandas_give_the_same_bytes(tmp_path):
    frames = {
        "dates": pd.DataFrame({"d": pd.to_datetime(["2026-07-01", None]), "x": ["=a", "b"]}),
        "mixed": pd.DataFrame({"m": pd.Series([-3, "-2+3"], dtype=object), "x": ["a", "b"]}),
        "one": pd.DataFrame({"a": ["", "=x"]}),
        "nullable": pd.DataFrame({"i": pd.array([1, None], dtype="Int64"), "x": ["a", "b"]}),
    }
    for name, frame in frames.items():
        assert csv_columns(safe_frame(frame)) is None
        new = write_csv(frame, tmp_path / f"{name}.csv").read_bytes()
        assert new == _csv_reference(frame, tmp_path, f"{name}_old.csv", header=True, bom=True)


def test_formula_rule_matches_its_plain_definition():
    values = [v for v in TEXT if v is not None] + ["-1e5", "+.5", "=", "-", "－１２", "-12\n", "@", "\r=1"]
    expected = ["'" + v if re.match(_LEADS, v) and not re.match(_NUMBER, v) else v for v in values]
    for dtype in ("str", object):
        assert formula_safe(pd.Series(values, dtype=dtype)).tolist() == expected
    with_missing = pd.Series([*values, None], dtype=object)
    assert formula_safe(with_missing).tolist()[:-1] == expected


def _cells(path) -> tuple[str, list[list[tuple[object, str]]]]:
    sheet = load_workbook(path).worksheets[0]
    return sheet.title, [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def _xlsx_reference(frame: pd.DataFrame, path, sheet: str, header: list[str] | None):
    safe = safe_frame(frame)
    names = [formula_safe_text(str(h)) for h in header] if header is not None else [str(c) for c in safe.columns]
    return _write_xlsx_openpyxl(safe, path, sheet=sheet, names=names, mode=None)


def test_xlsx_cells_are_what_openpyxl_wrote(tmp_path):
    frame = hostile_frame().assign(category=pd.Series(["a", "=b"] * 10, dtype="category"))
    assert sheet_columns(safe_frame(frame)) is not None
    header = [f"=h{i}" for i in range(frame.shape[1])]
    new = write_xlsx(frame, tmp_path / "new.xlsx", sheet="list 7", header=header)
    old = _xlsx_reference(frame, tmp_path / "old.xlsx", "list 7", header)
    assert _cells(new) == _cells(old)
    title, rows = _cells(new)
    assert title == "list 7" and rows[0][0] == ("'=h0", "s")
    assert all(t != "f" for row in rows for _, t in row)
    assert ("'=1+1", "s") in [row[0] for row in rows]
    assert _cells(write_xlsx(frame, tmp_path / "plain.xlsx")) == _cells(
        _xlsx_reference(frame, tmp_path / "p.xlsx", "Sheet1", None)
    )


def test_xlsx_is_the_same_bytes_for_the_same_cells(tmp_path):
    frame = hostile_frame()
    first = write_xlsx(frame, tmp_path / "a.xlsx").read_bytes()
    assert write_xlsx(frame, tmp_path / "b.xlsx").read_bytes() == first


def dialer_frame(rows: int = 30) -> pd.DataFrame:
    """A day's dialer rows with the columns and kinds ``dialer_rows`` gives."""
    base = {
        "date": ["2026-07-01"] * rows,
        "slot": ["09:00", "09:30", "10:00"] * (rows // 3),
        "slot_tz": ["Asia/Shanghai"] * rows,
        "local_time": ["09:00", "08:30", "10:00"] * (rows // 3),
        "local_tz": ["Asia/Shanghai", "Asia/Urumqi", ""] * (rows // 3),
        "slot_start_local": ["2026-07-01T09:00:00+08:00"] * rows,
        "agent_id": pd.Series(["A0001", None, "@A2"] * (rows // 3), dtype=object),
        "customer_id": [f"C{i:08d}" for i in range(rows)],
        "phone_masked": ["138****8001"] * rows,
        "product_id": ["P_WM01"] * rows,
        "attempt": np.arange(rows) % 3 + 1,
        "condition": ["always", "if_no_answer", "if_no_answer"] * (rows // 3),
        "arm": ["default"] * rows,
        "p_answer": np.linspace(0.1, 0.9, rows).astype(np.float32).round(4),
        "priority": np.arange(rows),
        "script_hint": ["近60天最大单笔流入（元）：123,031", "=HYPERLINK(1)", ""] * (rows // 3),
    }
    frame = pd.DataFrame(base)
    for name in base:
        if name not in ("agent_id", "attempt", "p_answer", "priority"):
            frame[name] = frame[name].astype("str")
    assert tuple(frame.columns) == DIALER_COLUMNS
    return frame


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dialer_xlsx_has_the_same_header_sheet_name_and_cells_in_each_language(tmp_path, lang):
    frame = dialer_frame()
    path = tmp_path / f"calls_{lang}.xlsx"
    _xlsx(frame, path, lang)
    header = [t(f"dialer.{c}", lang) for c in frame.columns]
    old = _xlsx_reference(frame, tmp_path / "old.xlsx", t("dialer.sheet", lang), header)
    assert _cells(path) == _cells(old)
    title, rows = _cells(path)
    assert title == t("dialer.sheet", lang)[:31]
    assert [v for v, _ in rows[0]] == [formula_safe_text(h) for h in header]
    assert rows[2][6][0] is None  # a missing agent is no cell
    assert rows[1][13] == (float("{:.16g}".format(frame["p_answer"].iloc[0])), "n")


def test_a_second_reader_sees_the_same_sheet(tmp_path):
    """calamine (a reader that shares no code with openpyxl) reads the same values from both files."""
    from python_calamine import CalamineWorkbook

    frame = dialer_frame()
    header = [t(f"dialer.{c}", "zh") for c in frame.columns]
    new = write_xlsx(frame, tmp_path / "new.xlsx", sheet=t("dialer.sheet", "zh"), header=header)
    old = _xlsx_reference(frame, tmp_path / "old.xlsx", t("dialer.sheet", "zh"), header)
    books = [CalamineWorkbook.from_path(str(p)) for p in (new, old)]
    assert books[0].sheet_names == books[1].sheet_names == [t("dialer.sheet", "zh")[:31]]
    assert books[0].get_sheet_by_index(0).to_python() == books[1].get_sheet_by_index(0).to_python()


def test_rows_are_joined_as_large_strings_so_long_cells_cannot_pass_arrow_s_2_gb_per_array():
    """A chunk of 200,000 rows of 11,000-character cells is 2.2 GB: past what a ``string`` array holds."""
    from callwise.csv_text import end_to_end, joined

    cells = pa.array(["甲,乙", "x" * 5, None, "丙"], pa.string()).fill_null("")
    rows = joined([cells.slice(1), pa.array(["1", "2", "3"]), pa.scalar("\n")], ",")
    assert rows.type == pa.large_string()
    assert end_to_end(rows.slice(1)) == ",2,\n丙,3,\n".encode()
    assert end_to_end(rows) == "xxxxx,1,\n,2,\n丙,3,\n".encode()
