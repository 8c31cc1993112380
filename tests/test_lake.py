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
