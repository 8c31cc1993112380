"""Dialer exports: the example, every encoding the ingest reader knows, and every ugly row explained."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from callwise.loop.dialer_import import OUTCOME_SCHEMA, REASONS, DialerImportError, read_dialer_export
from callwise.loop.dialer_mapping import load_dialer_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MAPPING = ROOT / "docs" / "examples" / "dialer_mapping.yaml"
EXAMPLE_EXPORT = ROOT / "docs" / "examples" / "dialer_export.csv"
MAPPING = load_dialer_mapping(EXAMPLE_MAPPING)
HEADER = "呼叫编号,任务编号,客户号,被叫号码,开始时间,通话时长,结果代码,坐席工号,预约回拨时间\n"


def export(tmp_path, rows: str, header: str = HEADER, encoding: str = "utf-8", name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((header + rows).encode(encoding))
    return path


def row(call="CL-1", campaign="T1", customer="C1", phone="13800130101", start="2026-07-01 10:00:00", duration="60",
        code="ANS-INT", agent="A1", callback="") -> str:  # fmt: skip
    return ",".join([call, campaign, customer, phone, start, duration, code, agent, callback]) + "\n"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def reasons(result) -> list[tuple[int, str]]:
    rejected = result.rejected
    return list(zip(rejected.column("line").to_pylist(), rejected.column("reason").to_pylist(), strict=True))


def test_the_example_export():
    result = read_dialer_export(EXAMPLE_EXPORT, EXAMPLE_MAPPING)
    assert result.read == 12 and result.outcomes.num_rows == 8 and result.rejected.num_rows == 4
    assert result.outcomes.schema.equals(OUTCOME_SCHEMA)
    assert reasons(result) == [
        (6, "duplicate_call_id"),
        (10, "missing_customer_id"),
        (11, "bad_time"),
        (12, "unknown_code"),
    ]
    out = {r["call_id"]: r for r in result.outcomes.to_pylist()}
    first = out["CL-0001"]
    assert first["idempotency_key"] == "dialer:T202607:CL-0001"
    assert (first["customer_id"], first["campaign_id"], first["agent_id"]) == ("C000101", "T202607", "A017")
    assert first["ts"] == utc(2026, 7, 1, 1, 5, 12)  # 09:05:12 in Shanghai
    assert (first["disposition"], first["duration_s"], first["phone"]) == ("interested", 221.0, "13800130101")
    assert out["CL-0002"]["disposition"] == "no_answer" and out["CL-0002"]["dialer_code"] == "NA"
    assert out["CL-0002"]["phone"] == "13900130102"  # +86 139-0013-0102
    assert out["CL-0003"]["callback_at"] == utc(2026, 7, 2, 6, 30) and out["CL-0003"]["ts"] == utc(2026, 7, 1, 1, 10)
    assert out["CL-0004"]["disposition"] == "no_answer"  # 未接通
    assert out["CL-0008"]["disposition"] == "dnc_requested"  # ans-dnc, matched ignoring case
    assert out["CL-0005"]["line"] == 13  # the duplicate's last row wins
    summary = result.summary()
    assert summary["read"] == summary["accepted"] + summary["rejected"]
    assert summary["unknown_codes"] == {"XFER": 1} and summary["encoding"] == "utf-8"
    assert summary["mapping_sha256"] == MAPPING.sha256
    assert result.rejected.column("column").to_pylist() == ["呼叫编号", "客户号", "开始时间", "结果代码"]
    assert result.rejected.column("raw").to_pylist()[2].startswith("CL-0010,T202607,C000110,")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_gb18030_and_bom_exports_read_the_same_as_utf8(tmp_path, encoding):
    text = EXAMPLE_EXPORT.read_text(encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    result = read_dialer_export(path, MAPPING)
    reference = read_dialer_export(EXAMPLE_EXPORT, MAPPING)
    assert result.outcomes.equals(reference.outcomes) and result.rejected.equals(reference.rejected)
    assert result.encoding == ("utf-8-sig" if encoding == "utf-8-sig" else "gb18030")


def test_utf16_and_unreadable_bytes_are_refused_naming_the_file(tmp_path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((HEADER + row()).encode("utf-16"))
    with pytest.raises(DialerImportError, match=r"utf16\.csv: the file looks like UTF-16"):
        read_dialer_export(utf16, MAPPING)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(HEADER.encode("utf-8") + b"\x80\x80\xff,\xfe\n")
    with pytest.raises(DialerImportError, match=r"junk\.csv: the text encoding is neither UTF-8 nor GBK"):
        read_dialer_export(junk, MAPPING)


def test_a_missing_column_is_named_with_its_mapping_field(tmp_path):
    path = export(tmp_path, "", header=HEADER.replace("开始时间", "开始"))
    with pytest.raises(DialerImportError) as info:
        read_dialer_export(path, MAPPING)
    message = str(info.value)
    assert message.startswith(f"{path}: column '开始时间' (mapped as start_time) is not in the file")
    assert "its columns are: 呼叫编号, 任务编号, 客户号, 被叫号码, 开始, " in message


def test_a_mapped_column_written_twice_in_the_header_is_refused(tmp_path):
    path = export(tmp_path, "", header=HEADER.replace("坐席工号", "客户号"))
    with pytest.raises(DialerImportError, match="column '客户号' \\(mapped as customer_id\\) appears twice"):
        read_dialer_export(path, MAPPING)


def test_header_names_match_ignoring_case_width_and_spaces(tmp_path):
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        "campaign: T9\ncolumns:\n  call_id: Call ID\n  customer_id: CUST\n  start_time: Start\n"
        "  disposition: Result\ndispositions:\n  NA: no_answer\n",
        encoding="utf-8",
    )
    path = export(tmp_path, "7, c1 ,2026-07-01 10:00,na\n", header=" call id ,ＣＵＳＴ,START,result\n")
    result = read_dialer_export(path, mapping_path)
    [out] = result.outcomes.to_pylist()
    assert (out["idempotency_key"], out["customer_id"], out["campaign_id"]) == ("dialer:T9:7", "c1", "T9")
    assert out["agent_id"] is None and out["duration_s"] is None and out["phone"] is None


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DialerImportError, match=r"empty\.csv: the file is empty"):
        read_dialer_export(empty, MAPPING)
    result = read_dialer_export(export(tmp_path, ""), MAPPING)
    assert result.read == 0 and result.outcomes.schema.equals(OUTCOME_SCHEMA) and result.rejected.num_rows == 0
    blank_only = read_dialer_export(export(tmp_path, "\n\n", name="blank.csv"), MAPPING)
    assert blank_only.read == 0


def test_not_a_csv_and_no_such_file(tmp_path):
    with pytest.raises(DialerImportError, match=r"must be a CSV file"):
        read_dialer_export(tmp_path / "export.xlsx", MAPPING)
    with pytest.raises(DialerImportError, match=r"nope\.csv: no such file"):
        read_dialer_export(tmp_path / "nope.csv", MAPPING)


def test_duplicate_call_ids_keep_the_last_usable_row(tmp_path):
    rows = (
        row(call="CL-1", code="ANS-OK")
        + row(call="CL-2")
        + row(call="CL-1", code="ANS-BUY")
        + row(call="CL-2", start="bad")  # unusable: it replaces nothing
        + row(call="CL-1", campaign="T2")  # another campaign's CL-1 is another call
    )
    result = read_dialer_export(export(tmp_path, rows), MAPPING)
    assert reasons(result) == [(2, "duplicate_call_id"), (5, "bad_time")]
    out = {r["idempotency_key"]: (r["disposition"], r["line"]) for r in result.outcomes.to_pylist()}
    assert out == {
        "dialer:T1:CL-1": ("converted", 4),
        "dialer:T1:CL-2": ("interested", 3),
        "dialer:T2:CL-1": ("interested", 6),
    }


def test_keys_cannot_be_read_two_ways(tmp_path):
    rows = row(call="b", campaign="a:x") + row(call="x:b", campaign="a") + row(call="5%", campaign="a")
    keys = read_dialer_export(export(tmp_path, rows), MAPPING).outcomes.column("idempotency_key").to_pylist()
    assert keys == ["dialer:a%3Ax:b", "dialer:a:x%3Ab", "dialer:a:5%25"]


def test_codes_that_look_like_missing_values_are_codes(tmp_path):
    mapping = tmp_path / "m.yaml"
    text = EXAMPLE_MAPPING.read_text(encoding="utf-8") + "  'NULL': busy\n  'N/A': refused\n"
    mapping.write_text(text, encoding="utf-8")
    rows = row(call="1", code="NA") + row(call="2", code="NULL") + row(call="3", code="N/A") + row(call="4", code="")
    result = read_dialer_export(export(tmp_path, rows), mapping)
    assert result.outcomes.column("disposition").to_pylist() == ["no_answer", "busy", "refused"]
    assert reasons(result) == [(5, "missing_code")]


def test_unknown_codes_are_counted_for_the_mapping_owner(tmp_path):
    rows = row(call="1", code="XFER") + row(call="2", code="XFER") + row(call="3", code="ANS-？")
    result = read_dialer_export(export(tmp_path, rows), MAPPING)
    assert [r for _, r in reasons(result)] == ["unknown_code"] * 3
    assert result.unknown_codes == {"XFER": 2, "ANS-?": 1}


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-07-01 10:00:00", utc(2026, 7, 1, 2, 0)),
        ("2026/7/1 10:00", utc(2026, 7, 1, 2, 0)),
        ("2026年7月1日 10时05分", utc(2026, 7, 1, 2, 5)),
        ("20260701100000", utc(2026, 7, 1, 2, 0)),
        ("2026-07-01T10:00:00", utc(2026, 7, 1, 2, 0)),
        ("２０２６-０７-０１ １０:００", utc(2026, 7, 1, 2, 0)),
        ("2026-07-01T10:00:00+08:00", utc(2026, 7, 1, 2, 0)),
        ("2026-07-01T10:00:00Z", utc(2026, 7, 1, 10, 0)),
        ("2026-07-01 10:00:00.250", utc(2026, 7, 1, 2, 0)),  # milliseconds are dropped
        ("2026-07-01T10:00:00.250+08:00", utc(2026, 7, 1, 2, 0)),
    ],
)
def test_timestamps_in_common_spellings(tmp_path, start, expected):
    result = read_dialer_export(export(tmp_path, row(start=start)), MAPPING)
    assert result.rejected.num_rows == 0, result.rejected.to_pylist()
    assert result.outcomes.column("ts").to_pylist() == [expected]


@pytest.mark.parametrize(
    "start",
    ["2026-13-01 10:00", "2026-07-01 25:61:00", "yesterday", "2026-07-01", "20260701", "10:00", "2026-02-30 10:00"],
)
def test_malformed_or_date_only_start_times_are_bad_time(tmp_path, start):
    result = read_dialer_export(export(tmp_path, row(start=start)), MAPPING)
    assert reasons(result) == [(2, "bad_time")] and result.outcomes.num_rows == 0


def test_timestamps_are_read_on_the_exports_clock(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        EXAMPLE_MAPPING.read_text(encoding="utf-8").replace("timezone: Asia/Shanghai", "timezone: Europe/London"),
        encoding="utf-8",
    )
    result = read_dialer_export(export(tmp_path, row(start="2026-07-01 10:00", callback="2026-12-01 10:00")), mapping)
    [out] = result.outcomes.to_pylist()
    assert out["ts"] == utc(2026, 7, 1, 9, 0) and out["callback_at"] == utc(2026, 12, 1, 10, 0)  # BST, then GMT


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"call": ""}, "missing_call_id"),
        ({"customer": "  "}, "missing_customer_id"),
        ({"campaign": ""}, "missing_campaign_id"),
        ({"code": ""}, "missing_code"),
        ({"start": ""}, "missing_time"),
        ({"callback": "tomorrow"}, "bad_callback_time"),
        ({"duration": "-5"}, "bad_duration"),
        ({"duration": "abc"}, "bad_duration"),
        ({"duration": "1:75"}, "bad_duration"),
        ({"duration": "0:61:00"}, "bad_duration"),
        ({"phone": "12345"}, "bad_phone"),
        ({"customer": "", "code": "XFER", "start": "bad"}, "missing_customer_id"),  # the first problem is named
    ],
)
def test_each_unusable_row_has_one_reason(tmp_path, changes, reason):
    result = read_dialer_export(export(tmp_path, row(**{"call": "CL-9", **changes}) + row()), MAPPING)
    assert reasons(result) == [(2, reason)] and result.outcomes.num_rows == 1
    assert reason in REASONS


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("83", 83.0), ("83.5", 83.5), ("83秒", 83.0), ("83 s", 83.0), ("1:23", 83.0), ("0:01:23", 83.0), ("", None)],
)
def test_durations(tmp_path, duration, seconds):
    result = read_dialer_export(export(tmp_path, row(duration=duration)), MAPPING)
    assert result.outcomes.column("duration_s").to_pylist() == [seconds]


def test_malformed_and_blank_lines_keep_every_line_number_right(tmp_path):
    rows = row(call="1") + "\n" + "only,three,fields\n" + row(call="2") + "\n\n" + row(call="3", code="XFER")
    result = read_dialer_export(export(tmp_path, rows), MAPPING)
    assert reasons(result) == [(4, "malformed_row"), (8, "unknown_code")]
    assert result.rejected.column("raw").to_pylist()[0] is None  # cannot be masked cell by cell: withheld
    assert result.rejected.column("original").to_pylist()[0] == "only,three,fields"  # sealed into the file
    assert result.outcomes.column("line").to_pylist() == [2, 5]
    assert result.read == 4  # blank lines are layout, not rows


def test_a_fixed_campaign_from_the_mapping(tmp_path):
    mapping = tmp_path / "m.yaml"
    text = EXAMPLE_MAPPING.read_text(encoding="utf-8").replace("  campaign_id: 任务编号", "  # none")
    mapping.write_text("campaign: C2026-07\n" + text, encoding="utf-8")
    result = read_dialer_export(export(tmp_path, row(campaign="ignored")), mapping)
    assert result.outcomes.column("idempotency_key").to_pylist() == ["dialer:C2026-07:CL-1"]


def test_semicolon_delimited_exports(tmp_path):
    path = export(tmp_path, row().replace(",", ";"), header=HEADER.replace(",", ";"))
    assert read_dialer_export(path, MAPPING).outcomes.num_rows == 1


def test_nothing_is_lost_whatever_the_rows(tmp_path):
    import random

    rng = random.Random(7)
    pieces = {
        "call": ["CL-1", "CL-2", "", "CL-3"],
        "customer": ["C1", "", "C2"],
        "start": ["2026-07-01 10:00", "bad", "", "2026-07-01"],
        "duration": ["60", "-1", "", "1:00"],
        "code": ["NA", "ANS-INT", "XFER", ""],
        "phone": ["13800130101", "123", ""],
        "callback": ["", "2026-07-02 10:00", "later"],
    }
    rows = "".join(row(**{k: rng.choice(v) for k, v in pieces.items()}) for _ in range(300))
    rows += "too,few\n" * 5
    result = read_dialer_export(export(tmp_path, rows), MAPPING)
    assert result.read == 305 == result.outcomes.num_rows + result.rejected.num_rows
    lines = result.outcomes.column("line").to_pylist() + result.rejected.column("line").to_pylist()
    assert sorted(lines) == list(range(2, 307))
    assert set(result.rejected.column("reason").to_pylist()) <= set(REASONS)
    keys = result.outcomes.column("idempotency_key")
    assert len(pa.compute.unique(keys)) == len(keys)


def test_mapping_may_be_given_as_a_path():
    assert read_dialer_export(EXAMPLE_EXPORT, str(EXAMPLE_MAPPING)).outcomes.num_rows == 8
