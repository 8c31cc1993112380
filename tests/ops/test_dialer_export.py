"""Dialer files with real numbers: right numbers in every format, 0600, formula-safe, audited without a number,
refused without pii:read; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import stat

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.dialer_lists import CAMPAIGN, FORMULA_HINT, PHONES, seed_list, token_for

from callwise.ops.db import session_factory, transaction
from callwise.ops.dialer_export import VICIDIAL_COLUMNS, ListNotFound, PiiReadRefused, export_for_dialer
from callwise.ops.models import AuditEntry
from callwise.ops.users import principal_for


@pytest.fixture
def seeded(db_engine, session_pii):
    factory = session_factory(db_engine)
    list_id = seed_list(factory, session_pii)
    return factory, session_pii, list_id


def _principal(factory, name: str, roles: list[str]):
    secret = token_for(factory, name, roles)
    with factory() as s:
        return principal_for(s, secret)


def _export(factory, pii, principal, list_id, fmt, path, **kw):
    with transaction(factory) as s:
        return export_for_dialer(s, pii, principal, list_id, fmt, path, **kw)


def _audit(factory) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "list.export_dialer")))


def _rows_csv(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_csv_holds_the_real_numbers_of_the_pending_calls_with_zoned_times(seeded, tmp_path):
    factory, pii, list_id = seeded
    done = _export(factory, pii, _principal(factory, "sup", ["supervisor"]), list_id, "csv", tmp_path / "l.csv")
    rows = _rows_csv(tmp_path / "l.csv")
    assert done.rows == len(rows) == 3  # D3's call was withdrawn
    assert [(r["customer_id"], r["phone"]) for r in rows] == [
        ("D1", PHONES["D1"]),
        ("D2", PHONES["D2"]),
        ("D1", PHONES["D1"]),
    ]
    assert rows[0]["slot_start"] == "2026-07-01T01:00:00Z"
    assert rows[0]["slot_start_local"] == "2026-07-01T09:00:00+08:00" and rows[0]["slot_tz"] == "Asia/Shanghai"
    assert rows[1]["slot_start_local"] == "2026-07-01T08:00:00+06:00" and rows[1]["slot_tz"] == "Asia/Urumqi"
    assert stat.S_IMODE((tmp_path / "l.csv").stat().st_mode) == 0o600
    # Formula-safe: hints and ids that would start a formula are quoted; the numbers stay as they are.
    assert rows[0]["hints"] == "'" + FORMULA_HINT and rows[1]["hints"] == "'+cmd" and rows[1]["agent_id"] == "'@A2"


def test_xlsx_holds_the_numbers_as_text_and_formula_safe_cells(seeded, tmp_path):
    factory, pii, list_id = seeded
    path = tmp_path / "l.xlsx"
    _export(factory, pii, _principal(factory, "sup", ["supervisor"]), list_id, "xlsx", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sheet = load_workbook(path).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    phone = header.index("phone")
    assert [r[phone] for r in rows] == [PHONES["D1"], PHONES["D2"], PHONES["D1"]]  # text, not 1.38e10
    assert rows[0][header.index("hints")] == "'" + FORMULA_HINT
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_vicidial_file_follows_the_standard_list_loader_layout(seeded, tmp_path):
    factory, pii, list_id = seeded
    path = tmp_path / "v.csv"
    _export(factory, pii, _principal(factory, "sup", ["supervisor"]), list_id, "vicidial", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # the loader reads the first cell from the first byte
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert len(rows) == 3 and all(len(r) == len(VICIDIAL_COLUMNS) == 23 for r in rows)  # no header line
    col = {name: i for i, name in enumerate(VICIDIAL_COLUMNS)}
    assert [r[col["phone_number"]] for r in rows] == [PHONES["D1"], PHONES["D2"], PHONES["D1"]]
    assert {r[col["phone_code"]] for r in rows} == {"86"}
    assert {r[col["list_id"]] for r in rows} == {str(list_id)} and {r[col["source_id"]] for r in rows} == {CAMPAIGN}
    assert all(r[col["vendor_lead_code"]].isdigit() for r in rows)  # the item id, for outcomes to report back
    assert rows[0][col["comments"]] == "'" + FORMULA_HINT


def test_every_export_is_audited_with_who_which_list_and_how_many_never_a_number(seeded, tmp_path):
    factory, pii, list_id = seeded
    sup = _principal(factory, "sup", ["supervisor"])
    for fmt in ("csv", "vicidial"):
        _export(factory, pii, sup, list_id, fmt, tmp_path / f"{fmt}.csv")
    entries = _audit(factory)
    assert [(e.actor, e.target, e.detail["format"], e.detail["rows"]) for e in entries] == [
        ("sup", f"list:{list_id}", "csv", 3),
        ("sup", f"list:{list_id}", "vicidial", 3),
    ]
    text = " ".join(repr((e.target, e.detail)) for e in entries)
    assert not any(phone in text or phone[-4:] in text for phone in PHONES.values())


def test_without_pii_read_nothing_is_written_or_audited(seeded, tmp_path):
    factory, pii, list_id = seeded
    for role in ("agent", "analyst", "admin"):
        with pytest.raises(PiiReadRefused) as refused:
            _export(factory, pii, _principal(factory, f"{role}x", [role]), list_id, "csv", tmp_path / "l.csv")
        assert "pii:read" in refused.value.message("en") and "pii:read" in refused.value.message("zh")
    assert not (tmp_path / "l.csv").exists()
    assert _audit(factory) == []


def test_a_list_of_another_campaign_or_no_list_is_not_found(seeded, tmp_path):
    factory, pii, list_id = seeded
    sup = _principal(factory, "sup", ["supervisor"])
    with pytest.raises(ListNotFound):
        _export(factory, pii, sup, list_id, "csv", tmp_path / "l.csv", campaign_id="other")
    with pytest.raises(ListNotFound):
        _export(factory, pii, sup, list_id + 100, "csv", tmp_path / "l.csv")
    assert not (tmp_path / "l.csv").exists()
