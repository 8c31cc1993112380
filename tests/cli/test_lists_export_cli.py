"""`callwise lists export`: real numbers for a holder of pii:read, a clear sentence for anyone else."""

from __future__ import annotations

import csv
import io
import stat

from sqlalchemy import select
from tests.dialer_lists import PHONES, seed_list, token_for

from callwise.ops.models import AuditEntry


def _entries(db) -> list[AuditEntry]:
    with db() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "list.export_dialer")))


def test_a_supervisor_token_exports_real_numbers_audited(migrated, db, monkeypatch, tmp_path):
    list_id = seed_list(db, migrated.pii())
    monkeypatch.setenv("CALLWISE_TOKEN", token_for(db, "sup", ["supervisor"]))
    out = tmp_path / "vici.csv"
    done = migrated.json("lists", "export", "--list", str(list_id), "--dialer", "vicidial", "--out", str(out))
    assert done == {
        "path": str(out),
        "format": "vicidial",
        "list_id": list_id,
        "campaign_id": "dial-1",
        "rows": 3,
    }
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r[4] for r in rows] == [PHONES["D1"], PHONES["D2"], PHONES["D1"]] and {r[3] for r in rows} == {"86"}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (entry,) = _entries(db)
    assert entry.actor == "sup" and entry.detail["rows"] == 3
    human = migrated.run("lists", "export", "--list", str(list_id), "--dialer", "csv", "--out", str(tmp_path / "x"))
    assert human.exit_code == 0 and "3 pending calls" in human.stdout
    assert not any(phone in human.output for phone in PHONES.values())


def test_without_pii_read_or_without_a_token_the_export_is_refused_in_one_sentence(migrated, db, monkeypatch, tmp_path):
    list_id = seed_list(db, migrated.pii())
    out = tmp_path / "l.csv"
    args = ("lists", "export", "--list", str(list_id), "--dialer", "csv", "--out", str(out))
    monkeypatch.delenv("CALLWISE_TOKEN", raising=False)
    no_token = migrated.run(*args)
    assert no_token.exit_code == 2 and "CALLWISE_TOKEN" in no_token.stderr and "pii:read" in no_token.stderr
    monkeypatch.setenv("CALLWISE_TOKEN", token_for(db, "agent7", ["agent"]))
    refused = migrated.run(*args)
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: agent7 does not hold pii:read: real phone numbers are exported only to a user or dialer holding it"
    )
    monkeypatch.setenv("CALLWISE_TOKEN", "not-a-token")
    assert "unknown, expired or revoked" in migrated.run(*args).stderr
    assert not out.exists() and _entries(db) == []
    assert "Traceback" not in refused.output


def test_an_unknown_format_or_list_is_one_sentence(migrated, db, monkeypatch, tmp_path):
    list_id = seed_list(db, migrated.pii())
    monkeypatch.setenv("CALLWISE_TOKEN", token_for(db, "sup", ["supervisor"]))
    bad = migrated.run("lists", "export", "--list", str(list_id), "--dialer", "genesys", "--out", str(tmp_path / "l"))
    assert bad.exit_code == 2 and "csv, xlsx, vicidial" in bad.stderr
    missing = migrated.run("lists", "export", "--list", "999", "--dialer", "csv", "--out", str(tmp_path / "l"))
    assert missing.exit_code == 2 and "there is no issued list 999" in missing.stderr
