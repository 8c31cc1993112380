"""The outcome loop: follow-up rules, delivery of follow-ups, and call outcomes from a dialer's export.

Library parts only (no database, no web): the outbox that connects them is the operational DB's business.
"""

from callwise.loop.dialer_import import DialerImport, DialerImportError, read_dialer_export
from callwise.loop.dialer_mapping import DialerMapping, DialerMappingError, load_dialer_mapping
from callwise.loop.followups import (
    FollowupAction,
    FollowupPlan,
    FollowupRules,
    FollowupRulesError,
    OutcomeFacts,
    load_followup_rules,
    plan_followups,
    plan_with_reasons,
)
from callwise.loop.senders import (
    MAX_ATTEMPTS,
    DeliveryResult,
    DeliveryStatus,
    FileSender,
    OutboxMessage,
    Sender,
    WebhookSender,
    backoff,
    next_attempt_at,
    verify_signature,
)

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryResult",
    "DeliveryStatus",
    "DialerImport",
    "DialerImportError",
    "DialerMapping",
    "DialerMappingError",
    "FileSender",
    "FollowupAction",
    "FollowupPlan",
    "FollowupRules",
    "FollowupRulesError",
    "OutboxMessage",
    "OutcomeFacts",
    "Sender",
    "WebhookSender",
    "backoff",
    "load_dialer_mapping",
    "load_followup_rules",
    "next_attempt_at",
    "plan_followups",
    "plan_with_reasons",
    "read_dialer_export",
    "verify_signature",
]
