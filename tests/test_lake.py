import pyarrow as pa
import pytest

from callwise.lake import Lake


def test_write_is_atomic_and_readable(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write("t", pa.table({"a": [1, 2, 3]}))
    assert lake.table("t").a.sum().execute() == 6
    lake.write("t", pa.table({"a": [10]}))
    assert lake.table("t").count().execute() == 1
    assert [p.name for p in (tmp_path / "lake").iterdir()] == ["t.parquet"]


def test_failed_stream_leaves_old_table(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", pa.table({"a": [1]}))

    def broken():
        yield pa.record_batch({"a": [5]})
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError):
        lake.write("t", broken())
    assert lake.table("t").a.to_list() == [1]
    assert lake.names() == ["t"]


def test_missing_table_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="no table 'customers'"):
        Lake(tmp_path).table("customers")


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown lake engine"):
        Lake(".", engine="oracle")


def test_batches_stream_a_duckdb_result_in_batches_of_the_size_asked(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", pa.table({"a": list(range(25_000))}))
    t = lake.table("t")
    batches = list(lake.batches(t.filter(t.a % 2 == 0).order_by("a"), rows=4_096))
    assert sum(b.num_rows for b in batches) == 12_500 and len(batches) >= 3
    assert max(b.num_rows for b in batches) <= 4_096
    assert pa.Table.from_batches(batches).column("a").to_pylist() == list(range(0, 25_000, 2))


def test_a_table_read_twice_is_registered_once_until_the_file_changes(tmp_path):
    lake = Lake(tmp_path)
    lake.write("t", pa.table({"a": [1]}))
    assert lake.table("t") is lake.table("t")
    before = lake.table("t")
    lake.write("t", pa.table({"a": [2, 3]}))
    assert lake.table("t") is not before and lake.table("t").count().execute() == 2
