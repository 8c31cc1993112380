"""`callwise ingest` needs the keys; `callwise quarantine reveal` opens one quarantined line, audited."""

import os

from sqlalchemy import select

from callwise.ops.models import AuditEntry

LINES = "customer_id,phone,name,consent_marketing\nC1,13800138000,张三丰,1\nC2,12345,李四光,1\n"


def test_ingest_without_keys_names_the_missing_setting(operator, monkeypatch, tmp_path):
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY")
    (tmp_path / "customers.csv").write_text(LINES, encoding="utf-8")
    result = operator.run("ingest", str(tmp_path / "customers.csv"), "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 2 and "CALLWISE_LOOKUP_KEY is not set" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "lake").exists()


def test_a_quarantined_line_is_masked_and_revealed_only_with_an_audit_entry(migrated, db, tmp_path):
    (tmp_path / "customers.csv").write_text(LINES, encoding="utf-8")
    summary = migrated.json("ingest", str(tmp_path / "customers.csv"), "--lake", str(tmp_path / "lake"))
    quarantine = tmp_path / "quarantine" / "customers.csv"
    assert summary["quarantined"] == 1 and summary["tables"][0]["quarantine_file"] == str(quarantine)
    text = quarantine.read_text(encoding="utf-8-sig")
    assert "12345" not in text and "李四光" not in text and "李**" in text
    assert os.stat(quarantine).st_mode & 0o777 == 0o600 and os.stat(quarantine.parent).st_mode & 0o777 == 0o700
    shown = migrated.run("quarantine", "reveal", str(quarantine), "--line", "3")
    assert shown.exit_code == 0 and shown.stdout.strip() == "C2,12345,李四光,1"
    missing = migrated.run("quarantine", "reveal", str(quarantine), "--line", "2")
    assert missing.exit_code == 2 and "no quarantined row for line 2" in missing.output
    with db() as s:
        entries = s.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)).all()
    assert [tuple(e) for e in entries] == [("cli", "quarantine.reveal", "quarantine:customers.csv:3")]


def test_revealing_from_a_file_that_is_missing_moved_edited_or_not_a_quarantine_file_is_one_sentence(
    migrated, tmp_path
):
    (tmp_path / "customers.csv").write_text(LINES, encoding="utf-8")
    migrated.json("ingest", str(tmp_path / "customers.csv"), "--lake", str(tmp_path / "lake"))
    quarantine = tmp_path / "quarantine" / "customers.csv"
    renamed = quarantine.with_name("contacts.csv")  # the token is bound to the file's name
    renamed.write_bytes(quarantine.read_bytes())
    edited = quarantine.with_name("edited.csv")
    text = quarantine.read_text(encoding="utf-8-sig")
    token = text.strip().splitlines()[-1].rsplit(",", 1)[1]
    edited.write_text(text.replace(token, "not*base64"), encoding="utf-8")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00line,raw_token\n\x80\x81")
    cases = {
        tmp_path / "absent.csv": "there is no quarantine file",
        tmp_path: "there is no quarantine file",
        renamed: "cannot be decrypted",
        edited: "cannot be decrypted",
        garbage: "is not a quarantine file callwise wrote",
    }
    for path, sentence in cases.items():
        result = migrated.run("quarantine", "reveal", str(path), "--line", "3")
        assert result.exit_code == 2 and sentence in result.output, (path, result.output)
        assert "Traceback" not in result.output and "李四光" not in result.output


def test_ingest_refusals_are_said_in_chinese(operator, monkeypatch, tmp_path):
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    (tmp_path / "customers.csv").write_bytes("customer_id,phone\nC1,13800138000\n".encode("utf-16"))
    (tmp_path / "nameless.csv").write_text("customer_id,name\nC1,x\n", encoding="utf-8")
    cases = {
        ("ingest", str(tmp_path / "none" / "customers.csv")): "customers.csv：文件不存在",
        ("ingest", str(tmp_path / "customers.csv")): "customers.csv：文件似乎是 UTF-16 编码；请另存为 UTF-8 或 GBK",
        ("ingest", str(tmp_path / "nameless.csv"), "--table", "customers"): "nameless.csv：缺少表 'customers' 的必需列",
        ("ingest", str(tmp_path / "nameless.csv"), "--table", "people"): "nameless.csv：未知的表 'people'",
    }
    for args, sentence in cases.items():
        result = operator.run(*args, "--lake", str(tmp_path / "lake"))
        assert result.exit_code == 2 and result.stderr.startswith("错误："), (args, result.output)
        assert sentence in result.stderr and len(result.stderr.splitlines()) == 1, (args, result.stderr)


def test_the_human_summary_says_where_the_quarantined_rows_went(operator, tmp_path):
    (tmp_path / "customers.csv").write_text(LINES, encoding="utf-8")
    result = operator.run("ingest", str(tmp_path / "customers.csv"), "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 0, result.output
    quarantine = tmp_path / "quarantine" / "customers.csv"
    assert quarantine.exists()
    assert f"quarantined rows of customers → {quarantine}" in result.output
    assert f"lake → {tmp_path / 'lake'}" in result.output


def test_append_says_how_each_table_took_the_day_in_english_and_chinese(operator, monkeypatch, tmp_path):
    lake = str(tmp_path / "lake")
    (tmp_path / "customers.csv").write_text(LINES, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text("customer_id,ts,event\nC1,2026-06-01 10:00:00,login\n", encoding="utf-8")
    assert operator.run("ingest", str(tmp_path / "customers.csv"), "--lake", lake).exit_code == 0
    assert operator.run("ingest", str(events), "--lake", lake).exit_code == 0
    day = tmp_path / "day"
    day.mkdir()
    (day / "customers.csv").write_text("customer_id,phone,name,consent_marketing\nC1,13800138000,张三丰,0\n")
    (day / "events.csv").write_text("customer_id,ts,event\nC1,2026-06-02 10:00:00,logout\n", encoding="utf-8")
    first = operator.run("ingest", str(day), "--lake", lake, "--append")
    assert first.exit_code == 0, first.output
    assert "customers: 1 rows replaced the rows with their keys; the table was rewritten" in first.output
    assert "events: appended as a new part" in first.output
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    again = operator.run("ingest", str(day), "--lake", lake, "--append")
    assert "events：这个文件已经导入过，未做任何改动" in again.output
    assert operator.json("ingest", str(day), "--lake", lake, "--append")["tables"][1]["mode"] == "already"


def test_lake_compact_merges_the_parts_and_a_compacted_day_is_still_taken_once(operator, tmp_path):
    lake = str(tmp_path / "lake")
    events = tmp_path / "events.csv"
    events.write_text("customer_id,ts,event\nC1,2026-06-01 10:00:00,login\n", encoding="utf-8")
    day = tmp_path / "day" / "events.csv"
    day.parent.mkdir()
    day.write_text("customer_id,ts,event\nC1,2026-06-02 10:00:00,logout\n", encoding="utf-8")
    operator.run("ingest", str(events), "--lake", lake)
    operator.run("ingest", str(day), "--lake", lake, "--append")
    assert operator.run("lake", "compact", "--lake", lake).output.strip() == "events: 2 files merged into one"
    assert operator.run("lake", "compact", "--lake", lake).output.strip() == "no table has parts to merge"
    again = operator.json("ingest", str(day), "--lake", lake, "--append")
    assert again["tables"][0]["mode"] == "already"
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == ["events.parquet", "events.parts"]
