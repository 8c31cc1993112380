"""The campaign file's channels key: what a campaign may use, and one clear sentence for every bad input."""

from __future__ import annotations

import pytest

from callwise.lists.campaign import CampaignError, load_campaign

HEAD = "campaign_id: c1\nproduct_id: W1\ndate: 2026-07-01\n"


def write(tmp_path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_channels_a_campaign_names_with_costs_limits_and_budget(tmp_path):
    c = load_campaign(
        write(tmp_path, HEAD + "channels:\n  budget: 1000\n  call: {cost: 6}\n  sms: {cost: 0.05, daily_limit: 500}\n")
    )
    assert c.channels is not None
    assert c.channels.used == ("call", "sms")
    assert c.channels.cost("call") == 6 and c.channels.cost("sms") == 0.05
    assert c.channels.daily_limit("sms") == 500 and c.channels.daily_limit("call") is None
    assert c.channels.budget == 1000


def test_a_campaign_without_channels_is_as_before(tmp_path):
    assert load_campaign(write(tmp_path, HEAD)).channels is None


@pytest.mark.parametrize(
    ("body", "line", "english", "chinese"),
    [
        ("channels:\n  budget: 10\n", 4, "channels must name at least one channel", "channels 至少要写一个渠道"),
        ("channels:\n  sms: {cost: -1}\n", 5, "channels.sms.cost", "channels.sms.cost"),
        ("channels:\n  fax: {cost: 1}\n", 5, "unknown key 'fax'", "fax"),
        ("channels:\n  call: {cost: 5, daily_limit: 10}\n", 5, "daily_limit", "daily_limit"),
        ("channels:\n  sms: {cost: 0.1}\n  sms: {cost: 0.2}\n", 6, "written twice", "sms"),
        ("channels:\n  sms: {cost: cheap}\n", 5, "channels.sms.cost", "channels.sms.cost"),
        ("channels:\n  budget: 1e13\n  sms: {}\n", 5, "channels.budget", "channels.budget"),
        ("channels: every\n", 4, "channels", "channels"),
        ("channels:\n  sms: {cost: 0.1, daily_limit: 2.5}\n", 5, "daily_limit", "daily_limit"),
        ("channels:\n  '=HYPERLINK(\"x\")': {cost: 1}\n", 5, "unknown key", "HYPERLINK"),
        ("channels:\n  budget: " + "9" * 5000 + "\n  sms: {}\n", 5, "more than 100 digits", "100 位"),
        ("channels:\n  sms: {cost: '" + "x" * 5000 + "'}\n", 5, "channels.sms.cost", "channels.sms.cost"),
    ],
)
def test_bad_channels_are_refused_with_file_line_and_field_in_both_languages(tmp_path, body, line, english, chinese):
    path = write(tmp_path, HEAD + body)
    with pytest.raises(CampaignError) as info:
        load_campaign(path)
    assert str(info.value).startswith(f"{path}:{line}")
    assert english in str(info.value)
    zh = info.value.message("zh")
    assert zh.startswith(f"{path}:{line}") and chinese in zh
    assert "Traceback" not in str(info.value) and len(str(info.value)) < 1500


def test_an_empty_or_gbk_campaign_file_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("channels:\n  sms: {cost: 0.1}  # 短信\n".encode("gbk"))
    with pytest.raises(CampaignError, match="not UTF-8"):
        load_campaign(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(CampaignError):
        load_campaign(path)
