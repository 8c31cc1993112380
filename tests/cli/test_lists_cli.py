"""`callwise lists build` refuses what it cannot build with one sentence in the operator's language."""

import shutil

import pytest
from typer.testing import CliRunner

from callwise.cli import app
from callwise.pipeline import train_from_lake

runner = CliRunner()


def build(*args: str, lang: str = "zh"):
    # --no-record: these tests read the session's shared lake and must leave it as they found it
    return runner.invoke(app, ["lists", "build", *args, "--no-record"], env={"CALLWISE_LANG": lang})


@pytest.fixture
def campaign(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("campaign_id: w\nproduct_id: P_WM01\ndate: 2026-07-01\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [("zh", "c.yaml：没有指定模型；请在活动文件中设置 model:"), ("en", "c.yaml: no model given; set 'model:'")],
)
def test_a_campaign_without_a_model_is_refused_in_the_operators_language(campaign, tmp_path, lang, sentence):
    result = build("--campaign", str(campaign), "--out", str(tmp_path / "out"), lang=lang)
    assert result.exit_code == 2 and sentence in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("错误：" if lang == "zh" else "error: ")


def test_a_directory_that_holds_no_model_is_refused_in_chinese(campaign, tmp_path):
    (tmp_path / "empty").mkdir()
    args = ["--campaign", str(campaign), "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]
    result = build(*args, "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 2 and "empty：不是已保存的模型（缺少 state.json）" in result.stderr


@pytest.fixture(scope="module")
def saved_model(small_bank, tmp_path_factory):
    fitted, _ = train_from_lake(small_bank["lake"], "logistic", seed=3)
    path = tmp_path_factory.mktemp("model")
    fitted.save(path, card={})
    return path


def test_a_lake_without_agents_is_refused_in_chinese(small_bank, saved_model, campaign, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(small_bank["lake"].root, lake, ignore=shutil.ignore_patterns("agents.parquet"))
    args = ["--campaign", str(campaign), "--model", str(saved_model), "--out", str(tmp_path / "out")]
    result = build(*args, "--lake", str(lake))
    assert result.exit_code == 2 and "数据湖中没有坐席表（agents）" in result.stderr
    assert "agents table" not in result.stderr and not (tmp_path / "out").exists()


def test_the_printed_funnel_follows_callwise_lang_not_the_campaigns_list_language(
    small_bank, saved_model, campaign, tmp_path
):
    args = ["--campaign", str(campaign), "--model", str(saved_model), "--lake", str(small_bank["lake"].root)]
    result = build(*args, "--out", str(tmp_path / "out"), lang="en")  # the campaign's list language is zh
    assert result.exit_code == 0, result.output
    assert "already holds the product" in result.output and "已持有该产品" not in result.output
