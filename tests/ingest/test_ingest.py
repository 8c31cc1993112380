"""Ingesting files: encodings, delimiters, formats, and every ugly case — with nothing lost."""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from callwise.ingest import IngestError, ingest_directory, ingest_files, readers
from callwise.ingest.quarantine import reveal_line
from callwise.lake import Lake
from callwise.security.pii import Pii
from callwise.settings import Settings

HEADER = "customer_id,phone,name,age,consent_marketing,status"
GOOD = ["C1,13800138000,张三,35,是,正常", "C2,+86 139-0013-9000,李四,40,否,active"]


def write(path: Path, lines: list[str], encoding: str = "utf-8", sep: str = ",") -> Path:
    path.write_bytes(("\n".join(line.replace(",", sep) for line in lines) + "\n").encode(encoding))
    return path


def ingest(tmp_path: Path, path: Path, table: str = "customers") -> dict:
    lake = Lake(tmp_path / "lake")
    return ingest_files({table: path}, lake, tmp_path / "quarantine").to_dict()


def lake_rows(tmp_path: Path, table: str = "customers") -> pd.DataFrame:
    return pq.read_table(tmp_path / "lake" / f"{table}.parquet").to_pandas()


def opened(tmp_path: Path, field: str) -> list[str | None]:
    """A PII column of the lake's customers, decrypted with the run's keys (the lake holds only tokens)."""
    pii = Pii.from_settings(Settings())
    rows = lake_rows(tmp_path)
    return [pii.open(c, field, t) for c, t in zip(rows["customer_id"], rows[f"{field}_token"], strict=True)]


def quarantine(tmp_path: Path, table: str = "customers") -> pd.DataFrame:
    return pd.read_csv(tmp_path / "quarantine" / f"{table}.csv", encoding="utf-8-sig", dtype=str)


def assert_nothing_lost(summary: dict, rows_in_file: int) -> None:
    assert summary["read"] == rows_in_file
    assert summary["read"] == summary["accepted"] + summary["quarantined"]
    for table in summary["tables"]:
        assert table["read"] == table["accepted"] + table["quarantined"]
        assert sum(table["reasons"].values()) == table["quarantined"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(tmp_path, encoding):
    path = write(tmp_path / "customers.csv", [HEADER, *GOOD], encoding)
    summary = ingest(tmp_path, path)
    assert_nothing_lost(summary, 2)
    assert opened(tmp_path, "name") == ["张三", "李四"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, sep):
    path = write(tmp_path / "customers.csv", [HEADER, *GOOD], sep=sep)
    ingest(tmp_path, path)
    assert opened(tmp_path, "phone") == ["13800138000", "13900139000"]


def test_utf16_is_refused_with_the_file_named(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(("\n".join([HEADER, *GOOD]) + "\n").encode("utf-16"))
    with pytest.raises(IngestError, match=r"customers\.csv: the file looks like UTF-16"):
        ingest(tmp_path, path)
    assert not (tmp_path / "lake").exists()


def test_undecodable_bytes_are_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(HEADER.encode() + b"\nC1,13800138000,\xff\xfe\xff,35,1,active\n")
    with pytest.raises(IngestError, match="neither UTF-8 nor GBK"):
        ingest(tmp_path, path)


def test_missing_required_column_names_file_and_column_and_writes_nothing(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write(src / "products.csv", ["product_id,category,value_per_conversion", "P1,wealth,800"])
    write(src / "customers.csv", ["customer_id,name,consent_marketing", "C1,张三,1"])
    with pytest.raises(IngestError) as error:
        ingest_directory(src, Lake(tmp_path / "lake"), tmp_path / "quarantine")
    assert "customers.csv" in str(error.value) and "'phone'" in str(error.value)
    assert not (tmp_path / "lake").exists(), "no table may be written when any header is wrong"


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"customers\.csv: the file is empty"):
        ingest(tmp_path, path)
    path.write_bytes(b"\n\n  \n")
    with pytest.raises(IngestError, match="the file is empty"):
        ingest(tmp_path, path)


def test_header_only_gives_an_empty_table(tmp_path):
    path = write(tmp_path / "customers.csv", [HEADER])
    summary = ingest(tmp_path, path)
    assert summary["read"] == 0
    assert len(lake_rows(tmp_path)) == 0


def test_bad_cells_are_quarantined_with_reason_column_and_line(tmp_path):
    lines = [
        HEADER,
        GOOD[0],
        "C2,12345,李四,40,是,active",  # line 3: not a mobile
        "C3,13700137000,王五,abc,是,active",  # line 4: age not a number
        "C4,13700137001,赵六,30,maybe,active",  # line 5: not a yes/no
        ",13700137002,钱七,30,是,active",  # line 6: no customer_id
        "C6,13700137003,孙八,30,是,sleeping",  # line 7: unknown status
        "C7,13700137004,周九",  # line 8: too few fields
        "C8,13700137005,吴十,30,是,active,extra",  # line 9: too many fields
    ]
    summary = ingest(tmp_path, write(tmp_path / "customers.csv", lines))
    assert_nothing_lost(summary, 8)
    assert summary["accepted"] == 1
    q = quarantine(tmp_path)
    assert q[["line", "reason", "column"]].fillna("").values.tolist() == [
        ["3", "bad_phone", "phone"],
        ["4", "bad_int", "age"],
        ["5", "bad_bool", "consent_marketing"],
        ["6", "missing_value", "customer_id"],
        ["7", "bad_enum", "status"],
        ["8", "malformed_row", ""],
        ["9", "malformed_row", ""],
    ]
    assert q["raw"].tolist()[0] == "C2,****,李**,40,是,active"  # PII cells masked, the reason still visible
    assert q["raw"].tolist()[1] == "C3,137****7000,王**,abc,是,active"
    assert pd.isna(q["raw"].tolist()[-1])  # a malformed line cannot be masked cell by cell: withheld
    cipher = Pii.from_settings(Settings()).cipher
    assert reveal_line(tmp_path / "quarantine" / "customers.csv", 3, cipher) == "C2,12345,李四,40,是,active"
    assert reveal_line(tmp_path / "quarantine" / "customers.csv", 9, cipher) == "C8,13700137005,吴十,30,是,active,extra"


def test_duplicate_keys_keep_the_last_row(tmp_path):
    lines = [HEADER, "C1,13800138000,旧名,35,是,active", GOOD[1], "C1,13800138001,新名,36,是,active"]
    summary = ingest(tmp_path, write(tmp_path / "customers.csv", lines))
    assert_nothing_lost(summary, 3)
    assert opened(tmp_path, "name") == ["李四", "新名"]
    q = quarantine(tmp_path)
    assert q[["line", "reason"]].values.tolist() == [["2", "duplicate_key"]]
    assert q["raw"].iloc[0] == "C1,138****8000,旧**,35,是,active"


def test_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path):
    lines = [HEADER, GOOD[0], "", "", "C9,bad-phone,x,1,是,active"]
    summary = ingest(tmp_path, write(tmp_path / "customers.csv", lines))
    assert summary["read"] == 2
    assert quarantine(tmp_path)["line"].tolist() == ["5"]


def test_extra_columns_are_kept_as_text(tmp_path):
    lines = ["customer_id,phone,consent_marketing,VIP Level", "C1,13800138000,1,金卡"]
    ingest(tmp_path, write(tmp_path / "customers.csv", lines))
    assert lake_rows(tmp_path)["vip_level"].tolist() == ["金卡"]


def test_duplicate_header_columns_are_refused(tmp_path):
    lines = ["customer_id,phone,Phone,consent_marketing", "C1,13800138000,13800138000,1"]
    with pytest.raises(IngestError, match="'phone' appears more than once"):
        ingest(tmp_path, write(tmp_path / "customers.csv", lines))


def test_xlsx_input(tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "phone": [13800138000, "139 0013 9000"],
            "consent_marketing": ["是", "否"],
            "birth_date": [pd.Timestamp("1990-03-05"), "1985年2月3日"],
        }
    )
    path = tmp_path / "customers.xlsx"
    frame.to_excel(path, index=False)
    summary = ingest(tmp_path, path)
    assert_nothing_lost(summary, 2)
    rows = lake_rows(tmp_path)
    assert opened(tmp_path, "phone") == ["13800138000", "13900139000"]
    assert [str(d) for d in rows["birth_date"]] == ["1990-03-05", "1985-02-03"]


def test_parquet_input_keeps_types_and_still_checks(tmp_path):
    frame = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "phone": ["13800138000", "bad"], "consent_marketing": [True, False]}
    )
    path = tmp_path / "customers.parquet"
    frame.to_parquet(path)
    summary = ingest(tmp_path, path)
    assert summary["accepted"] == 1 and summary["reasons"] == {"bad_phone": 1}
    assert quarantine(tmp_path)["line"].tolist() == ["2"]


def test_a_file_larger_than_one_batch_streams_and_counts_lines_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 4096)  # force many batches on a small file
    rows = [f"C{i},t{i},2025-01-0{1 + i % 9} 10:00:00,{i}.5" for i in range(20_000)]
    bad_at = {500: "C500,t500,not-a-date,1", 12_345: "C12345,t12345,2025-01-01", 19_999: "oops"}
    for i, line in bad_at.items():
        rows[i] = line
    path = write(tmp_path / "transactions.csv", ["customer_id,note,ts,amount", *rows])
    summary = ingest(tmp_path, path, "transactions")
    assert_nothing_lost(summary, 20_000)
    assert summary["accepted"] == 20_000 - 3
    q = quarantine(tmp_path, "transactions")
    assert q[["line", "reason"]].values.tolist() == [
        ["502", "bad_datetime"],
        ["12347", "malformed_row"],
        ["20001", "malformed_row"],
    ]


def test_directory_finds_tables_and_reports_other_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write(src / "customers.csv", [HEADER, *GOOD])
    write(src / "products.csv", ["product_id,category,value_per_conversion", "P1,理财,800", "P2,wealth,800"])
    (src / "notes.txt").write_text("not a table")
    summary = ingest_directory(src, Lake(tmp_path / "lake"), tmp_path / "quarantine").to_dict()
    assert summary["skipped"] == ["notes.txt"]
    assert {t["table"]: t["quarantined"] for t in summary["tables"]} == {"customers": 0, "products": 1}


def test_a_table_given_twice_is_refused(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write(src / "customers.csv", [HEADER, *GOOD])
    write(src / "customers.txt", [HEADER, *GOOD])
    with pytest.raises(IngestError, match="given twice"):
        ingest_directory(src, Lake(tmp_path / "lake"), tmp_path / "quarantine")


def test_a_directory_without_tables_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no file is named after a table"):
        ingest_directory(tmp_path, Lake(tmp_path / "lake"), tmp_path / "quarantine")


def test_rerun_replaces_the_table_and_the_old_quarantine(tmp_path):
    path = write(tmp_path / "customers.csv", [HEADER, GOOD[0], "C2,bad,李四,40,否,active"])
    ingest(tmp_path, path)
    assert (tmp_path / "quarantine" / "customers.csv").exists()
    write(path, [HEADER, *GOOD])
    ingest(tmp_path, path)
    assert len(lake_rows(tmp_path)) == 2
    assert not (tmp_path / "quarantine" / "customers.csv").exists()
    assert [p.name for p in (tmp_path / "lake").iterdir()] == ["customers.parquet"]  # no temporary files left
