"""`callwise outcomes import`: a supervisor loads the dialer's daily export; a second load stores nothing new."""

import shutil
from pathlib import Path

import pytest

from callwise.ops.db import transaction
from callwise.ops.models import Customer

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture
def files(migrated, db, tmp_path) -> tuple[Path, Path]:
    with transaction(db) as s:
        s.add_all([Customer(customer_id=f"C0001{i:02d}") for i in range(1, 12) if i != 7])
    for name in ("dialer_export.csv", "dialer_mapping.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "dialer_export.csv", tmp_path / "dialer_mapping.yaml"


def test_import_then_reimport(migrated, files):
    export, mapping = files
    first = migrated.json("outcomes", "import", str(export), "--mapping", str(mapping))
    assert {k: first[k] for k in ("read", "stored", "duplicates", "rejected")} == {
        "read": 12,
        "stored": 7,
        "duplicates": 0,
        "rejected": 5,
    }
    assert first["reasons"] == {
        "bad_time": 1,
        "duplicate_call_id": 1,
        "missing_customer_id": 1,
        "unknown_code": 1,
        "unknown_customer": 1,
    }
    rejects = export.parent / "dialer_export.rejected.csv"
    assert first["rejects_file"] == str(rejects) and len(rejects.read_text(encoding="utf-8-sig").splitlines()) == 6
    again = migrated.json("outcomes", "import", str(export), "--mapping", str(mapping), "--batch", "2")
    assert (again["read"], again["stored"], again["duplicates"], again["rejected"]) == (12, 0, 7, 5)


def test_human_summary_in_both_languages(migrated, files, monkeypatch, tmp_path):
    export, mapping = files
    rejects = tmp_path / "out" / "rejected.csv"
    result = migrated.run("outcomes", "import", str(export), "--mapping", str(mapping), "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "read 12 rows: 7 stored, 0 duplicates (stored before), 5 rejected"
    assert "  1 × the customer is not in the operational database (or was erased) (unknown_customer)" in lines
    assert lines[-1] == f"rejected rows → {rejects}" and rejects.is_file()
    assert not (export.parent / "dialer_export.rejected.csv").exists()
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    zh = migrated.run("outcomes", "import", str(export), "--mapping", str(mapping), "--rejects", str(rejects))
    assert zh.stdout.splitlines()[0] == "读取 12 行：入库 0，重复（此前已入库）7，拒绝 5"
    assert "  1 行：结果代码不在映射表中（unknown_code）" in zh.stdout
    assert "运营数据库中没有该客户" in rejects.read_text(encoding="utf-8-sig")


def test_unusable_files_are_one_sentence_and_store_nothing(migrated, files, tmp_path):
    export, mapping = files
    cases = {
        "no such file": [str(tmp_path / "missing.csv"), "--mapping", str(mapping)],
        "must be a CSV file": [str(mapping), "--mapping", str(mapping)],
        "dialer_mapping.yaml": [str(export), "--mapping", str(tmp_path / "dialer_mapping.yaml") + ".gone"],
    }
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("呼叫编号,客户号\nCL-1,C000101\n", encoding="utf-8")
    cases["column '开始时间' (mapped as start_time) is not in the file"] = [str(wrong), "--mapping", str(mapping)]
    for sentence, args in cases.items():
        result = migrated.run("outcomes", "import", *args)
        assert result.exit_code == 2 and sentence in result.stderr and len(result.stderr.splitlines()) == 1, args
    assert migrated.json("outcomes", "import", str(export), "--mapping", str(mapping))["stored"] == 7


def test_mapping_is_required_and_the_database_must_be_migrated(operator, tmp_path):
    export = tmp_path / "dialer_export.csv"
    shutil.copy(EXAMPLES / "dialer_export.csv", export)
    assert "--mapping" in operator.run("outcomes", "import", str(export)).output
    result = operator.run("outcomes", "import", str(export), "--mapping", str(EXAMPLES / "dialer_mapping.yaml"))
    assert result.exit_code == 2 and "callwise db upgrade" in result.stderr
    assert not (tmp_path / "dialer_export.rejected.csv").exists()
