"""The follow-up rules file: which outcome starts which follow-up, on which channel, after which delay.

Validated like the contact policy and refused with ``<file>:<line>: <reason>``. A rule maps a disposition
(optionally only for some products) to a channel, a bilingual template and a delay. One floor is in code, not
in the file: after a refusal, a do-not-call request, a complaint or a wrong number only a ``task`` for the
bank's staff may follow, so no edit of the file can schedule marketing there.
"""

from __future__ import annotations

import hashlib
import string
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from callwise.configfile import ConfigError, ConfigModel, load_config, problem, read_config
from callwise.i18n.message import msg
from callwise.loop.delays import Delay, parse_delay
from callwise.schema.contract import DISPOSITIONS, PRODUCT_CATEGORIES

FOLLOWUP_CHANNELS = ("sms", "call", "wechat", "email", "task", "app_push")
MARKETING_CHANNELS = ("sms", "call", "wechat", "email", "app_push")  # `task` is internal work for the bank's staff
# After these, nothing but internal work may follow: the customer said no, asked not to be called, complained,
# or the number is not theirs (a message would reach a stranger).
NO_MARKETING_AFTER = ("refused", "dnc_requested", "complaint", "wrong_number")

# The contract's tuples, as types pydantic checks (and names in its "must be one of" messages).
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]
Category = Literal[PRODUCT_CATEGORIES]  # type: ignore[valid-type]
Channel = Literal[FOLLOWUP_CHANNELS]  # type: ignore[valid-type]
_NAME = r"^[A-Za-z0-9_\-]+$"
# Placeholders that speak of the product: a follow-up whose template has one needs a product to speak of.
PRODUCT_PLACEHOLDERS = frozenset({"product_name", "product_link"})


class FollowupRulesError(ConfigError):
    """A rules file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class _Strict(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Template(_Strict):
    """The text of a follow-up in both languages; ``{placeholders}`` are filled when it is sent."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def placeholders(self, lang: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(getattr(self, lang)) if name}


class Condition(_Strict):
    """A rule applies only when every condition given holds (none given: always)."""

    category: list[Category] | None = Field(None, min_length=1)
    product_id: list[str] | None = Field(None, min_length=1)

    def holds(self, product_id: str | None, product_category: str | None) -> bool:
        if self.category is not None and product_category not in self.category:
            return False
        return self.product_id is None or product_id in self.product_id


class FollowupRule(_Strict):
    id: str = Field(min_length=1, pattern=_NAME)
    disposition: Disposition
    channel: Channel
    template: str = Field(min_length=1)
    delay: str
    when: Condition = Field(default_factory=Condition)

    @field_validator("when", mode="before")
    @classmethod
    def _empty_means_always(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("delay")
    @classmethod
    def _readable_delay(cls, value: str) -> str:
        parse_delay(value)
        return value

    @property
    def parsed_delay(self) -> Delay:
        return parse_delay(self.delay)

    @property
    def marketing(self) -> bool:
        return self.channel in MARKETING_CHANNELS


class FollowupRules(_Strict):
    """A validated rules file; ``sha256`` identifies the exact file behind every planned action."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    rules: list[FollowupRule] = Field(default_factory=list)
    templates: dict[str, Template] = Field(default_factory=dict)
    _sha256: str = PrivateAttr("")
    _source: str = PrivateAttr("builtin")

    @field_validator("version", mode="before")
    @classmethod
    def _number_is_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def source(self) -> str:
        return self._source

    def for_disposition(self, disposition: str) -> list[FollowupRule]:
        return [r for r in self.rules if r.disposition == disposition]

    def needs_product(self, rule: FollowupRule) -> bool:
        """Whether ``rule`` speaks of a product: its template names one, or it applies only to some products."""
        template = self.templates.get(rule.template)
        named = template is not None and bool(template.placeholders("en") & PRODUCT_PLACEHOLDERS)
        return named or rule.when.category is not None or rule.when.product_id is not None

    def text(self, template: str, lang: str = "zh", **values: object) -> str:
        """The template's text in ``lang`` with its placeholders filled from ``values``."""
        if lang not in ("zh", "en"):
            raise ValueError(f"unknown language {lang!r}; choose zh or en")
        if template not in self.templates:
            raise KeyError(f"no template {template!r} in follow-up rules {self.name!r}")
        entry = self.templates[template]
        missing = sorted(entry.placeholders(lang) - set(values))
        if missing:
            raise ValueError(f"template {template!r} needs a value for {', '.join(missing)}")
        return getattr(entry, lang).format(**values)


def load_followup_rules(path: str | Path | None = None) -> FollowupRules:
    """Read and validate a rules file (the packaged defaults when ``path`` is None)."""
    if path is None:
        raw = (files("callwise.loop") / "followups.yaml").read_bytes()
        return _from_bytes(raw, "followups.yaml", "builtin")
    raw = read_config(path, "followup_rules", FollowupRulesError)
    return _from_bytes(raw, str(path), str(path))


def _from_bytes(raw: bytes, label: str, source: str) -> FollowupRules:
    rules, doc = load_config(raw, label, FollowupRules, "followup_rules", FollowupRulesError)
    seen: set[str] = set()
    for i, rule in enumerate(rules.rules):
        if rule.id in seen:
            raise problem(FollowupRulesError, label, doc, ("rules", i, "id"), msg("loop.rules.id_twice", id=rule.id))
        seen.add(rule.id)
        if rule.template not in rules.templates:
            known = ", ".join(rules.templates) or msg("loop.rules.none")
            reason = msg("loop.rules.no_template", template=rule.template, known=known)
            raise problem(FollowupRulesError, label, doc, ("rules", i, "template"), reason)
        if rule.marketing and rule.disposition in NO_MARKETING_AFTER:
            reason = msg("loop.rules.no_marketing_after", channel=rule.channel, disposition=rule.disposition)
            raise problem(FollowupRulesError, label, doc, ("rules", i, "channel"), reason)
    for name, template in rules.templates.items():
        if template.placeholders("zh") != template.placeholders("en"):
            reason = msg("loop.rules.placeholders_differ", template=name)
            raise problem(FollowupRulesError, label, doc, ("templates", name), reason)
    rules._sha256 = hashlib.sha256(raw).hexdigest()
    rules._source = source
    return rules
