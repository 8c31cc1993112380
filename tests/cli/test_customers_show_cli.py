"""`callwise customers show ID [--json]`: the 360 profile, masked, sectioned in zh and en, audited as a read;
an unknown or hostile id is one sentence, never a traceback."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.customers.tiny import CATALOGUE, ID_NUMBER, NAME, PHONE, tiny_lake_at

from callwise.ops.models import AuditEntry


@pytest.fixture
def synced(migrated, tmp_path):
    """The tiny bank in a lake sealed with the operator's keys, its customers synced in."""
    lake = tiny_lake_at(tmp_path / "tiny")
    assert migrated.run("customers", "sync", "--lake", str(lake.root)).exit_code == 0
    return lake


def _show(migrated, lake, *args):
    catalogue = lake.root.parent / "tags.yaml"
    return migrated.run(
        "customers", "show", *args, "--lake", str(lake.root), "--catalogue", str(catalogue), "--on", "2026-11-30"
    )


def test_json_is_the_profile_masked_and_the_read_is_audited(migrated, db, synced, caplog):
    result = _show(migrated, synced, "C1", "--json")
    assert result.exit_code == 0, result.output
    assert PHONE not in result.output and NAME not in result.output and ID_NUMBER not in result.output
    assert PHONE not in caplog.text and NAME not in caplog.text
    p = json.loads(result.stdout)
    assert p["identity"]["masked"] and p["holdings"]["total_balance"] == 1_100_000.0
    assert {t["id"] for c in p["tags"]["categories"] for t in c["tags"]} == {
        "high_net_worth",
        "app_active",
        "secret_income",
    }
    with db() as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.profile"))
    assert (entry.actor, entry.target, entry.detail) == ("cli", "customer:C1", {"source": "cli", "revealed": False})


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "Customer 360 · C1",
                "Tags",
                "Value: High net worth=yes",
                "Holdings and balances",
                "wealth management: ",
                "Last 90 days: in",
            ],
        ),
        ("zh", ["客户全景 · C1", "标签", "价值：高净值=是", "持有产品与余额", "理财：", "近 90 天：入账 30,000.00"]),
    ],
)
def test_human_output_is_sectioned_in_the_language_set(migrated, synced, monkeypatch, lang, words):
    monkeypatch.setenv("CALLWISE_LANG", lang)
    result = _show(migrated, synced, "C1")
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout, word
    assert PHONE not in result.stdout and NAME not in result.stdout


@pytest.mark.parametrize("hostile", ["NOPE", "X" * 300, "C1' OR 1=1 --", "客户😀"])
def test_unknown_and_hostile_ids_are_one_sentence(migrated, db, synced, hostile):
    result = _show(migrated, synced, hostile)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and "no customer" in result.stderr.lower()
    with db() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.profile")).first() is None


def test_a_day_that_is_not_a_date_is_one_sentence(migrated, synced):
    result = migrated.run("customers", "show", "C1", "--lake", str(synced.root), "--on", "30/11/2026")
    assert result.exit_code == 2 and "--on needs a date as YYYY-MM-DD, not 30/11/2026" in result.stderr


def test_the_catalogue_file_is_the_one_given(migrated, synced):
    assert "secret_income" in CATALOGUE
    result = migrated.run("customers", "show", "C1", "--lake", str(synced.root), "--json")
    assert result.exit_code == 0 and "secret_income" not in result.stdout  # the shipped catalogue lacks it
