"""`callwise db upgrade / current`: an operator brings the operational database to the code's schema."""

from callwise.ops.migrate import head


def test_a_new_database_is_reported_behind_without_creating_it(operator):
    status = operator.json("db", "current")
    assert status == {"url": operator.db_url, "revision": None, "head": head(), "up_to_date": False}
    assert not operator.db_path.exists()
    human = operator.run("db", "current")
    assert human.exit_code == 0 and "revision none" in human.output and "run callwise db upgrade" in human.output


def test_upgrade_reaches_head_and_a_second_run_changes_nothing(operator):
    first = operator.json("db", "upgrade")
    assert first["before"] is None and first["revision"] == head() and first["up_to_date"]
    assert operator.db_path.is_file()
    again = operator.json("db", "upgrade")
    assert again["before"] == again["revision"] == head()
    assert operator.json("db", "current")["up_to_date"] is True


def test_url_option_wins_over_the_setting_and_creates_missing_directories(operator, tmp_path):
    other = tmp_path / "deep" / "er" / "other.db"
    result = operator.json("db", "upgrade", "--url", f"sqlite:///{other}")
    assert result["revision"] == head() and other.is_file()
    assert not operator.db_path.exists()
    assert operator.json("db", "current", "--url", f"sqlite:///{other}")["up_to_date"] is True


def test_output_in_chinese(operator, monkeypatch):
    monkeypatch.setenv("CALLWISE_LANG", "zh")
    assert "版本 无" in operator.run("db", "current").output
    result = operator.run("db", "upgrade")
    assert result.exit_code == 0 and f"已升级到版本 {head()}（原为 无）" in result.output
    assert "已是最新" in operator.run("db", "current").output


def test_an_unopenable_database_is_one_sentence(operator, tmp_path):
    result = operator.run("db", "upgrade", "--url", f"sqlite:///{tmp_path}")  # a directory, not a file
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("error: cannot migrate the operational database at")
        and len(result.stderr.splitlines()) == 1
    )


def test_the_password_of_a_database_url_is_never_printed(operator):
    url = "postgresql+psycopg://callwise:hunter2@127.0.0.1:1/callwise"  # nothing listens on port 1
    for command in ("current", "upgrade"):
        result = operator.run("db", command, "--url", url)
        assert result.exit_code == 2, result.output
        assert "hunter2" not in result.output and "callwise:***@127.0.0.1:1" in result.output
