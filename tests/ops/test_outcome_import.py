"""A dialer's export into the operational DB: every row stored, a duplicate or rejected, and stored only once."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from callwise.loop import DialerImportError, DialerMappingError
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import CallOutcome, Conversion, Customer
from callwise.ops.outcome_import import default_rejects_path, import_dialer_outcomes, write_rejects

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
KNOWN = [f"C0001{i:02d}" for i in range(1, 12) if i != 7]  # C000107 (the complaint) is not in the database


@pytest.fixture
def factory(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add_all([Customer(customer_id=cid, consent_marketing=True) for cid in KNOWN])
    return factory


@pytest.fixture
def export(tmp_path) -> tuple[Path, Path]:
    for name in ("dialer_export.csv", "dialer_mapping.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "dialer_export.csv", tmp_path / "dialer_mapping.yaml"


def test_the_example_export_is_accounted_for_row_by_row(factory, export):
    result = import_dialer_outcomes(factory, *export, batch=3)
    assert (result.read, result.stored, result.duplicates, result.rejected.num_rows) == (12, 7, 0, 5)
    assert result.read == result.stored + result.duplicates + result.rejected.num_rows
    rejected = result.rejected.to_pylist()
    assert [(r["line"], r["reason"], r["column"]) for r in rejected] == [
        (6, "duplicate_call_id", "呼叫编号"),
        (8, "unknown_customer", "客户号"),
        (10, "missing_customer_id", "客户号"),
        (11, "bad_time", "开始时间"),
        (12, "unknown_code", "结果代码"),
    ]
    assert "C000107" in rejected[1]["detail"] and rejected[0]["raw"].startswith("CL-0005,")
    with factory() as s:
        rows = s.scalars(select(CallOutcome).order_by(CallOutcome.idempotency_key)).all()
        assert {r.source for r in rows} == {"import"} and len(rows) == 7
        assert s.get(Customer, "C000108").dnc is True  # ans-dnc took effect with the outcome
        assert s.scalar(select(Conversion.customer_id)) == "C000105"
        callback = s.scalars(select(CallOutcome).where(CallOutcome.customer_id == "C000103")).one()
        assert callback.callback_at.isoformat() == "2026-07-02T06:30:00+00:00" and callback.duration_s == 95


def test_importing_the_same_file_again_stores_nothing_new(factory, export):
    import_dialer_outcomes(factory, *export)
    again = import_dialer_outcomes(factory, *export, batch=2)
    assert (again.read, again.stored, again.duplicates, again.rejected.num_rows) == (12, 0, 7, 5)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(CallOutcome)) == 7
        assert s.scalar(select(func.count()).select_from(Conversion)) == 1


def test_a_customer_added_later_is_stored_by_the_next_import(factory, export):
    import_dialer_outcomes(factory, *export)
    with transaction(factory) as s:
        s.add(Customer(customer_id="C000107"))
    again = import_dialer_outcomes(factory, *export)
    assert (again.stored, again.duplicates, again.rejected.num_rows) == (1, 7, 4)
    with factory() as s:
        assert s.get(Customer, "C000107").complaint_at is not None


def test_a_gbk_export_reads_the_same(factory, export, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(export[0].read_text(encoding="utf-8").encode("gbk"))
    result = import_dialer_outcomes(factory, gbk, export[1])
    assert result.encoding.lower() in {"gbk", "gb18030"} and (result.stored, result.rejected.num_rows) == (7, 5)


def test_rejects_file_names_line_reason_and_words(factory, export, tmp_path, session_pii):
    result = import_dialer_outcomes(factory, *export)
    path = write_rejects(result, default_rejects_path(export[0]), session_pii.cipher, "en")
    assert path == export[0].parent / "dialer_export.rejected.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfline,reason,message,column,detail,raw,raw_token\n")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert frame["line"].tolist() == ["6", "8", "10", "11", "12"]
    assert frame.loc[1, "message"] == "the customer is not in the operational database (or was erased)"
    assert frame.loc[4, "message"] == "result code not in the mapping" and "XFER" in frame.loc[4, "raw"]
    zh_path = write_rejects(result, tmp_path / "new" / "zh.csv", session_pii.cipher, "zh")
    zh = pd.read_csv(zh_path, encoding="utf-8-sig", dtype=str)
    assert zh.loc[1, "message"].startswith("运营数据库中没有该客户")


def test_nothing_rejected_still_writes_the_header(factory, export, tmp_path, session_pii):
    clean = tmp_path / "clean.csv"
    lines = export[0].read_text(encoding="utf-8").splitlines()
    clean.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    result = import_dialer_outcomes(factory, clean, export[1])
    assert (result.read, result.stored, result.rejected.num_rows) == (4, 4, 0)
    path = write_rejects(result, tmp_path / "clean.rejected.csv", session_pii.cipher)
    assert path.read_text(encoding="utf-8-sig") == "line,reason,message,column,detail,raw,raw_token\n"


def test_an_empty_export_and_unusable_inputs(factory, export, tmp_path):
    header = tmp_path / "header_only.csv"
    header.write_text(export[0].read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    empty = import_dialer_outcomes(factory, header, export[1])
    assert (empty.read, empty.stored, empty.rejected.num_rows) == (0, 0, 0)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DialerImportError, match=r"column '呼叫编号' .* is not in the file"):
        import_dialer_outcomes(factory, wrong, export[1])
    bad_mapping = tmp_path / "bad.yaml"
    bad_mapping.write_text("columns: [1, 2]\n", encoding="utf-8")
    with pytest.raises(DialerMappingError, match=r"bad\.yaml"):
        import_dialer_outcomes(factory, export[0], bad_mapping)
    for batch in (0, -5, True, "500"):
        with pytest.raises(ValueError, match="batch must be a positive whole number"):
            import_dialer_outcomes(factory, *export, batch=batch)


def test_the_rejects_file_masks_the_phone_is_private_and_a_line_can_be_revealed(factory, export, session_pii):
    import os

    from callwise.ingest.quarantine import reveal_line

    result = import_dialer_outcomes(factory, *export)
    path = write_rejects(result, default_rejects_path(export[0]), session_pii.cipher, "en")
    assert os.stat(path).st_mode & 0o777 == 0o600
    source = export[0].read_text(encoding="utf-8").splitlines()
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("line")
    phones = {
        cell for line in source[1:] for cell in line.split(",") if cell.replace("+", "").isdigit() and len(cell) >= 11
    }
    text = path.read_text(encoding="utf-8-sig")
    assert phones and not [p for p in phones if p in text]  # no phone of the export in clear
    assert "****" in frame.loc["12", "raw"]
    assert reveal_line(path, 12, session_pii.cipher) == source[11]
