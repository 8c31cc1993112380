"""Contact policy: who may be called, when and how often, and a gate that re-checks every planned call.

Customer rules run before ranking (:func:`evaluate_customers`), call-time rules shape the schedule
(:func:`legal_slot_mask`), and :func:`gate` checks the planned calls once more before anything leaves.
"""

from callwise.policy.calltime import LegalSlots, legal_calls, legal_slot_mask, local_hour_of_week
from callwise.policy.config import Policy, PolicyError, default_policy, load_policy
from callwise.policy.customers import CUSTOMER_CODES, UNCAPPED, CustomerVerdicts, evaluate_customers
from callwise.policy.describe import describe_policy
from callwise.policy.gate import (
    GATE_CODES,
    GateResult,
    PolicyViolation,
    assert_clean,
    gate,
    history_since,
    load_call_history,
    number_days,
)
from callwise.policy.rules import CALL_RULES, CODES, CUSTOMER_RULES, FLOORS, RULE_NAMES

__all__ = [
    "CALL_RULES",
    "CODES",
    "CUSTOMER_CODES",
    "CUSTOMER_RULES",
    "FLOORS",
    "GATE_CODES",
    "RULE_NAMES",
    "UNCAPPED",
    "CustomerVerdicts",
    "GateResult",
    "LegalSlots",
    "Policy",
    "PolicyError",
    "PolicyViolation",
    "assert_clean",
    "default_policy",
    "describe_policy",
    "evaluate_customers",
    "gate",
    "history_since",
    "legal_calls",
    "legal_slot_mask",
    "load_call_history",
    "load_policy",
    "local_hour_of_week",
    "number_days",
]
