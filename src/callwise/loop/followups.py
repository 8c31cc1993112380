"""Planning follow-ups: one call outcome → the actions to write to the outbox, inside the contact policy.

:func:`plan_followups` applies the rules (:mod:`callwise.loop.rules`) to one outcome and gives every action a
dedupe key that is the same however often the outcome is processed, so re-processing never sends twice.
Compliance is a gate here too: no marketing follow-up to a customer with a do-not-call flag or without
consent, and calls and messages moved into the policy's legal hours on the customer's clock. What the gate
stops is returned with a reason code by :func:`plan_with_reasons`, never dropped silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from callwise.loop.legal_time import earliest_legal
from callwise.loop.rules import (
    FOLLOWUP_CHANNELS,
    MARKETING_CHANNELS,
    NO_MARKETING_AFTER,
    FollowupRule,
    FollowupRules,
    FollowupRulesError,
    load_followup_rules,
)
from callwise.policy import Policy
from callwise.policy.calltime import zone
from callwise.schema.contract import DEFAULT_TIMEZONE, DISPOSITIONS, PRODUCT_CATEGORIES

__all__ = [
    "FOLLOWUP_CHANNELS",
    "LEGAL_MINUTES",
    "MARKETING_CHANNELS",
    "NO_MARKETING_AFTER",
    "SUPPRESSION_REASONS",
    "FollowupAction",
    "FollowupPlan",
    "FollowupRules",
    "FollowupRulesError",
    "OutcomeFacts",
    "SuppressedFollowup",
    "dedupe_key",
    "load_followup_rules",
    "plan_followups",
    "plan_with_reasons",
]

# Minutes of legal time a contact needs on the customer's clock; email is read when the customer chooses.
LEGAL_MINUTES = {"call": 60, "sms": 15, "wechat": 15}
SUPPRESSION_REASONS = (
    "dnc",
    "no_consent",
    "unknown_timezone",
    "no_legal_time",
    "no_product",
    "no_bank_name",
    "no_text",
)


@dataclass(frozen=True, kw_only=True)
class OutcomeFacts:
    """What a follow-up needs to know about one call outcome; times are aware (stored in UTC).

    ``dnc`` and ``consent`` have no defaults on purpose: forgetting them must not send marketing.
    """

    customer_id: str
    timezone: str
    disposition: str
    ts: datetime
    dnc: bool
    consent: bool
    product_id: str | None = None
    product_category: str | None = None
    callback_at: datetime | None = None
    outcome_id: str | None = None  # the outcome's own key (e.g. the dialer's idempotency key), if it has one

    def __post_init__(self) -> None:
        if not isinstance(self.customer_id, str) or not self.customer_id.strip():
            raise ValueError(f"customer_id must be non-empty text, not {self.customer_id!r}")
        if self.disposition not in DISPOSITIONS:
            raise ValueError(f"unknown disposition {self.disposition!r}; expected one of {', '.join(DISPOSITIONS)}")
        if self.outcome_id is not None and (not isinstance(self.outcome_id, str) or not self.outcome_id.strip()):
            raise ValueError(f"outcome_id must be non-empty text or None, not {self.outcome_id!r}")
        if not isinstance(self.timezone, str):
            raise ValueError(f"timezone must be a zone name like 'Asia/Shanghai', not {self.timezone!r}")
        for name in ("dnc", "consent"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, not {getattr(self, name)!r}")
        if self.product_category is not None and self.product_category not in PRODUCT_CATEGORIES:
            raise ValueError(
                f"unknown product category {self.product_category!r}; expected one of {', '.join(PRODUCT_CATEGORIES)}"
            )
        object.__setattr__(self, "ts", _utc(self.ts, "ts"))
        if self.callback_at is not None:
            object.__setattr__(self, "callback_at", _utc(self.callback_at, "callback_at"))

    @property
    def identity(self) -> str:
        """The outcome's stable identity: its own id, or who, what and when (to the second, as stores keep it)."""
        if self.outcome_id:
            return f"id\x1f{self.outcome_id}"
        when = self.ts.replace(microsecond=0).isoformat()
        return "\x1f".join(("facts", self.customer_id, self.disposition, when, self.product_id or ""))


@dataclass(frozen=True)
class FollowupAction:
    """One follow-up to write to the outbox; ``dedupe_key`` is the same each time the outcome is processed."""

    channel: str
    template: str
    due_at: datetime
    customer_id: str
    dedupe_key: str
    rule_id: str
    product_id: str | None = None
    moved: bool = False  # the rule's time fell outside the legal hours and was moved to the next legal moment
    text: Mapping[str, str] | None = None  # the message in zh and en, when planned with its values


@dataclass(frozen=True)
class SuppressedFollowup:
    """A follow-up a rule asked for that the contact policy stopped; ``reason`` is a reason code."""

    rule_id: str
    channel: str
    reason: str


@dataclass
class FollowupPlan:
    """The actions to write to the outbox and the follow-ups the policy stopped."""

    actions: list[FollowupAction] = field(default_factory=list)
    suppressed: list[SuppressedFollowup] = field(default_factory=list)


def dedupe_key(outcome: OutcomeFacts, rule_id: str) -> str:
    """Same outcome and rule → same key, whenever and however often it is computed."""
    digest = hashlib.sha256(f"{outcome.identity}\x1e{rule_id}".encode()).hexdigest()
    return f"fu:{digest[:32]}"


def plan_followups(
    rules: FollowupRules,
    outcome: OutcomeFacts,
    policy: Policy,
    now: datetime,
    bank_timezone: str = DEFAULT_TIMEZONE,
    values: Mapping[str, object] | None = None,
) -> list[FollowupAction]:
    """The follow-ups to send for ``outcome``, gated by ``policy``, none due before ``now``."""
    return plan_with_reasons(rules, outcome, policy, now, bank_timezone, values).actions


def plan_with_reasons(
    rules: FollowupRules,
    outcome: OutcomeFacts,
    policy: Policy,
    now: datetime,
    bank_timezone: str = DEFAULT_TIMEZONE,
    values: Mapping[str, object] | None = None,
) -> FollowupPlan:
    """:func:`plan_followups` plus the follow-ups stopped, each with its reason code.

    With ``values`` (the templates' placeholders: ``bank_name``, ``product_name``, …) every action carries its
    text, and a follow-up that cannot say what it must is stopped too: ``no_product`` (it speaks of a product and
    the outcome names none), ``no_bank_name`` (an SMS goes out signed 【bank】 or not at all) and ``no_text`` (a
    placeholder without a value). An empty value counts as none.
    """
    now = _utc(now, "now")
    bank_zone = zone(bank_timezone)
    if bank_zone is None:
        raise ValueError(f"unknown bank time zone {bank_timezone!r}")
    customer_zone = zone(outcome.timezone)
    plan = FollowupPlan()
    for rule in rules.for_disposition(outcome.disposition):
        if not rule.when.holds(outcome.product_id, outcome.product_category):
            continue
        action_or_reason = _plan_one(rule, outcome, policy, now, customer_zone, bank_zone)
        if values is not None and not isinstance(action_or_reason, str):
            action_or_reason = _with_text(action_or_reason, rule, rules, values)
        if isinstance(action_or_reason, str):
            plan.suppressed.append(SuppressedFollowup(rule.id, rule.channel, action_or_reason))
        else:
            plan.actions.append(action_or_reason)
    return plan


def _plan_one(
    rule: FollowupRule,
    outcome: OutcomeFacts,
    policy: Policy,
    now: datetime,
    customer_zone: ZoneInfo | None,
    bank_zone: ZoneInfo,
) -> FollowupAction | str:
    """The action, or the reason code that stops it."""
    if rule.marketing:
        if outcome.dnc or outcome.disposition == "dnc_requested":
            return "dnc"
        if not outcome.consent:
            return "no_consent"
        if customer_zone is None:
            return "unknown_timezone"
    clock = customer_zone if rule.marketing and customer_zone is not None else bank_zone
    due = rule.parsed_delay.due(outcome.ts, now, clock, outcome.callback_at)
    legal = due
    if rule.channel in LEGAL_MINUTES:
        found = earliest_legal(policy, due, outcome.timezone, LEGAL_MINUTES[rule.channel])
        if found is None:
            return "no_legal_time"
        legal = found
    return FollowupAction(
        channel=rule.channel,
        template=rule.template,
        due_at=legal,
        customer_id=outcome.customer_id,
        dedupe_key=dedupe_key(outcome, rule.id),
        rule_id=rule.id,
        product_id=outcome.product_id,
        moved=legal != due,
    )


def _with_text(
    action: FollowupAction, rule: FollowupRule, rules: FollowupRules, values: Mapping[str, object]
) -> FollowupAction | str:
    """The action with its text in both languages, or the reason code it cannot be sent."""
    if rules.needs_product(rule) and not action.product_id:
        return "no_product"
    given = {name: value for name, value in values.items() if value is not None and str(value).strip()}
    if rule.channel == "sms" and "bank_name" not in given:
        return "no_bank_name"
    try:
        text = {lang: rules.text(rule.template, lang, **given) for lang in ("zh", "en")}
    except (KeyError, ValueError):
        return "no_text"
    return replace(action, text=text)


def _utc(moment: object, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, not {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone (UTC), not the naive {moment.isoformat()}")
    return moment.astimezone(UTC)
