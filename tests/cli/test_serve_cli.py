"""`callwise serve` checks what the service needs before uvicorn starts, and refuses in one sentence."""


def test_refuses_without_keys(migrated, monkeypatch):
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    result = migrated.run("serve", "--port", "8765")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: CALLWISE_PII_KEYS is not set") and len(result.stderr.splitlines()) == 1


def test_refuses_without_the_lookup_key(migrated, monkeypatch):
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY")
    result = migrated.run("serve")
    assert result.exit_code == 2 and "CALLWISE_LOOKUP_KEY is not set" in result.stderr


def test_refuses_a_malformed_key_without_printing_it(migrated, monkeypatch):
    monkeypatch.setenv("CALLWISE_PII_KEYS", "k1:c2hvcnQ=")  # base64 of "short"
    result = migrated.run("serve")
    assert result.exit_code == 2 and "AES-256 needs exactly 32" in result.stderr and "c2hvcnQ" not in result.output


def test_refuses_an_unmigrated_database_and_does_not_create_it(operator):
    result = operator.run("serve")
    assert result.exit_code == 2
    assert "is at revision none" in result.stderr and "run `callwise db upgrade` first" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not operator.db_path.exists()


def test_refuses_an_unmigrated_database_even_without_keys(operator, monkeypatch):
    monkeypatch.delenv("CALLWISE_PII_KEYS")
    result = operator.run("serve")
    assert result.exit_code == 2 and "callwise db upgrade" in result.stderr


def test_port_and_workers_are_checked_before_anything_else(migrated):
    for args in (["--port", "0"], ["--port", "70000"], ["--workers", "0"], ["--port", "http"]):
        result = migrated.run("serve", *args)
        assert result.exit_code == 2 and "Invalid value" in result.output, args
