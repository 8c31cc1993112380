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


def test_duckdb_is_held_to_the_memory_limit_and_spills_to_a_private_folder(tmp_path):
    spill = tmp_path / "spill"
    lake = Lake(tmp_path / "lake", threads=1, memory_limit="64MB", spill_dir=spill)
    limit, folder = lake.con.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()
    assert limit == "61.0 MiB"  # 64 MB as DuckDB states it
    assert folder == str(spill) and (spill.stat().st_mode & 0o777) == 0o700
    # A sort far larger than the limit completes by spilling, instead of failing for memory.
    lake.write("big", pa.table({"k": pa.array(range(3_000_000), pa.int64()), "v": pa.array(["x" * 40] * 3_000_000)}))
    t = lake.table("big")
    first = t.order_by(t.v.concat(t.k.cast("string")).desc()).limit(1).to_pyarrow()
    assert first.num_rows == 1


def test_open_lake_takes_memory_limit_and_spill_folder_from_the_settings(tmp_path, monkeypatch):
    from callwise.lake import open_lake
    from callwise.settings import get_settings

    monkeypatch.setenv("CALLWISE_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("CALLWISE_SPILL_DIR", str(tmp_path / "spill"))
    lake = open_lake(tmp_path / "lake")
    assert get_settings().memory_limit == "1GB"
    assert (lake.memory_limit, lake.spill_dir) == ("1GB", tmp_path / "spill")


@pytest.mark.parametrize("value", ["banana", "8", "-1GB", "8 GB; DROP", "１GB"])
def test_a_memory_limit_duckdb_cannot_read_is_refused_with_the_settings(value, monkeypatch):
    from pydantic import ValidationError

    from callwise.settings import Settings

    monkeypatch.setenv("CALLWISE_MEMORY_LIMIT", value)
    with pytest.raises(ValidationError, match="memory_limit"):
        Settings()


def test_appended_parts_join_the_table_and_a_new_whole_write_replaces_them(tmp_path):
    lake = Lake(tmp_path)
    schema = pa.schema([("a", pa.int64())])
    lake.write("t", pa.table({"a": [1, 2]}))
    before = lake.table("t")
    lake.append("t", "day1", pa.table({"a": [3]}), schema)
    lake.append("t", "day2", iter(pa.table({"a": [4, 5]}).to_batches()), schema)
    assert lake.table("t") is not before  # an append changes what the table is
    assert sorted(lake.table("t").a.to_list()) == [1, 2, 3, 4, 5]
    assert [p.name for p in lake.files("t")] == ["t.parquet", "day1.parquet", "day2.parquet"]
    assert lake.part_ids("t") == {"day1", "day2"} and lake.names() == ["t"]
    lake.write("t", pa.table({"a": [9]}))
    assert lake.table("t").a.to_list() == [9]
    assert list((tmp_path / "t.parts").iterdir()) == []


def test_a_table_of_parts_only_is_a_table(tmp_path):
    lake = Lake(tmp_path)
    lake.append("t", "p1", pa.table({"a": [7]}), pa.schema([("a", pa.int64())]))
    assert lake.has("t") and lake.names() == ["t"] and lake.table("t").a.to_list() == [7]


def test_compaction_keeps_the_rows_and_remembers_the_parts_it_took_in(tmp_path):
    lake = Lake(tmp_path)
    schema = pa.schema([("a", pa.int64())])
    lake.write("t", pa.table({"a": [1]}))
    lake.append("t", "p1", pa.table({"a": [2]}), schema)
    lake.compact("t")
    lake.append("t", "p2", pa.table({"a": [3]}), schema)
    lake.compact("t")
    assert lake.files("t") == [lake.path("t")]
    assert sorted(lake.table("t").a.to_list()) == [1, 2, 3]
    assert lake.part_ids("t") == {"p1", "p2"}  # so the same file is not appended again after compaction


def test_a_part_left_behind_after_a_whole_write_is_not_read_twice(tmp_path):
    """A crash between the rename of the whole file and the deletion of the parts it took in."""
    lake = Lake(tmp_path)
    schema = pa.schema([("a", pa.int64())])
    lake.write("t", pa.table({"a": [1]}))
    lake.append("t", "p1", pa.table({"a": [2]}), schema)
    kept = (tmp_path / "t.parts" / "p1.parquet").read_bytes()
    lake.compact("t")
    (tmp_path / "t.parts" / "p1.parquet").write_bytes(kept)
    assert sorted(lake.table("t").a.to_list()) == [1, 2]


@pytest.mark.parametrize("part_id", ["", "../x", "a b", "x" * 65, "日"])
def test_a_part_id_is_a_plain_name(tmp_path, part_id):
    with pytest.raises(ValueError, match="part id"):
        Lake(tmp_path).append("t", part_id, pa.table({"a": [1]}), pa.schema([("a", pa.int64())]))
