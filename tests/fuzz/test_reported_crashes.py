"""Each crash fuzzing found, on its own: a huge header, a 10 MB line, a year-1 call time, a file cut inside a
character, NUL and undecodable bytes, a campaign key written twice, a YAML anchor bomb."""

from __future__ import annotations

from pathlib import Path

import pytest

from callwise.ingest import IngestError, ingest_files
from callwise.lake import Lake
from callwise.lists.campaign import CampaignError, load_campaign
from callwise.loop.dialer_import import DialerImportError, read_dialer_export
from callwise.loop.dialer_mapping import DialerMappingError, load_dialer_mapping
from callwise.loop.rules import FollowupRulesError, load_followup_rules
from callwise.policy import PolicyError, load_policy
from tests.fuzz.mutations import BOMB

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "docs" / "examples" / "dialer_mapping.yaml"
HEADER = "customer_id,phone,name,birth_date,consent_marketing"
EXPORT_HEADER = "呼叫编号,任务编号,客户号,被叫号码,开始时间,通话时长,结果代码,坐席工号,预约回拨时间"


def customers(tmp_path: Path, data: bytes) -> dict:
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    summary = ingest_files({"customers": path}, Lake(tmp_path / "lake"), tmp_path / "quarantine").to_dict()
    assert summary["read"] == summary["accepted"] + summary["quarantined"]
    return summary


def export(tmp_path: Path, rows: list[str], header: str = EXPORT_HEADER) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def call(call_id: str = "CL-1", start: str = "2026-07-01 09:00:00", agent: str = "A1") -> str:
    return f"{call_id},T1,C1,13800130101,{start},60,ANS-INT,{agent},"


def test_a_header_longer_than_the_csv_modules_limit_is_one_sentence(tmp_path):
    data = f"{HEADER},{'x' * 200_000}\nC1,13800138000,张三,1980-01-01,是,1\n".encode()
    with pytest.raises(IngestError, match=r"customers\.csv: line 1, column 6: a column name is longer than 1,000"):
        customers(tmp_path, data)
    path = export(tmp_path, [call()], header=f"{EXPORT_HEADER},{'x' * 200_000}")
    with pytest.raises(DialerImportError, match=r"export\.csv: line 1, column 10"):
        read_dialer_export(path, MAPPING)


def test_a_10_mb_line_quarantines_that_row_only(tmp_path):
    rows = [HEADER, "C1,13800138000,张三,1980-01-01,是", f"C2,13800138001,{'y' * 10_000_000},1980-01-01,是"]
    summary = customers(tmp_path, ("\n".join([*rows, "C3,13800138002,李四,1981-02-03,否"]) + "\n").encode())
    assert (summary["accepted"], summary["reasons"]) == (2, {"field_too_large": 1})
    result = read_dialer_export(export(tmp_path, [call(), call("CL-2", agent="a" * 10_000_000)]), MAPPING)
    assert result.outcomes.num_rows == 1
    assert result.rejected.to_pylist()[0] | {"raw": None, "original": None} == {
        "line": 3,
        "reason": "field_too_large",
        "column": "坐席工号",
        "raw": None,
        "original": None,
    }


def test_a_call_in_year_1_is_a_bad_time_not_an_overflow(tmp_path, db_engine):
    from callwise.ops.db import session_factory
    from callwise.ops.outcome_import import import_dialer_outcomes

    path = export(tmp_path, [call("CL-1", "0001-01-01 00:00:00"), call("CL-2", "9999-12-31 23:59:59")])
    result = import_dialer_outcomes(session_factory(db_engine), path, MAPPING)
    assert result.read == 2 and result.summary()["reasons"] == {"bad_time": 2}


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-30", "9999-12-31", "0000-00-00"])
def test_placeholder_dates_are_bad_dates(tmp_path, value):
    summary = customers(tmp_path, f"{HEADER}\nC1,13800138000,张三,{value},是\n".encode())
    assert summary["reasons"] == {"bad_date": 1}


def test_a_file_cut_inside_a_character_loses_only_that_row(tmp_path):
    whole = f"{HEADER}\nC1,13800138000,张三,1980-01-01,是\nC2,13800138001,李四,1981-02-03,否".encode()
    summary = customers(tmp_path, whole[:-1])  # the last character 否 is cut after its first byte
    assert (summary["accepted"], summary["reasons"]) == (1, {"bad_encoding": 1})
    ragged = f"{HEADER}\nC1,13800138000,张三,1980-01-01,是\nC2,13800138001,李四".encode()[:-1]
    summary = customers(tmp_path, ragged)  # cut, and too few fields: no "Exception ignored" from the parser
    assert (summary["accepted"], summary["reasons"]) == (1, {"malformed_row": 1})


def test_undecodable_bytes_and_nul_in_a_cell_are_bad_encoding(tmp_path):
    rows = [f"C{i},138001380{i:02d},张三丰{i},1980-01-01,是".encode() for i in range(30)]
    rows[3] = rows[3].replace("张三丰3".encode(), b"\xff\xfe")  # a damaged file, not one in another encoding
    rows[5] = rows[5].replace("张三丰5".encode(), b"a\x00b")
    summary = customers(tmp_path, b"\n".join([HEADER.encode(), *rows]) + b"\n")
    assert (summary["accepted"], summary["reasons"]) == (28, {"bad_encoding": 2})


def test_a_campaign_key_written_twice_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("campaign_id: w\nproduct_id: P1\ndate: 2026-07-01\ncapacity: 100\ncapacity: 5000\n", "utf-8")
    with pytest.raises(CampaignError, match=r"c\.yaml:5: key 'capacity' is written twice"):
        load_campaign(path)


def test_a_yaml_anchor_bomb_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(BOMB + "name: p\nversion: 1\nbomb: *i\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"policy\.yaml:\d+: the document expands to more than 100,000 values"):
        load_policy(path)


YAML_LOADERS = {  # every kind of YAML file a user writes goes through the one loader (callwise.yamlfile)
    "policy": (load_policy, PolicyError),
    "campaign": (load_campaign, CampaignError),
    "rules": (load_followup_rules, FollowupRulesError),
    "mapping": (load_dialer_mapping, DialerMappingError),
}


@pytest.mark.parametrize("kind", sorted(YAML_LOADERS))
@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"name: x\nnote: '" + b"x" * (1 << 20) + b"'\n", r":1: larger than 1 MB"),
        (b"[" * 5_000 + b"]" * 5_000 + b"\n", r":1: the document is nested too deeply"),
        (b"name: x\nversion: 1\nnote: a\x00b\n", r":3: the control character #x0000 is not allowed in YAML"),
        (b"\n", r":1: the file is empty"),
        (b"name: x\n\xff\xfe: 1\n", r":2: the file is not UTF-8 text"),
    ],
    ids=["too_large", "too_deep", "nul", "empty", "not_utf8"],
)
def test_every_yaml_file_refuses_what_it_cannot_read_in_one_sentence_with_the_line(tmp_path, kind, content, sentence):
    load, error = YAML_LOADERS[kind]
    path = tmp_path / f"{kind}.yaml"
    path.write_bytes(content)
    with pytest.raises(error, match=rf"{kind}\.yaml{sentence}"):
        load(path)
