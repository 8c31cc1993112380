"""Experiments: a randomised control group and script arms for every campaign, and the power to measure lift.

Assignment is a stable hash of (campaign seed, customer_id), stratified exactly by score decile; power
tells a manager before launch what lift the list can detect; ``lift_with_ci`` reads the result afterwards.
"""

from callwise.experiments.analysis import lift_with_ci
from callwise.experiments.assign import assign_groups, campaign_seed
from callwise.experiments.balance import balance_report
from callwise.experiments.design import (
    DEFAULT_ARM,
    ExperimentError,
    NoControlWarning,
    check_arms,
    check_control_share,
    parse_arms,
)
from callwise.experiments.power import detectable_lift, required_size

__all__ = [
    "DEFAULT_ARM",
    "ExperimentError",
    "NoControlWarning",
    "assign_groups",
    "balance_report",
    "campaign_seed",
    "check_arms",
    "check_control_share",
    "detectable_lift",
    "lift_with_ci",
    "parse_arms",
    "required_size",
]
