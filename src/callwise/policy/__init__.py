"""Contact policy: who may be called, when, and how often; a gate that re-checks every planned call."""

from callwise.policy.config import Policy, PolicyError, default_policy, load_policy
from callwise.policy.rules import CALL_RULES, CODES, CUSTOMER_RULES, FLOORS, RULE_NAMES

__all__ = [
    "CALL_RULES",
    "CODES",
    "CUSTOMER_RULES",
    "FLOORS",
    "RULE_NAMES",
    "Policy",
    "PolicyError",
    "default_policy",
    "load_policy",
]
