"""A policy in words, rule by rule, for the person who signs it off (``policy check``)."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t
from callwise.policy.config import Policy
from callwise.policy.rules import CODES, FLOORS, RULE_NAMES


def describe_policy(policy: Policy, lang: str = "zh") -> list[str]:
    """One line for the policy's identity, one per rule (state, reason code, what it does), one for retention."""
    lines = [
        t(
            "policy.describe.header",
            lang,
            name=policy.name,
            version=policy.version,
            source=policy.source,
            sha256=policy.sha256,
        )
    ]
    for name in RULE_NAMES:
        rule = policy.rule(name)
        state = "floor" if name in FLOORS else ("on" if rule.enabled else "off")
        params = {key: _words(key, value, lang) for key, value in rule.model_dump(exclude={"enabled"}).items()}
        text = t(f"policy.rule.{name}", lang, **params)
        lines.append(f"[{t(f'policy.state.{state}', lang)}] {CODES[name]}: {text}")
    lines.append(t("policy.describe.retention", lang, **policy.retention.model_dump()))
    return lines


def _words(key: str, value: Any, lang: str) -> str:
    if key == "mode":
        return t(f"policy.mode.{value}", lang)
    if key == "weekdays":
        value = [t(f"policy.weekday.{day}", lang) for day in value]
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value) if value else t("policy.none", lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
