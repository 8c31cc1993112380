"""Experiments: a randomised control group and script arms for every campaign, and the power to measure lift.

Assignment is a stable hash of (campaign seed, customer_id), stratified exactly by score decile; power
tells a manager before launch what lift the list can detect; ``lift_with_ci`` reads the result afterwards.
"""

from callwise.experiments.assign import assign_groups
from callwise.experiments.balance import balance_report
from callwise.experiments.design import DEFAULT_ARM, ExperimentError, NoControlWarning, parse_arms

__all__ = [
    "DEFAULT_ARM",
    "ExperimentError",
    "NoControlWarning",
    "assign_groups",
    "balance_report",
    "parse_arms",
]
