"""The follow-up rules file: the defaults, and every malformed file refused with its line and a reason."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest

from callwise.loop.followups import FollowupRulesError, load_followup_rules

HEAD = "name: bank-a-followups\nversion: 2\n"
TEMPLATES = "templates:\n  t1:\n    zh: 您好 {name}\n    en: Hello {name}\n"


def rule(**fields) -> str:
    base = {"id": "r1", "disposition": "interested", "channel": "sms", "template": "t1", "delay": "P1D"}
    base.update(fields)
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items() if v is not None) + "\n"


def write(tmp_path, text: str | bytes):
    path = tmp_path / "followups.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_the_default_rules_say_what_the_bank_expects():
    rules = load_followup_rules()
    raw = (files("callwise.loop") / "followups.yaml").read_bytes()
    assert rules.sha256 == hashlib.sha256(raw).hexdigest() and rules.source == "builtin"
    by = {(r.disposition, r.channel, r.delay) for r in rules.rules}
    assert ("interested", "sms", "next_morning@09:30") in by
    assert ("interested", "call", "P3D") in by
    assert ("callback_requested", "call", "callback_at") in by
    assert ("converted", "sms", "PT15M") in by
    assert ("complaint", "task", "PT0S") in by
    assert rules.for_disposition("refused") == [] and rules.for_disposition("dnc_requested") == []
    assert [r.channel for r in rules.for_disposition("complaint")] == ["task"]
    risk = rules.text("product_link_risk", "zh", bank_name="某银行", product_name="稳健A", product_link="u")
    assert "理财非存款" in risk and "拒收请回复R" in risk
    assert "not deposits" in rules.text("product_link_risk", "en", bank_name="B", product_name="A", product_link="u")


def test_a_file_of_its_own(tmp_path):
    text = HEAD + "rules:\n" + rule(when="{category: [wealth, fund]}") + rule(id="r2", channel="task") + TEMPLATES
    rules = load_followup_rules(write(tmp_path, text))
    assert rules.name == "bank-a-followups" and rules.version == "2" and len(rules.rules) == 2
    assert rules.rules[0].when.category == ["wealth", "fund"] and rules.rules[1].when.category is None
    assert rules.text("t1", "en", name="Li") == "Hello Li"
    assert rules.source.endswith("followups.yaml")


def test_template_text_needs_every_placeholder_a_known_template_and_language(tmp_path):
    rules = load_followup_rules(write(tmp_path, HEAD + "rules:\n" + rule() + TEMPLATES))
    with pytest.raises(ValueError, match="template 't1' needs a value for name"):
        rules.text("t1", "zh")
    with pytest.raises(KeyError, match="no template 'nope'"):
        rules.text("nope")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        rules.text("t1", "fr", name="x")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (HEAD + "rules:\n" + rule(disposition="intrested") + TEMPLATES, 5, "did you mean 'interested'"),
        (HEAD + "rules:\n" + rule(channel="fax") + TEMPLATES, 6, "channel must be one of"),
        (HEAD + "rules:\n" + rule(delay="P1M") + TEMPLATES, 8, "months or years"),
        (HEAD + "rules:\n" + rule(delay="'three days'") + TEMPLATES, 8, "is not a delay"),
        (HEAD + "rules:\n" + rule(delay="next_morning@25:00") + TEMPLATES, 8, "no valid time of day"),
        (HEAD + "rules:\n" + rule(delay=3) + TEMPLATES, 8, "delay must be text"),
        (HEAD + "rules:\n" + rule(colour="red") + TEMPLATES, 9, "unknown key 'colour'"),
        (HEAD + "rules:\n" + rule(when="{segment: [vip]}") + TEMPLATES, 9, "unknown key 'segment'; allowed: category"),
        (HEAD + "rules:\n" + rule(when="{category: [gold]}") + TEMPLATES, 9, "category must be one of"),
        (HEAD + "rules:\n" + rule(when="{category: []}") + TEMPLATES, 9, "category must not be empty"),
        (HEAD + "rules:\n" + rule(id="'has space'") + TEMPLATES, 4, "may only hold letters"),
        (HEAD + "rules:\n" + rule(disposition=None) + TEMPLATES, 4, "'rules.disposition' is required"),
        (HEAD + "rules:\n" + rule() + rule() + TEMPLATES, 9, "rule id 'r1' is used twice"),
        (HEAD + "rules:\n" + rule(template="nope") + TEMPLATES, 7, "template 'nope' is not in 'templates'"),
        (HEAD + "rules:\n" + rule(disposition="dnc_requested") + TEMPLATES, 6, "no marketing follow-up (sms)"),
        (HEAD + "rules:\n" + rule(disposition="refused", channel="call") + TEMPLATES, 6, "may follow 'refused'"),
        (HEAD + "rules:\n" + rule(disposition="complaint", channel="email") + TEMPLATES, 6, "only a 'task'"),
        (HEAD + "rules:\n" + rule(disposition="wrong_number", channel="wechat") + TEMPLATES, 6, "'wrong_number'"),
        (HEAD + "rules:\n" + rule() + "templates:\n  t1:\n    zh: 您好 {name}\n    en: Hello\n", 10, "placeholders"),
        (HEAD + "rules:\n" + rule() + "templates:\n  t1:\n    zh: 您好\n", 10, "'templates.t1.en' is required"),
        (HEAD + "rules:\n" + rule() + "templates:\n  t1:\n    zh: a\n    en: b\n    fr: c\n", 13, "allowed: zh, en"),
        (HEAD + "rules: {a: 1}\n" + TEMPLATES, 3, "rules must be a list"),
        (HEAD + "rulez: []\n", 3, "unknown key 'rulez' (did you mean 'rules'?)"),
        ("name: x\n", 1, "'version' is required"),
        (HEAD + "name: again\n", 3, "key 'name' is written twice"),
        ("- just\n- a list\n", 1, "must be a mapping"),
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        (HEAD + "rules: [\n", 4, "not valid YAML"),
        ("name: 银行\nversion: 1\n".encode("gbk"), 1, "not UTF-8"),
    ],
)
def test_malformed_files_are_refused_with_line_and_reason(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(FollowupRulesError) as info:
        load_followup_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FollowupRulesError, match="follow-up rules file not found"):
        load_followup_rules(tmp_path / "nope.yaml")
    with pytest.raises(FollowupRulesError, match="is a directory"):
        load_followup_rules(tmp_path)


def test_a_task_may_follow_anything(tmp_path):
    text = HEAD + "rules:\n" + rule(disposition="dnc_requested", channel="task") + TEMPLATES
    assert load_followup_rules(write(tmp_path, text)).rules[0].channel == "task"


def test_an_empty_when_means_always(tmp_path):
    rules = load_followup_rules(write(tmp_path, HEAD + "rules:\n" + rule(when="") + TEMPLATES))
    assert rules.rules[0].when.category is None and rules.rules[0].when.product_id is None
