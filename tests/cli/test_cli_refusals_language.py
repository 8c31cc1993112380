"""The refusals of the ops, features and timing commands are said in CALLWISE_LANG, one line on standard error."""

import pytest
from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["features", "build", "--cutoff", "July"], "不是日期，应形如 2026-07-01", "is not a date like 2026-07-01"),
        (
            ["timing", "fit", "--as-of", "soon", "--out", "m"],
            "--as-of：'soon' 不是日期",
            "--as-of: 'soon' is not a date",
        ),
        (
            ["users", "create", "bad name!", "--role", "agent"],
            "用户名 'bad name!' 无效",
            "user name 'bad name!' is not valid",
        ),
    ],
)
def test_refusals_follow_the_language(args, zh, en, tmp_path):
    for lang, sentence in (("zh", zh), ("en", en)):
        result = runner.invoke(app, args, env={"CALLWISE_LANG": lang, "CALLWISE_DATA_DIR": str(tmp_path)})
        assert result.exit_code == 2, result.output
        assert sentence in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_unreachable_database_is_said_in_chinese():
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # nothing listens on port 1
    result = runner.invoke(app, ["db", "upgrade", "--url", url], env={"CALLWISE_LANG": "zh"})
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：无法迁移位于") and "的运营数据库" in result.stderr
