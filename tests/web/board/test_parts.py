"""The pieces of every page: exports that open and cannot run formulas, formats in the reader's locale, sparklines."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from callwise.web.ui.fmt import Formatter
from callwise.web.ui.parts import Table, Tile, export_response
from callwise.web.ui.session import BoardError

ZONE = "Asia/Shanghai"
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "＝1+1", "\tx", "普通"]


def hostile_table() -> Table:
    rows = [{"name": text, "calls": i, "rate": -0.5 + i / 10} for i, text in enumerate(HOSTILE)]
    return Table(
        "hostile",
        [("name", "board.filter.campaign"), ("calls", "board.filter.team"), ("rate", "board.filter.product")],
        rows,
    )


def test_a_csv_export_opens_and_no_text_cell_starts_a_formula():
    answer = export_response(hostile_table(), "csv", "en", "campaigns", ZONE)
    assert answer.headers["content-disposition"] == 'attachment; filename="campaigns.csv"'
    text = answer.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Campaign", "Team", "Product"]
    names = [row[0] for row in rows[1:]]
    assert all(not name.startswith(("=", "+", "-", "@", "＝", "\t")) for name in names)
    assert names[-1] == "普通" and rows[1][1] == "0" and rows[1][2] == "-0.5"  # numbers stay numbers


def test_an_xlsx_export_keeps_numbers_as_numbers_and_text_as_text(tmp_path):
    answer = export_response(hostile_table(), "xlsx", "zh", "活动/../x", ZONE)
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"______x.xlsx\"; filename*=UTF-8''%E6%B4%BB%E5%8A%A8____x.xlsx"
    )
    path = tmp_path / "x.xlsx"
    path.write_bytes(answer.body)
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("活动", "团队", "产品")
    assert all(isinstance(row[1], int) and isinstance(row[2], int | float) for row in values[1:])
    assert all(isinstance(row[0], str) and not row[0].startswith(("=", "+", "@")) for row in values[1:])


def test_an_empty_table_exports_its_header():
    empty = Table("none", [("name", "board.filter.campaign")], [])
    assert export_response(empty, "csv", "en", "x", ZONE).body.decode("utf-8-sig").strip() == "Campaign"


def test_an_unknown_export_format_is_not_found():
    with pytest.raises(BoardError) as refused:
        export_response(hostile_table(), "exe", "en", "x", ZONE)
    assert refused.value.status == 404


def test_formats_follow_the_readers_language_and_the_banks_time_zone():
    zh, en = Formatter("zh"), Formatter("en")
    assert zh.num(1234567.891, 1) == en.num(1234567.891, 1) == "1,234,567.9"
    assert zh.pct(0.1234) == "12.3%" and zh.signed(-12) == "−12" and zh.signed(3) == "+3"
    assert zh.date(date(2026, 12, 2)) == "2026年12月2日" and en.date(date(2026, 12, 2)) == "2 Dec 2026"
    late = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 01:30 the next day in Shanghai
    assert zh.date(late) == "2026年12月2日"
    assert zh.money(12345.6).startswith("¥") and "12,346" in en.money(12345.6)
    assert {zh.num(None), zh.pct(float("nan")), en.date(None)} == {"—"}


def test_a_sparkline_spans_its_box_and_needs_two_points():
    assert Tile("x", "1", trend=[1.0]).sparkline() == ""
    points = Tile("x", "1", trend=[0.0, 5.0, 10.0]).sparkline(width=100, height=20).split()
    assert points[0] == "0.0,20.0" and points[-1] == "100.0,0.0"
    assert Tile("x", "1", trend=[3.0, 3.0]).sparkline(height=20).split()[0].endswith(",20.0")


def test_zoned_times_export_on_the_banks_clock(tmp_path):
    when = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    table = Table("times", [("at", "board.filter.from")], [{"at": when}])
    csv_text = export_response(table, "csv", "en", "x", ZONE).body.decode("utf-8-sig")
    assert "2026-12-02 01:30:00" in csv_text
    path = tmp_path / "t.xlsx"
    path.write_bytes(export_response(table, "xlsx", "en", "x", ZONE).body)
    assert openpyxl.load_workbook(path).active["A2"].value == datetime(2026, 12, 2, 1, 30)
