"""The policy file: defaults, legal floors, hash, and every malformed file refused with its line."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest
import yaml

from callwise.policy import FLOORS, RULE_NAMES, PolicyError, default_policy, describe_policy, load_policy
from callwise.policy.config import Policy

HEAD = "name: bank-a\nversion: 3\n"
RULES = HEAD + "rules:\n"


def write(tmp_path, text: str | bytes):
    path = tmp_path / "policy.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_default_file_spells_out_every_rule_with_the_model_defaults():
    raw = (files("callwise.policy") / "default.yaml").read_bytes()
    spelled = yaml.safe_load(raw)
    assert list(spelled["rules"]) == list(RULE_NAMES)
    assert set(spelled["retention"]) == {"recordings_days", "call_lists_days", "consent_evidence_days"}
    policy = default_policy()
    implied = Policy.model_validate({"name": policy.name, "version": policy.version})
    assert policy.model_dump() == implied.model_dump()
    assert policy.sha256 == hashlib.sha256(raw).hexdigest() and policy.source == "builtin"


def test_design_defaults():
    r = default_policy().rules
    assert r.inactive_status.statuses == ["frozen", "deceased"]
    assert (r.refusal_cooldown.days, r.recent_complaint.days, r.under_age.min_age) == (180, 180, 18)
    assert r.risk_assessment_expired.valid_months == 12
    assert (r.campaign_attempts_cap.max, r.frequency_cap.calls, r.frequency_cap.days) == (3, 4, 30)
    assert (r.quiet_hours.start, r.quiet_hours.end, r.phone_daily_limit.max, r.min_gap.hours) == (
        "21:00",
        "09:00",
        1,
        4,
    )


def test_a_rule_left_out_keeps_its_default_and_a_file_may_tighten(tmp_path):
    path = write(tmp_path, RULES + "  refusal_cooldown:\n    days: 365\n  quiet_hours:\n    start: 20:00\n")
    policy = load_policy(path)
    assert policy.rules.refusal_cooldown.days == 365
    assert policy.rules.quiet_hours.start == "20:00"  # unquoted 20:00 is a time, not YAML's base-60 number
    assert policy.rules.min_gap.hours == 4 and policy.rules.dnc.enabled
    assert policy.source == str(path) and policy.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert policy.audit() == {"name": "bank-a", "version": "3", "sha256": policy.sha256, "source": str(path)}


def test_rules_that_are_not_floors_may_be_switched_off(tmp_path):
    policy = load_policy(write(tmp_path, RULES + "  age_unknown: {enabled: false}\n  min_gap:\n"))
    assert not policy.enabled("age_unknown") and policy.enabled("min_gap")


@pytest.mark.parametrize("rule", sorted(FLOORS))
def test_legal_floors_cannot_be_switched_off(tmp_path, rule):
    assert set(FLOORS) == {"dnc", "no_consent", "inactive_status", "under_age", "quiet_hours", "unsuitable_risk"}
    path = write(tmp_path, HEAD + f"rules:\n  {rule}:\n    enabled: false\n")
    with pytest.raises(PolicyError, match=rf"^{path}:5: rule '{rule}' is a legal floor and cannot be disabled"):
        load_policy(path)


MALFORMED = [
    # (id, file text, line, words the message must hold)
    ("unknown rule", RULES + "  quite_hours: {}\n", 4, "unknown rule 'quite_hours' (did you mean 'quiet_hours'?)"),
    ("unknown rule, old code", RULES + "  dnc: {}\n  under_18: {}\n", 5, "did you mean 'under_age'"),
    ("unknown parameter", RULES + "  min_gap:\n    hour: 3\n", 5, "rule 'min_gap' has no parameter 'hour'"),
    ("unknown top-level key", HEAD + "rule: {}\n", 3, "unknown key 'rule' (did you mean 'rules'?)"),
    ("wrong type", RULES + "  frequency_cap:\n    calls: '4'\n", 5, "must be a whole number"),
    ("bool for a number", RULES + "  min_gap:\n    hours: true\n", 5, "must be a number"),
    ("rule not a mapping", RULES + "  dnc: false\n", 4, "must be a mapping of parameters"),
    ("negative days", RULES + "  refusal_cooldown:\n    days: -1\n", 5, "must be at least 0, not -1"),
    ("negative gap", RULES + "  min_gap:\n    hours: -4\n", 5, "must be at least 0"),
    ("zero cap", RULES + "  phone_daily_limit:\n    max: 0\n", 5, "must be at least 1"),
    ("quiet hours close the day", RULES + "  quiet_hours:\n    start: '21:00'\n    end: '21:00'\n", 4,
     "close the whole day"),
    ("quiet hours leave < 1 hour", RULES + "  quiet_hours:\n    start: '09:30'\n    end: '09:00'\n", 4,
     "less than one hour"),
    ("quiet hours narrowed", RULES + "  quiet_hours:\n    start: '22:00'\n", 4, "must cover at least 21:00–09:00"),
    ("malformed time", RULES + "  quiet_hours:\n    end: '25:00'\n", 5, "'25:00' is not a time of day"),
    ("all weekdays closed", RULES + "  closed_days:\n    weekdays: [mon, tue, wed, thu, fri, sat, sun]\n", 5,
     "leaves no day to call"),
    ("unknown weekday", RULES + "  closed_days:\n    weekdays: [sun, funday]\n", 5, "must be one of"),
    ("bad date", RULES + "  closed_days:\n    dates:\n      - 2026-10-01\n      - 2026-13-01\n", 7,
     "'2026-13-01' is not a day of the calendar"),
    ("under age below 18", RULES + "  under_age:\n    min_age: 16\n", 5, "cannot go below 18"),
    ("floor statuses dropped", RULES + "  inactive_status:\n    statuses: [frozen]\n", 5,
     "must include deceased"),
    ("unknown profiling mode", RULES + "  profiling_opt_out:\n    mode: maybe\n", 5, "must be one of"),
    ("missing version", "name: x\nrules: {}\n", 1, "'version' is required"),
    ("retention typo", HEAD + "retention:\n  recording_days: 30\n", 4, "did you mean 'recordings_days'"),
    ("duplicate rule", RULES + "  dnc: {}\n  min_gap: {}\n  dnc: {}\n", 6, "key 'dnc' is written twice"),
    ("not a mapping", "- name: x\n- version: 1\n", 1, "must be a mapping"),
    ("empty file", "", 1, "the file is empty"),
    ("only a comment", "# nothing here\n", 1, "the file is empty"),
    ("not YAML", HEAD + "rules: [\n  dnc\n", "3:8", "the [ opened here is never closed"),
    ("not UTF-8", HEAD.encode() + "rules: {}\n# 策略\n".encode("gbk"), 4, "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_files_are_refused_with_the_line_and_nothing_is_written(tmp_path, text, line, words):
    path = write(tmp_path, text)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert "\n" not in message
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")


def test_describe_policy_in_both_languages(tmp_path):
    policy = load_policy(write(tmp_path, RULES + "  min_gap: {enabled: false}\n  closed_days: {weekdays: [sun]}\n"))
    zh, en = describe_policy(policy, "zh"), describe_policy(policy, "en")
    assert len(zh) == len(en) == len(RULE_NAMES) + 2
    assert policy.sha256 in zh[0] and policy.sha256 in en[0]
    assert all(a != b for a, b in zip(zh, en, strict=True))
    gap = next(line for line in en if "min_gap" in line)
    assert gap.startswith("[off]")
    assert next(line for line in en if "under_18" in line).startswith("[legal floor]")
    assert "Sun" in next(line for line in en if "closed_days" in line)
    assert "周日" in next(line for line in zh if "closed_days" in line)


def test_the_policy_page_shows_the_default_file_and_every_reason_code():
    from pathlib import Path

    from callwise.policy import CUSTOMER_CODES, GATE_CODES

    page = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    assert (files("callwise.policy") / "default.yaml").read_text(encoding="utf-8") in page
    for code in (*CUSTOMER_CODES, *GATE_CODES):
        assert f"`{code}`" in page, code
