"""A daily ingest: the day's files appended to the lake, ending as one ingest of everything would."""

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import clear_people

from callwise.ingest import IngestError, ingest_directory, ingest_files
from callwise.lake import Lake
from callwise.synth import synthesize
from callwise.synth.daily import split_last_day

HEADER = "customer_id,phone,name,age,consent_marketing,status"


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict:
    """A 3,000-customer bank ingested whole, and the same bank as its history plus its last day appended."""
    root = tmp_path_factory.mktemp("daily")
    manifest = synthesize(root / "bank", customers=3_000, seed=5)
    rows = split_last_day(root / "bank", root / "history", root / "day", date.fromisoformat(manifest["end"]))
    whole = Lake(root / "whole")
    ingest_directory(root / "bank", whole, root / "q")
    daily = Lake(root / "daily")
    ingest_directory(root / "history", daily, root / "q")
    summary = ingest_directory(root / "day", daily, root / "q", append=True).to_dict()
    return {"root": root, "whole": whole, "daily": daily, "rows": rows, "summary": summary}


def _sorted(table: pa.Table) -> pa.Table:
    """Rows in a defined order, without the PII tokens (their nonces differ from one sealing to the next)."""
    table = table.select([c for c in table.column_names if not c.endswith("_token")])
    keys = [c for c in table.column_names if not pa.types.is_binary(table.schema.field(c).type)]
    return table.sort_by([(c, "ascending") for c in keys])


def test_the_split_loses_no_row_and_the_day_is_small(days):
    bank = days["root"] / "bank"
    for name, count in days["rows"]["history"].items():
        day = days["rows"]["day"].get(name, 0)
        if name in ("customers", "holdings"):  # sent again in the day's file, not new rows
            assert count == pq.read_metadata(bank / f"{name}.parquet").num_rows
        else:
            assert count + day == pq.read_metadata(bank / f"{name}.parquet").num_rows
    assert 0 < days["rows"]["day"]["transactions"] < days["rows"]["history"]["transactions"] / 30


def test_history_then_the_day_appended_is_the_lake_of_one_whole_ingest(days):
    whole, daily = days["whole"], days["daily"]
    assert daily.names() == whole.names()
    for name in whole.names():
        a, b = whole.table(name).to_pyarrow(), daily.table(name).to_pyarrow()
        assert a.schema == b.schema, name
        assert _sorted(a).equals(_sorted(b)), name
    modes = {t["table"]: t["mode"] for t in days["summary"]["tables"]}
    assert modes == {"customers": "updated", "holdings": "written", "transactions": "appended", "events": "appended"}
    assert len(daily.files("transactions")) == 2 and len(daily.files("holdings")) == 1


def test_the_customers_sent_again_keep_their_clear_values(days):
    from callwise.security.pii import Pii
    from callwise.settings import Settings

    pii = Pii.from_settings(Settings())
    people = clear_people(days["root"] / "bank")
    rows = days["daily"].table("customers").to_pyarrow().to_pandas()
    opened = [pii.open(c, "name", t) for c, t in zip(rows["customer_id"], rows["name_token"], strict=True)]
    assert opened == people.loc[rows["customer_id"], "name"].tolist()


def test_the_same_day_given_twice_is_taken_once(days, tmp_path):
    daily = days["daily"]
    before = daily.table("transactions").count().execute()
    again = ingest_directory(days["root"] / "day", daily, tmp_path / "q", append=True).to_dict()
    modes = {t["table"]: t["mode"] for t in again["tables"]}
    assert modes["transactions"] == "already" and modes["events"] == "already"
    assert daily.table("transactions").count().execute() == before


def _customers(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_changed_record_replaces_the_old_one_and_new_keys_are_appended(tmp_path):
    lake = Lake(tmp_path / "lake")
    first = _customers(tmp_path / "c1.csv", ["C1,13800138000,张三,35,是,正常", "C2,13900139000,李四,40,否,正常"])
    ingest_files({"customers": first}, lake, tmp_path / "q")
    new = _customers(tmp_path / "c2.csv", ["C3,13700137000,王五,50,是,正常"])
    result = ingest_files({"customers": new}, lake, tmp_path / "q", append=True).to_dict()
    assert result["tables"][0]["mode"] == "appended" and len(lake.files("customers")) == 2
    changed = _customers(tmp_path / "c3.csv", ["C1,13800138000,张三,36,否,正常"])
    result = ingest_files({"customers": changed}, lake, tmp_path / "q", append=True).to_dict()
    assert result["tables"][0]["mode"] == "updated" and result["tables"][0]["updated"] == 1
    rows = lake.table("customers").order_by("customer_id").to_pyarrow()
    assert rows.column("customer_id").to_pylist() == ["C1", "C2", "C3"]
    assert rows.column("age").to_pylist() == [36, 40, 50]
    assert rows.column("consent_marketing").to_pylist() == [False, False, True]
    assert len(lake.files("customers")) == 1  # the rewrite took the appended part in


def test_a_column_the_lake_lacks_is_refused_before_anything_is_written(tmp_path):
    lake = Lake(tmp_path / "lake")
    ingest_files(
        {"customers": _customers(tmp_path / "c1.csv", ["C1,13800138000,张三,35,是,正常"])}, lake, tmp_path / "q"
    )
    events = tmp_path / "events.csv"
    events.write_text("customer_id,ts,event\nC1,2026-06-01 10:00:00,login\n", encoding="utf-8")
    ingest_files({"events": events}, lake, tmp_path / "q")
    snapshot = {name: [p.stat().st_mtime_ns for p in lake.files(name)] for name in lake.names()}
    wider = tmp_path / "events2.csv"
    wider.write_text("customer_id,ts,event,detail\nC1,2026-06-02 10:00:00,login,app\n", encoding="utf-8")
    more = _customers(tmp_path / "c2.csv", ["C2,13900139000,李四,40,否,正常"])
    with pytest.raises(IngestError) as raised:
        ingest_files({"customers": more, "events": wider}, lake, tmp_path / "q", append=True)
    assert str(raised.value) == (
        f"{wider}: the lake's table events has no column detail; to add a column, ingest the whole table again "
        "without --append"
    )
    assert "表 events 在数据湖中没有列 detail" in raised.value.message("zh")
    assert {name: [p.stat().st_mtime_ns for p in lake.files(name)] for name in lake.names()} == snapshot


def test_a_column_the_day_lacks_is_empty_in_its_part(tmp_path):
    lake = Lake(tmp_path / "lake")
    full = tmp_path / "events.csv"
    full.write_text("customer_id,ts,event,detail\nC1,2026-06-01 10:00:00,login,app\n", encoding="utf-8")
    ingest_files({"events": full}, lake, tmp_path / "q")
    narrow = tmp_path / "events2.csv"
    narrow.write_text("customer_id,ts,event\nC2,2026-06-02 10:00:00,login\n", encoding="utf-8")
    ingest_files({"events": narrow}, lake, tmp_path / "q", append=True)
    rows = lake.table("events").order_by("customer_id").to_pyarrow()
    assert rows.column("detail").to_pylist() == ["app", None]


def test_a_day_of_bad_rows_quarantines_them_and_appends_the_rest(tmp_path):
    lake = Lake(tmp_path / "lake")
    first = tmp_path / "transactions.csv"
    first.write_text("customer_id,ts,amount\nC1,2026-06-01 10:00:00,5\n", encoding="utf-8")
    ingest_files({"transactions": first}, lake, tmp_path / "q")
    day = tmp_path / "transactions2.csv"
    day.write_text("customer_id,ts,amount\nC1,2026-06-02 10:00:00,7\nC2,2026-13-40 99:00:00,8\n", encoding="utf-8")
    result = ingest_files({"transactions": day}, lake, tmp_path / "q", append=True).to_dict()["tables"][0]
    assert (result["read"], result["accepted"], result["quarantined"], result["mode"]) == (2, 1, 1, "appended")
    assert sorted(lake.table("transactions").amount.to_list()) == [5.0, 7.0]


def test_a_key_twice_in_the_day_keeps_the_last_row_and_quarantines_the_other(tmp_path):
    lake = Lake(tmp_path / "lake")
    ingest_files(
        {"customers": _customers(tmp_path / "c1.csv", ["C1,13800138000,张三,35,是,正常"])}, lake, tmp_path / "q"
    )
    day = _customers(tmp_path / "c2.csv", ["C1,13800138000,张三,36,是,正常", "C1,13800138000,张三,37,否,正常"])
    result = ingest_files({"customers": day}, lake, tmp_path / "q", append=True).to_dict()["tables"][0]
    assert (result["mode"], result["updated"], result["quarantined"]) == ("updated", 1, 1)
    assert result["reasons"] == {"duplicate_key": 1}
    assert lake.table("customers").age.to_list() == [37]


def test_a_day_whose_table_has_only_parts_appends_to_them(tmp_path):
    lake = Lake(tmp_path / "lake")
    events = tmp_path / "events.csv"
    events.write_text("customer_id,ts,event\nC1,2026-06-01 10:00:00,login\n", encoding="utf-8")
    lake.append("events", "first", pa.table({"customer_id": ["C0"]}), pa.schema([("customer_id", pa.string())]))
    with pytest.raises(IngestError, match="has no column ts, event"):
        ingest_files({"events": events}, lake, tmp_path / "q", append=True)
