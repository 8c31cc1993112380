"""`callwise train --uplift`, then `callwise lists build` of a campaign with `ranking: uplift`, as a user runs them."""

import json

from typer.testing import CliRunner

from callwise.cli import app

runner = CliRunner()


def test_train_an_uplift_model_and_build_a_list_ranked_by_it(small_bank, tmp_path):
    lake = str(small_bank["lake"].root)
    out = tmp_path / "uplift"
    trained = runner.invoke(app, ["train", "--uplift", "--learner", "s", "--lake", lake, "--out", str(out), "--json"])
    assert trained.exit_code == 0, trained.output
    card = json.loads(trained.stdout)
    assert card["model"] == "uplift (s)" and card["treated"] > card["control"] > 0
    assert json.loads((out / "model_card.json").read_text(encoding="utf-8"))["kind"] == "uplift"

    campaign = tmp_path / "c.yaml"
    campaign.write_text(
        "campaign_id: u\nproduct_id: P_WM01\ndate: 2026-07-01\ndays: 3\nranking: uplift\nmodel: uplift\n",
        encoding="utf-8",
    )
    args = ["lists", "build", "--campaign", str(campaign), "--lake", lake, "--out", str(tmp_path / "list")]
    built = runner.invoke(app, [*args, "--no-record"], env={"CALLWISE_LANG": "en"})
    assert built.exit_code == 0, built.output
    assert built.stdout.splitlines()[0] == "ranked by uplift (what a call adds)"
    assert "a call would more likely put them off" in built.stdout  # the funnel's negative_uplift step
    summary = json.loads((tmp_path / "list" / "summary.json").read_text(encoding="utf-8"))
    assert summary["ranking"] == "uplift" and summary["listed"] > 0


def test_an_uplift_campaign_given_a_response_model_is_refused_in_one_sentence(small_bank, tmp_path):
    lake = str(small_bank["lake"].root)
    trained = runner.invoke(app, ["train", "--lake", lake, "--out", str(tmp_path / "response")])
    assert trained.exit_code == 0, trained.output
    campaign = tmp_path / "c.yaml"
    campaign.write_text("campaign_id: u\nproduct_id: P_WM01\ndate: 2026-07-01\nranking: uplift\n", encoding="utf-8")
    args = ["--campaign", str(campaign), "--model", str(tmp_path / "response"), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, ["lists", "build", *args, "--lake", lake, "--no-record"], env={"CALLWISE_LANG": "zh"})
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "按增量排序（ranking: uplift），但给出的模型不是增量模型" in result.stderr


def test_a_learner_without_uplift_is_refused(tmp_path):
    result = runner.invoke(app, ["train", "--learner", "t", "--out", str(tmp_path / "m")], env={"CALLWISE_LANG": "en"})
    assert result.exit_code == 2 and "--learner is only used with --uplift" in result.stderr
