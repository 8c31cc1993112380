"""The list's summary as a type: what ``summary.json``, the report, the service and ``--json`` all read.

A TypedDict, not a class: the summary is written to JSON as it is, so its keys and their order are the file's.
"""

from __future__ import annotations

from typing import Any, TypedDict

from callwise.policy.config import PolicyAudit
from callwise.policy.customers import FunnelStep
from callwise.schedule.stage import PlanSummary


class ExperimentSummary(TypedDict):
    """The randomised test the list carries: who was held out and what lift it can detect."""

    seed: int
    control_share: float
    arms: dict[str, float]
    treatment_called: int
    control_held_out: int
    lift_measurable: bool
    lift_to_detect: float  # the relative lift the group must detect to be measurable (callwise.experiments.measurable)
    alpha: float
    power: float
    base_rate: float
    detectable_lift: dict[str, Any] | None  # callwise.experiments.detectable_lift, or {"error": why not}
    needed: dict[str, Any] | None  # list size, control and treatment customers for lift_to_detect; None if measurable


class ListSummary(TypedDict):
    """One campaign's list in numbers; no clocks in it, so the same inputs give the same bytes."""

    campaign_id: str
    product_id: str
    product_category: str | None
    date: str  # ISO date of the first calling day
    days: list[str]
    capacity: int | None  # most customers to call; None: as many as the agents can
    cost_per_call: float
    value_per_conversion: float
    customers: int
    eligible: int
    listed: int
    calls: int
    funnel: list[FunnelStep]
    expected_conversions: float
    expected_value: float
    model: str
    ranking: str  # "response" | "uplift": what the list was ranked by
    expected_incremental_conversions: float | None  # ranked by uplift: the listed customers' summed uplift
    policy: PolicyAudit
    experiment: ExperimentSummary
    plan: PlanSummary
    gate: dict[str, int]  # refused calls per reason code
