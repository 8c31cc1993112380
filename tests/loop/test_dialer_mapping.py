"""The dialer mapping file: the example, and every malformed mapping refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from callwise.loop.dialer_mapping import DialerMappingError, load_dialer_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "dialer_mapping.yaml"
COLUMNS = "columns:\n  call_id: 呼叫编号\n  customer_id: 客户号\n  start_time: 开始时间\n  disposition: 结果代码\n"
GOOD = "campaign: T1\n" + COLUMNS + "dispositions:\n  NA: no_answer\n"


def write(tmp_path, text: str | bytes):
    path = tmp_path / "mapping.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_the_example_mapping_loads():
    mapping = load_dialer_mapping(EXAMPLE)
    assert mapping.timezone == "Asia/Shanghai" and mapping.campaign is None
    assert mapping.columns.campaign_id == "任务编号" and mapping.columns.phone == "被叫号码"
    assert mapping.dispositions["NA"] == "no_answer" and mapping.dispositions["未接通"] == "no_answer"
    assert mapping.codes()["ans-int"] == "interested"
    assert len(mapping.sha256) == 64


def test_codes_keep_the_text_they_were_written_as(tmp_path):
    text = GOOD + "  1: answered\n  '01': busy\n  '1.0': refused\n  NULL_CODE: interested\n  'yes': converted\n"
    mapping = load_dialer_mapping(write(tmp_path, text))
    assert mapping.dispositions == {
        "NA": "no_answer",
        "1": "answered",
        "01": "busy",
        "1.0": "refused",
        "NULL_CODE": "interested",
        "yes": "converted",
    }


def test_defaults_and_a_fixed_campaign(tmp_path):
    mapping = load_dialer_mapping(write(tmp_path, GOOD))
    assert mapping.campaign == "T1" and mapping.timezone == "Asia/Shanghai"
    assert mapping.columns.given() == {
        "call_id": "呼叫编号",
        "customer_id": "客户号",
        "start_time": "开始时间",
        "disposition": "结果代码",
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD + "  yes: converted\n", 9, "dialer code 'yes' would not be read as text; put it in quotes"),
        (GOOD + "  ~: converted\n", 9, "dialer code '~' would not be read as text"),
        (GOOD + "  1.5: converted\n", 9, "dialer code '1.5' would not be read as text"),
        (GOOD + "  'Off': converted\n  off: busy\n", 10, "dialer code 'off' would not be read as text"),
        (GOOD + "  na: busy\n", 9, "dialer codes 'NA' and 'na' are the same code"),
        (GOOD + "  'ＮＡ': busy\n", 9, "are the same code"),
        (GOOD + "  '  ': busy\n", 9, "a dialer code cannot be empty"),
        (GOOD + "  XFER: transferred\n", 9, "must be one of"),
        (GOOD.replace("NA: no_answer", "NA: no_answr"), 8, "did you mean 'no_answer'"),
        ("campaign: T1\n" + COLUMNS + "dispositions: {}\n", 7, "dispositions must not be empty"),
        ("campaign: T1\n" + COLUMNS, 1, "'dispositions' is required"),
        (
            "campaign: T1\n" + COLUMNS.replace("  call_id: 呼叫编号\n", "") + "dispositions:\n  NA: busy\n",
            2,
            "'columns.call_id' is required",
        ),
        (
            GOOD.replace("  disposition: 结果代码\n", "  disposition: 结果代码\n  result: 结果\n"),
            7,
            "unknown key 'result'; allowed: call_id",
        ),
        (GOOD.replace("  disposition: 结果代码\n", "  dispositon: 结果代码\n"), 6, "did you mean 'disposition'"),
        (
            GOOD.replace("  disposition: 结果代码\n", "  disposition: 结果代码\n  agent_id: 客户号\n"),
            7,
            "column '客户号' is mapped twice",
        ),
        (GOOD.replace("  disposition: 结果代码\n", "  disposition: ''\n"), 6, "disposition must not be empty"),
        (GOOD.replace("  disposition: 结果代码\n", "  disposition: 7\n"), 6, "disposition must be text, not 7"),
        (COLUMNS + "dispositions:\n  NA: busy\n", 1, "the export's campaign is unknown"),
        (GOOD.replace("  disposition: 结果代码\n", "  disposition: 结果代码\n  campaign_id: 任务\n"), 1, "not both"),
        ("timezone: Asia/Shangai\n" + GOOD, 1, "'Asia/Shangai' is not a time zone name"),
        ("timezone: +08:00\n" + GOOD, 1, "is not a time zone name"),
        ("colour: red\n" + GOOD, 1, "unknown key 'colour'"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("", 1, "the file is empty"),
        ("campaign: T1\ncolumns: [\n", 3, "not valid YAML"),
        ("campaign: 任务一\n".encode("gbk") + GOOD.encode("utf-8"), 1, "not UTF-8"),
    ],
)
def test_malformed_mappings_are_refused_with_line_and_reason(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(DialerMappingError) as info:
        load_dialer_mapping(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message


def test_a_missing_mapping_file(tmp_path):
    with pytest.raises(DialerMappingError, match="dialer mapping file not found"):
        load_dialer_mapping(tmp_path / "nope.yaml")
