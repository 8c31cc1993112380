"""Every configuration file (campaign, policy, follow-up rules, dialer mapping) through the one loader: the
same refusals, at the same lines, in zh and in English."""

from pathlib import Path

import pytest

from callwise.configfile import ConfigError
from callwise.lists.campaign import CampaignError, load_campaign
from callwise.loop import DialerMappingError, FollowupRulesError, load_dialer_mapping, load_followup_rules
from callwise.policy import PolicyError, load_policy

LOADERS = {
    "campaign": (load_campaign, CampaignError),
    "policy": (load_policy, PolicyError),
    "followups": (load_followup_rules, FollowupRulesError),
    "mapping": (load_dialer_mapping, DialerMappingError),
}
CAMPAIGN = "campaign_id: w-07\nproduct_id: P_WM01\ndate: 2026-07-01\n"


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, kind: str, text: str) -> ConfigError:
    load, error = LOADERS[kind]
    with pytest.raises(error) as info:
        load(write(tmp_path, text, f"{kind}.yaml"))
    assert isinstance(info.value, ConfigError)
    return info.value


BROKEN = [  # text, line:column, what the sentence says
    ("name: x\nversion: a: b\n", "2:11", "a ':' where no new key can start"),
    ("name: x\nrules:\n\tdnc: {}\n", "3:1", "'\\t' cannot stand here (indent with spaces, not tabs"),
    ("name: x\nversion: 'one\n", "2:10", "the ' opened here is never closed"),
    ("name: x\nversion: [1, 2\n", "2:10", "the [ opened here is never closed"),
    ("name: x\nversion\nrules: {}\n", "2:1", "the key on this line has no ':' after it"),
    ("name: x\nrules:\n  dnc: {}\n min_gap: {}\n", "4:2", "the indentation does not line up"),
    ("name: x\nversion: *v\n", "2:10", "an alias (*name) with no anchor"),
]


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize(("text", "at", "words"), BROKEN)
def test_broken_yaml_names_the_file_line_column_and_what_is_wrong(tmp_path, kind, text, at, words):
    message = str(refusal(tmp_path, kind, text))
    assert message.startswith(f"{tmp_path / kind}.yaml:{at}: not valid YAML: "), message
    assert words in message and "Error" not in message and "\n" not in message


@pytest.mark.parametrize("kind", LOADERS)
def test_a_number_python_cannot_build_is_one_sentence_with_its_line(tmp_path, kind):
    message = refusal(tmp_path, kind, "name: x\nversion: 1\nsome: " + "9" * 5000 + "\n")
    assert str(message).startswith(f"{tmp_path / kind}.yaml:3") and "more than 100 digits" in str(message)
    assert "100 位" in message.message("zh") and len(str(message)) < 300


def test_a_yaml_error_reads_in_chinese_too(tmp_path):
    error = refusal(tmp_path, "campaign", "campaign_id: [w\n")
    assert error.message("zh") == f"{tmp_path / 'campaign.yaml'}:1:14：不是有效的 YAML：此处打开的 [ 没有闭合"
    assert (error.line, error.column) == (1, 14)


@pytest.mark.parametrize("kind", LOADERS)
def test_a_key_written_twice_names_both_lines(tmp_path, kind):
    error = refusal(tmp_path, kind, "name: a\nversion: 1\nname: b\n")
    assert str(error).endswith(":3: key 'name' is written twice (first on line 1)")
    assert error.message("zh").endswith(":3：键 'name' 写了两次（第一次在第 1 行）")


def test_an_unknown_key_gets_the_closest_field_and_the_allowed_ones_in_both_languages(tmp_path):
    error = refusal(tmp_path, "campaign", CAMPAIGN + "capcity: 5\n")
    assert ":4: unknown key 'capcity' (did you mean 'capacity'?); allowed: campaign_id, name" in str(error)
    assert ":4：未知的键 'capcity'（是否想写 'capacity'？）；可用的键：campaign_id, name" in error.message("zh")


def test_an_unknown_key_one_level_down_suggests_the_fields_of_that_level(tmp_path):
    error = refusal(tmp_path, "policy", "name: a\nversion: 1\nrules:\n  min_gap:\n    hour: 3\n")
    assert str(error).endswith(
        ":5: rule 'min_gap' has no parameter 'hour' (did you mean 'hours'?); it takes: enabled, hours"
    )
    assert "规则 'min_gap' 没有参数 'hour'（是否想写 'hours'？）" in error.message("zh")


def test_a_bound_says_the_limit_and_the_value(tmp_path):
    error = refusal(tmp_path, "campaign", CAMPAIGN + "capacity: -1\n")
    assert str(error).endswith(":4: capacity must be at least 0, not -1")
    assert error.message("zh").endswith(":4：capacity 不能小于 0，而现在是 -1")


def test_a_validator_of_the_file_speaks_both_languages_at_its_line(tmp_path):
    error = refusal(tmp_path, "campaign", CAMPAIGN + "first_hour: 20\nlast_hour: 9\n")
    assert "last_hour (9) must come after first_hour (20)" in str(error)
    assert "last_hour（9）必须晚于 first_hour（20）" in error.message("zh")


@pytest.mark.parametrize("written", ["2026-7-6", "2026/7/6", "2026.07.06", "20260706", "'20260706'", "2026年7月6日"])
def test_campaign_dates_are_read_like_ingest_reads_dates(tmp_path, written):
    path = write(tmp_path, f"campaign_id: w\nproduct_id: P1\ndate: {written}\n")
    assert load_campaign(path).date.isoformat() == "2026-07-06"


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("03/05/2026", "'03/05/2026' does not say which number is the month and which the day; write the year first"),
        ("2026-02-30", "'2026-02-30' is not a day of the calendar"),
        ("2026-13-01", "'2026-13-01' is not a day of the calendar"),
        ("1850-01-01", "'1850-01-01' is outside the years 1900–2199"),
        ("next monday", "'next monday' is not a date; write it like 2026-07-06, 2026/7/6, 20260706 or 2026年7月6日"),
        ("2026-07-06 10:00", "'2026-07-06 10:00' holds a time of day; only a date is wanted here"),
    ],
)
def test_dates_the_parser_cannot_read_are_refused_with_what_to_write(tmp_path, written, words):
    error = refusal(tmp_path, "campaign", f"campaign_id: w\nproduct_id: P1\ndate: {written}\n")
    assert f":3: date: {words}" in str(error)


def test_a_policy_closed_date_is_read_by_the_same_parser(tmp_path):
    text = "name: a\nversion: 1\nrules:\n  closed_days:\n    dates: [2026/10/1, 2026年10月2日]\n"
    policy = load_policy(write(tmp_path, text, "policy.yaml"))
    assert [d.isoformat() for d in policy.rules.closed_days.dates] == ["2026-10-01", "2026-10-02"]
    error = refusal(tmp_path, "policy", text.replace("2026/10/1", "10/01/2026"))
    assert "：rules.closed_days.dates：'10/01/2026' 看不出哪个是月、哪个是日" in error.message("zh")


def test_a_missing_file_points_at_the_file_that_is_there(tmp_path):
    write(tmp_path, CAMPAIGN, "campaign.yaml")
    with pytest.raises(CampaignError) as info:
        load_campaign(tmp_path / "campagin.yaml")
    assert str(info.value) == f"{tmp_path / 'campagin.yaml'}: campaign file not found (did you mean 'campaign.yaml'?)"
    assert info.value.message("zh") == f"{tmp_path / 'campagin.yaml'}：找不到活动文件（是否想写 'campaign.yaml'？）"


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "conf" / "policy.yaml")
    assert str(info.value).endswith(f"policy file not found (the folder {tmp_path / 'conf'} does not exist)")


def test_a_legal_floor_of_the_policy_is_refused_in_both_languages(tmp_path):
    error = refusal(tmp_path, "policy", "name: a\nversion: 1\nrules:\n  quiet_hours:\n    start: '22:00'\n")
    assert str(error).endswith(
        ":4: rules.quiet_hours: quiet hours 22:00–09:00 must cover at least 21:00–09:00 "
        "(legal floor); they may be widened, not narrowed"
    )
    assert error.message("zh").endswith(
        "：rules.quiet_hours：禁呼时段 22:00–09:00 必须至少覆盖 21:00–09:00（法定底线）；只能放宽，不能缩小"
    )


def test_a_follow_up_delay_is_refused_at_its_key_in_both_languages(tmp_path):
    rule = "rules:\n  - id: r1\n    disposition: interested\n    channel: sms\n    template: t1\n    delay: P1M\n"
    text = "name: a\nversion: 1\n" + rule + "templates:\n  t1: {zh: 您好, en: hello}\n"
    error = refusal(tmp_path, "followups", text)
    assert str(error).endswith(
        ":8: rules.delay: 'P1M' counts months or years, which have no fixed length; write days (P30D)"
    )
    assert error.message("zh").endswith("：rules.delay：'P1M' 以月或年计，长度不固定；请用天数（P30D）")


def test_a_validator_used_outside_a_file_reads_without_a_key():
    from callwise.loop.delays import parse_delay

    with pytest.raises(ValueError) as info:
        parse_delay("3 days")
    assert str(info.value).startswith("'3 days' is not a delay; write an ISO-8601 duration")


def test_a_file_of_another_kind_is_named_as_such(tmp_path):
    policy = write(tmp_path, "name: bank\nversion: 1\nrules:\n  dnc: {}\n", "policy.yaml")
    with pytest.raises(CampaignError) as info:
        load_campaign(policy)
    assert str(info.value) == (
        f"{policy}:1: this is not a campaign file: it has none of the keys a campaign file requires and mostly keys of "
        "something else (a campaign file has: "
        "campaign_id, name, product_id, date, days, first_hour, last_hour, capacity, max_attempts, cost_per_call, "
        "cost_per_minute, cost_per_sms, min_expected_value, ranking, control_share, lift_to_detect, alpha, power, "
        "arms, teams, agent_share, seed, lang, audience, segments, trigger, channels, model, "
        "answer_model, policy, tag_catalogue, trigger_catalogue); "
        "is it the wrong file?"
    )
    assert info.value.message("zh").startswith(f"{policy}:1：这不像活动文件")


def test_a_missing_file_far_from_every_name_lists_the_yaml_files_there(tmp_path):
    write(tmp_path, CAMPAIGN, "c.yaml")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml")
    assert str(info.value).endswith("policy file not found (YAML files in that folder: c.yaml)")


def test_an_experiment_design_in_a_campaign_is_refused_in_both_languages(tmp_path):
    error = refusal(tmp_path, "campaign", CAMPAIGN + "arms: {A: 0.5, B: 0.6}\n")
    assert str(error).endswith(":4: arms: arm shares must sum to 1, they sum to 1.1")
    assert error.message("zh").endswith(":4：arms：各分支比例之和必须为 1，现在是 1.1")


def test_a_refusal_keeps_its_words_through_pickling_and_wrapping(tmp_path):
    """A build job stores the error of a worker process: the Chinese sentence must survive the trip."""
    import pickle

    from callwise.lists.build import ListError

    error = refusal(tmp_path, "campaign", CAMPAIGN + "capcity: 5\n")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is CampaignError and again.message("zh") == error.message("zh") and str(again) == str(error)
    assert (again.file, again.line) == (error.file, 4)
    assert ListError.of(error).message("zh") == error.message("zh")


def test_a_ranking_callwise_does_not_know_is_refused_at_its_line_in_both_languages(tmp_path):
    error = refusal(tmp_path, "campaign", CAMPAIGN + "ranking: gain\n")
    assert ":4: ranking must be one of 'response', 'uplift', not 'gain'" in error.message("en")
    assert ":4：ranking 只能是 'response', 'uplift' 之一，而不是 'gain'" in error.message("zh")
    assert load_campaign(write(tmp_path, CAMPAIGN + "ranking: uplift\n")).ranking == "uplift"
