"""The tag table written to the lake, its quality report, sensitivity, lineage, audiences and the CLI."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from callwise.cli import app
from callwise.lake import Lake
from callwise.tags import build_tags, default_catalogue, load_catalogue
from callwise.tags.audience import AudienceError, audience_filter, preview_audience
from callwise.tags.build import CATALOGUE_KEY, CUTOFF_KEY
from callwise.tags.lineage import downstream, lineage, upstream
from callwise.tags.quality import latest_quality

from .conftest import CUTOFF, write_bank
from .helpers import entry, write

TAGS = (
    entry("tx_30d", "count(transactions, days=30)"),
    entry("busy", "tx_30d >= 2", "flag", zh="活跃"),
    entry("busy_rich", "活跃 and balance_total > 100000", "flag"),
    entry("band", "bucket(age, [40], ['younger', 'older'])", "level", levels=["younger", "older"]),
    entry("secret", "income_monthly > 10000", "flag", sensitivity="sensitive"),
    entry("secret_too", "secret and busy", "flag", sensitivity="sensitive"),
)


@pytest.fixture
def lake(tmp_path) -> Lake:
    return write_bank(tmp_path / "lake")


@pytest.fixture
def catalogue(tmp_path):
    return load_catalogue(write(tmp_path / "tags.yaml", *TAGS))


def test_build_writes_the_table_with_its_metadata_and_a_quality_report(lake, catalogue):
    built = build_tags(lake, catalogue, CUTOFF)
    assert (built.rows, built.tags) == (3, len(TAGS))
    table = pq.read_table(lake.path("tags"))
    assert table.schema.names == ["customer_id", *(t["id"] for t in TAGS)]
    assert str(table.schema.field("busy").type) == "bool" and str(table.schema.field("tx_30d").type) == "double"
    assert table.schema.metadata[CUTOFF_KEY] == CUTOFF.isoformat().encode()
    assert table.schema.metadata[CATALOGUE_KEY] == catalogue.sha256.encode()
    report = latest_quality(lake)
    assert report is not None and report["rows"] == 3 and report["cutoff"] == CUTOFF.isoformat()
    by_id = {q["id"]: q for q in report["tags"]}
    assert by_id["busy"]["coverage"] == pytest.approx(1 / 3) and by_id["busy"]["change"] is None
    assert by_id["band"]["distribution"]["counts"] == {"younger": 1, "older": 1, "null": 1}
    assert by_id["band"]["coverage"] == pytest.approx(2 / 3)
    number = by_id["tx_30d"]["distribution"]
    assert (number["min"], number["median"], number["max"], number["mean"]) == (0.0, 1.0, 2.0, 1.0)


def test_quality_reports_the_change_since_the_last_build(lake, catalogue):
    assert latest_quality(lake) is None
    build_tags(lake, catalogue, CUTOFF)
    later = build_tags(lake, catalogue, datetime(2026, 7, 15))  # the May rows leave the 30-day window
    by_id = {q["id"]: q for q in later.quality}
    assert by_id["tx_30d"]["change"]["changed_share"] == pytest.approx(2 / 3)  # A 2 → 1, B 1 → 0, C 0
    assert by_id["busy"]["change"] == {
        "customers": 3,
        "changed_share": pytest.approx(1 / 3),
        "coverage_delta": pytest.approx(-1 / 3),
        "true_share_delta": pytest.approx(-1 / 3),
    }
    assert latest_quality(lake)["cutoff"] == "2026-07-15T00:00:00"


def test_sensitive_tags_are_dropped_without_the_permission(catalogue):
    shown = catalogue.visible(frozenset({"tags:read"}))
    assert "secret" not in shown.tags and "secret_too" not in shown.tags and "busy" in shown.tags
    assert set(catalogue.visible(frozenset({"tags:read", "tags:sensitive"})).tags) == set(catalogue.tags)
    with pytest.raises(KeyError):
        shown.get("secret")


def test_lineage_reads_and_read_by_directly_and_through_tags(catalogue):
    assert catalogue.reads("busy_rich") == {"tags": ["busy"], "features": ["balance_total"], "tables": {}}
    assert catalogue.reads("tx_30d") == {"tags": [], "features": [], "tables": {"transactions": []}}
    assert catalogue.read_by("busy") == ["busy_rich", "secret_too"]
    assert upstream(catalogue, "busy_rich") == {
        "tags": ["tx_30d", "busy"],
        "features": ["balance_total"],
        "tables": {"transactions": []},
    }
    assert downstream(catalogue, "tx_30d") == ["busy", "busy_rich", "secret_too"]
    assert lineage(catalogue, "活跃")["id"] == "busy"


def test_audiences_select_by_tags_and_preview(lake, catalogue):
    people = audience_filter(lake, catalogue, "活跃 or band == 'older'", CUTOFF).to_pyarrow()
    assert sorted(people.column("customer_id").to_pylist()) == ["A", "B"]
    preview = preview_audience(lake, catalogue, "busy", CUTOFF)
    assert (preview["size"], preview["bank"]) == (1, 3) and preview["share"] == pytest.approx(1 / 3)
    age = next(p for p in preview["profile"] if p["feature"] == "age")
    assert age["audience_mean"] == 36.0 and age["bank_mean"] == 51.0
    assert [t["id"] for t in preview["tags"]][:1] == ["busy_rich"]


def test_a_preview_reads_the_tag_table_built_as_of_its_cutoff_and_it_says_what_computing_says(lake, catalogue):
    computed = preview_audience(lake, catalogue, "busy", CUTOFF)
    build_tags(lake, catalogue, CUTOFF)
    assert preview_audience(lake, catalogue, "busy", CUTOFF) == computed
    stored = lake.table("tags").to_pyarrow()  # tampered: every busy_rich flipped, so the preview shows it was read
    flipped = stored.set_column(
        stored.schema.get_field_index("busy_rich"), "busy_rich", pc.invert(stored.column("busy_rich"))
    )
    lake.write("tags", flipped.replace_schema_metadata(pq.read_schema(lake.path("tags")).metadata))
    read = preview_audience(lake, catalogue, "busy", CUTOFF)
    assert "busy_rich" in [t["id"] for t in computed["tags"]]  # the one busy customer is busy_rich
    assert "busy_rich" not in [t["id"] for t in read["tags"]]  # ... and no longer, as the table says
    assert read["size"] == computed["size"]


def test_a_bad_audience_names_its_column_and_reason(lake, catalogue):
    with pytest.raises(AudienceError, match="column 10 of the audience expression: unknown name 'bussy'"):
        audience_filter(lake, catalogue, "busy and bussy", CUTOFF)
    with pytest.raises(AudienceError, match="must be a condition"):
        audience_filter(lake, catalogue, "tx_30d + 1", CUTOFF)
    with pytest.raises(AudienceError, match="no segments were assigned"):
        audience_filter(lake, catalogue, "segment == 'S01'", CUTOFF)


def test_an_audience_reads_segments_when_assigned(lake, catalogue):
    import pyarrow as pa

    lake.write("segments", pa.table({"customer_id": ["A", "B", "C"], "segment_id": ["S01", "S02", "S01"]}))
    people = audience_filter(lake, catalogue, "segment == 'S01' and not busy", CUTOFF).to_pyarrow()
    assert people.column("customer_id").to_pylist() == ["C"]


def test_the_default_catalogue_loads_and_builds(lake):
    catalogue = default_catalogue()
    assert len(catalogue.tags) >= 120 and catalogue is default_catalogue()
    built = build_tags(lake, catalogue, CUTOFF)
    assert built.rows == 3 and built.tags == len(catalogue.tags)


def test_windows_that_aggregate_the_same_rows_are_one_aggregate(lake, tmp_path):
    """``count`` and ``exists`` of the same rows, and the same call in two tags, compile to one aggregate."""
    import ibis

    from .helpers import catalogue_of

    where = "where=direction == 'in' and category == '工资'"
    catalogue = catalogue_of(
        tmp_path,
        entry("paid", f"exists(transactions, days=90, {where})", "flag"),
        entry("paid_n", f"count(transactions, days=90, {where})"),
        entry("paid_twice", f"count(transactions, days=90, {where}) >= 2", "flag"),
        entry("paid_30d", f"count(transactions, days=30, {where})"),
    )
    sql = ibis.to_sql(tag_table_of(lake, catalogue), dialect="duckdb")
    assert sql.count("COUNT(*) FILTER") == 2  # 90 days (three tags) and 30 days
    values = tag_table_of(lake, catalogue).to_pyarrow().to_pylist()
    assert [(r["paid"], r["paid_n"], r["paid_twice"], r["paid_30d"]) for r in values] == [
        (True, 1.0, False, 1.0),
        (False, 0.0, False, 0.0),
        (False, 0.0, False, 0.0),
    ]


def tag_table_of(lake, catalogue):
    from callwise.tags import tag_table

    return tag_table(lake, catalogue, CUTOFF)


runner = CliRunner()


def test_cli_builds_lists_describes_and_shows_lineage_and_quality(lake, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    path = write(tmp_path / "tags.yaml", *TAGS)
    built = runner.invoke(
        app, ["tags", "build", "--cutoff", "2026-06-01", "--catalogue", str(path), "--lake", str(lake.root), "--json"]
    )
    assert built.exit_code == 0, built.output
    assert json.loads(built.output)["rows"] == 3
    listed = json.loads(runner.invoke(app, ["tags", "list", "--catalogue", str(path), "--json"]).output)
    assert listed["count"] == len(TAGS)
    level = json.loads(
        runner.invoke(app, ["tags", "list", "--category", "behaviour", "--catalogue", str(path), "--json"]).output
    )
    assert level["count"] == len(TAGS)
    shown = json.loads(runner.invoke(app, ["tags", "describe", "活跃", "--catalogue", str(path), "--json"]).output)
    assert shown["id"] == "busy" and shown["read_by"] == ["busy_rich", "secret_too"]
    lines = json.loads(runner.invoke(app, ["tags", "lineage", "busy_rich", "--catalogue", str(path), "--json"]).output)
    assert lines["upstream"]["tags"] == ["tx_30d", "busy"]
    quality = json.loads(runner.invoke(app, ["tags", "quality", "--lake", str(lake.root), "--json"]).output)
    assert {q["id"] for q in quality["tags"]} == {t["id"] for t in TAGS}
    human = runner.invoke(app, ["tags", "describe", "nope", "--catalogue", str(path)])
    assert human.exit_code == 2 and "no tag is called 'nope'" in human.output


def test_cli_check_refuses_a_bad_file_with_its_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    good = write(tmp_path / "good.yaml", *TAGS)
    done = runner.invoke(app, ["tags", "check", str(good), "--json"])
    assert done.exit_code == 0 and json.loads(done.output)["tags"] == len(TAGS)
    bad = write(tmp_path / "bad.yaml", entry("loop1", "loop2 > 1", "flag"), entry("loop2", "if_else(loop1, 1, 0)"))
    refused = runner.invoke(app, ["tags", "check", str(bad)])
    assert refused.exit_code == 2 and "bad.yaml:" in refused.output and "loop1 → loop2 → loop1" in refused.output
    refused = runner.invoke(app, ["tags", "list", "--category", "nope"])
    assert refused.exit_code == 2 and "basic" in refused.output


def test_cli_quality_before_any_build_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "en")
    done = runner.invoke(app, ["tags", "quality", "--lake", str(tmp_path)])
    assert done.exit_code == 2 and "tags build" in done.output


def test_the_names_checked_at_load_are_the_feature_table_s_own_columns(lake):
    """feature_types() comes from features_as_of on the contract's tables without data: it must name exactly the
    columns customer_features computes on a real lake, with their kinds."""
    from callwise.features.asof import customer_features
    from callwise.tags.catalogue import customer_column_types, feature_types, lake_type

    real = customer_features(lake, CUTOFF)
    assert set(feature_types()) == set(real.columns) - {"customer_id"}
    assert {name: lake_type(real[name]) for name in feature_types()} == feature_types()
    assert not {"phone", "name", "id_number", "customer_id"} & set(customer_column_types())
