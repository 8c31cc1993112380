"""A follow-up that cannot say what it must is stopped at planning with a reason code, never sent half-written."""

from __future__ import annotations

from callwise.loop.followups import SUPPRESSION_REASONS, plan_with_reasons
from tests.loop.test_followup_plan import POLICY, RULES, local, outcome

VALUES = {"bank_name": "示例银行", "product_name": "季季盈", "product_link": "https://bank.example/w1"}


def _plan(facts, values):
    return plan_with_reasons(RULES, facts, POLICY, facts.ts, values=values)


def test_with_its_values_every_action_carries_its_text_in_both_languages():
    result = _plan(outcome("converted", ts=local(2026, 7, 1, 14, 0)), VALUES)
    (thanks,) = result.actions
    assert thanks.text is not None and thanks.text["zh"].startswith("【示例银行】") and "季季盈" in thanks.text["zh"]
    assert thanks.text["en"].startswith("[示例银行]") and "{" not in thanks.text["en"]


def test_no_sms_is_planned_without_a_bank_name_and_none_is_signed_with_empty_brackets():
    for bank in ("", "   ", None):
        result = _plan(outcome(), VALUES | {"bank_name": bank})
        assert {(s.rule_id, s.reason) for s in result.suppressed} == {("interested-sms-risk-rated", "no_bank_name")}
        assert [a.rule_id for a in result.actions] == ["interested-callback"]
        assert all("【】" not in a.text["zh"] for a in result.actions if a.text)


def test_a_follow_up_about_a_product_without_a_product_is_stopped():
    result = _plan(outcome("converted", product_id=None, product_category=None), VALUES)
    assert result.actions == [] and [(s.rule_id, s.reason) for s in result.suppressed] == [
        ("converted-thanks", "no_product")
    ]


def test_a_placeholder_without_a_value_is_no_text():
    result = _plan(outcome(), VALUES | {"product_link": ""})
    assert ("interested-sms-risk-rated", "no_text") in {(s.rule_id, s.reason) for s in result.suppressed}
    assert {"no_product", "no_bank_name", "no_text"} <= set(SUPPRESSION_REASONS)
