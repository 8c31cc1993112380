"""Customer rules: who may be called at all during a plan, with a reason code for everyone left out.

Each rule is one boolean Ibis column (true = excluded), computed in one query over customers joined with a
per-customer summary of the contact history, so the same expression runs on DuckDB or Spark. A customer's
primary reason is the first rule in funnel order that excludes them; all reasons are kept.

Rules are evaluated for the whole plan window [start, end]: a customer barred on any of its days is left out
of the whole plan. Each rule only ever moves one way in time, so that means checking the first day for the
rules that expire (cool-downs, being under age) and the last day for those that begin (an assessment running
out, passing the product's maximum age). Everything on record counts, including contacts dated after
``start``: a refusal or a do-not-call request is never ignored because of where the plan starts.
Missing inputs are conservative: no consent recorded is a refusal, no risk tolerance is unsuitable, no
assessment date is expired; no contacts table means no history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from callwise.features.asof import age_on
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.policy.config import Policy
from callwise.policy.live import all_contacts, live_customers
from callwise.policy.rules import CODES, CUSTOMER_RULES
from callwise.schema.contract import DEFAULT_TIMEZONE, PHONE_KEY, RISK_LEVELS, RISK_TOLERANCES

CUSTOMER_CODES: tuple[str, ...] = tuple(CODES[rule] for rule in CUSTOMER_RULES)
UNCAPPED = 1_000_000  # attempts_left when both caps are switched off


class FunnelStep(TypedDict):
    """One step of a list's funnel: customers the step removed, and how many are left after it."""

    step: str  # "customers", then a reason code
    removed: int
    remaining: int


@dataclass(frozen=True)
class CustomerVerdicts:
    """The customer rules' decision for one plan: one row per customer, sorted by customer_id.

    ``frame`` columns: customer_id, phone_lookup (:data:`PHONE_KEY`), phone_masked, timezone, one bool per reason
    code in :data:`CUSTOMER_CODES`
    (true = excluded), non_personalised (rank without profile models), attempts_left (calls this customer may
    still get in the plan), campaign_attempts_left, frequency_left, last_call_at (customer-local, NaT if none).
    """

    frame: pd.DataFrame
    primary: pd.Series  # first code that excludes, None if eligible
    reasons: pd.Series  # every code that excludes, "|"-joined, None if eligible
    policy: Policy
    start: date
    end: date
    # The campaign's own steps before the policy's rules (not_in_audience, segment_…): columns of ``frame`` too.
    campaign_codes: tuple[str, ...] = ()

    @property
    def eligible(self) -> pd.DataFrame:
        """The rows of customers no rule excludes."""
        return self.frame[self.primary.isna().to_numpy()]

    def funnel(self) -> list[FunnelStep]:
        """Customers removed by each enabled rule (as primary reason), in rule order."""
        remaining = len(self.frame)
        steps: list[FunnelStep] = [{"step": "customers", "removed": 0, "remaining": remaining}]
        counts = self.primary.value_counts()
        for code in self.campaign_codes:
            removed = int(counts.get(code, 0))
            remaining -= removed
            steps.append({"step": code, "removed": removed, "remaining": remaining})
        for rule in CUSTOMER_RULES:
            if not self.policy.enabled(rule):
                continue
            removed = int(counts.get(CODES[rule], 0))
            remaining -= removed
            steps.append({"step": CODES[rule], "removed": removed, "remaining": remaining})
        return steps


def evaluate_customers(
    lake: Lake,
    policy: Policy,
    product: dict[str, Any],
    campaign_id: str | None,
    start: date,
    end: date | None = None,
) -> CustomerVerdicts:
    """Apply every customer rule of ``policy`` for a plan calling ``product`` from ``start`` to ``end``."""
    end = end or start
    if end < start:
        raise ValueError(f"the plan ends ({end}) before it starts ({start})")
    c = live_customers(lake)
    history = _history(lake, policy, campaign_id, start)
    if history is not None:
        c = c.left_join(history, "customer_id").drop("customer_id_right")
    flags = _rule_columns(c, policy, product, start, end, history is not None, _holders(lake, product, start, end))
    counts = _cap_columns(c, policy, history is not None)
    opted_out = _flag(c, "profiling_opt_out", False)
    timezone = c.timezone.strip().nullif("").fill_null(DEFAULT_TIMEZONE) if "timezone" in c.columns else None
    expr = c.select(
        "customer_id",
        PHONE_KEY,
        "phone_masked",
        timezone=timezone if timezone is not None else ibis.literal(DEFAULT_TIMEZONE),
        **flags,
        non_personalised=opted_out if policy.enabled("profiling_opt_out") else ibis.literal(False),
        **counts,
        last_call_at=c.h_last_call if history is not None else ibis.null("timestamp"),
    )
    frame = to_pandas(expr.order_by("customer_id"))
    frame = _apply_caps(frame, policy)
    primary, reasons = primary_and_reasons(frame)
    return CustomerVerdicts(frame=frame, primary=primary, reasons=reasons, policy=policy, start=start, end=end)


def _history(lake: Lake, policy: Policy, campaign_id: str | None, start: date) -> ir.Table | None:
    """Per customer: DNC requests, last refusal, last complaint, call counts and the last call."""
    k = all_contacts(lake)
    if k is None:
        return None
    call = k.channel == "call"
    days = policy.rules.frequency_cap.days
    window_from = datetime.combine(start, time.min) - timedelta(days=days - 1)
    same_campaign = ibis.literal(False)
    if campaign_id is not None and "campaign_id" in k.columns:
        same_campaign = (k.campaign_id == campaign_id).fill_null(False)
    return k.group_by("customer_id").aggregate(
        h_dnc_requests=k.count(where=k.disposition == "dnc_requested"),
        h_last_refusal=k.ts.max(where=call & (k.disposition == "refused")),
        h_last_complaint=k.ts.max(where=k.disposition == "complaint"),
        h_last_call=k.ts.max(where=call),
        h_window_calls=k.count(where=call & (k.ts >= ibis.literal(window_from))),
        h_campaign_calls=k.count(where=call & same_campaign),
    )


def _flag(t: ir.Table, column: str, default: bool) -> ir.BooleanValue:
    if column not in t.columns:
        return ibis.literal(default)
    return t[column].fill_null(default)


def _within(ts: ir.Value, start: date, days: int) -> ir.BooleanValue:
    """Dated less than ``days`` calendar days before ``start`` (or later): 179 days ago yes, 180 no."""
    if days <= 0:
        return ibis.literal(False)
    since = datetime.combine(start, time.min) - timedelta(days=days - 1)
    return (ts.cast("timestamp") >= ibis.literal(since)).fill_null(False)


def _rule_columns(
    c: ir.Table,
    policy: Policy,
    product: dict[str, Any],
    start: date,
    end: date,
    has_history: bool,
    holders: ir.Value | None,
) -> dict[str, ir.BooleanValue]:
    rules = policy.rules
    no = ibis.literal(False)
    age_start, age_end = age_on(c, start), age_on(c, end)
    h = c if has_history else None

    inactive = c.status.isin(rules.inactive_status.statuses).fill_null(False) if "status" in c.columns else no
    dnc = _flag(c, "dnc", False)
    if h is not None:
        dnc |= h.h_dnc_requests.fill_null(0) > 0
    refused = _within(h.h_last_refusal, start, rules.refusal_cooldown.days) if h is not None else no
    complained = no
    if "complaint_last_at" in c.columns:
        complained |= _within(c.complaint_last_at, start, rules.recent_complaint.days)
    if h is not None:
        complained |= _within(h.h_last_complaint, start, rules.recent_complaint.days)

    outside = no
    if _present(product.get("min_age")):
        outside |= age_start < int(product["min_age"])
    if _present(product.get("max_age")):
        outside |= age_end > int(product["max_age"])

    unsuitable, expired = no, no
    level = product.get("risk_level")
    if _present(level):
        unsuitable = ~_tolerates(c, str(level))
        expired = _assessment_expired(c, end, rules.risk_assessment_expired.valid_months)

    values = {
        "inactive_status": inactive,
        "dnc": dnc,
        "no_consent": ~_flag(c, "consent_marketing", False),
        "refusal_cooldown": refused,
        "recent_complaint": complained,
        "age_unknown": age_start.isnull(),
        "under_age": (age_start < rules.under_age.min_age).fill_null(False),
        "product_age_limit": outside.fill_null(False),
        "unsuitable_risk": unsuitable,
        "risk_assessment_expired": expired,
        "profiling_opt_out": _flag(c, "profiling_opt_out", False) & (rules.profiling_opt_out.mode == "exclude"),
        "holds_product": c.customer_id.isin(holders) if holders is not None else no,
        # the two caps are decided from the counts, after the query (see _apply_caps)
        "campaign_attempts_cap": no,
        "frequency_cap": no,
    }
    return {CODES[rule]: (values[rule] if policy.enabled(rule) else no) for rule in CUSTOMER_RULES}


def _tolerates(c: ir.Table, level: str) -> ir.BooleanValue:
    """Tolerance Ck or higher for a product of level Rk; an unknown level or tolerance is unsuitable."""
    if level not in RISK_LEVELS or "risk_tolerance" not in c.columns:
        return ibis.literal(False)
    enough = list(RISK_TOLERANCES[RISK_LEVELS.index(level) :])
    return c.risk_tolerance.isin(enough).fill_null(False)


def _assessment_expired(c: ir.Table, on: date, valid_months: int) -> ir.BooleanValue:
    """Expired on ``on`` from the day ``valid_months`` after the assessment on (or when none is known).

    An assessment made on 2025-07-02 with 12 months' validity is still valid on 2026-07-01 and expired from
    2026-07-02 on: the anniversary is the first day it no longer counts. A month without that day ends it on
    its last day (2024-02-29 + 12 months = 2025-02-28), the earlier of the two readings.
    """
    if "risk_assessed_at" not in c.columns:
        return ibis.literal(True)
    expires = (c.risk_assessed_at.cast("date") + ibis.interval(months=valid_months)).cast("date")
    return (expires <= ibis.literal(on)).fill_null(True)


def _holders(lake: Lake, product: dict[str, Any], start: date, end: date) -> ir.Value | None:
    """Customers holding the product on some day of the plan: opened by its end, not closed by its start."""
    if not lake.has("holdings"):
        return None
    h = lake.table("holdings")
    if "product_id" not in h.columns:
        return None
    held = h.product_id == product["product_id"]
    if "opened_at" in h.columns:
        held &= h.opened_at.isnull() | (h.opened_at.cast("date") <= end)
    if "closed_at" in h.columns:
        held &= h.closed_at.isnull() | (h.closed_at.cast("date") > start)
    return h.filter(held).customer_id


def _cap_columns(c: ir.Table, policy: Policy, has_history: bool) -> dict[str, ir.IntegerValue]:
    rules = policy.rules
    campaign_calls = c.h_campaign_calls.fill_null(0) if has_history else ibis.literal(0)
    window_calls = c.h_window_calls.fill_null(0) if has_history else ibis.literal(0)
    return {
        "campaign_attempts_left": (rules.campaign_attempts_cap.max - campaign_calls).cast("int64"),
        "frequency_left": (rules.frequency_cap.calls - window_calls).cast("int64"),
    }


def _apply_caps(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """attempts_left = the tighter enabled cap; a customer with none left is excluded by that cap."""
    caps = {"campaign_attempts_cap": "campaign_attempts_left", "frequency_cap": "frequency_left"}
    left = np.full(len(frame), UNCAPPED, dtype=np.int64)
    for rule, column in caps.items():
        if not policy.enabled(rule):
            frame[column] = UNCAPPED
            continue
        values = frame[column].to_numpy(dtype=np.int64).clip(min=0)
        frame[column] = values
        frame[CODES[rule]] = values == 0
        left = np.minimum(left, values)
    frame["attempts_left"] = left
    order = ["customer_id", PHONE_KEY, "phone_masked", "timezone", *CUSTOMER_CODES, "non_personalised", "attempts_left"]
    rest = [name for name in frame.columns if name not in order]
    return frame[order + rest].reset_index(drop=True)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA


def primary_and_reasons(frame: pd.DataFrame, codes: tuple[str, ...] = CUSTOMER_CODES) -> tuple[pd.Series, pd.Series]:
    """The first code that excludes each row (None if none) and every such code, "|"-joined.

    Rows are grouped by their pattern of flags (one bit per code), so the joining runs once per pattern that
    occurs, not once per row.
    """
    matrix = frame[list(codes)].to_numpy(dtype=bool)
    names = np.array(codes, dtype=object)
    primary = np.where(matrix.any(axis=1), names[matrix.argmax(axis=1)], None)
    bits = matrix.astype(np.int64) @ (np.int64(1) << np.arange(len(codes), dtype=np.int64))
    patterns, inverse = np.unique(bits, return_inverse=True)
    joined = np.array(["|".join(names[(p >> np.arange(len(codes))) & 1 == 1]) or None for p in patterns], dtype=object)
    return (
        pd.Series(primary, index=frame.index, dtype=object),
        pd.Series(joined[inverse.reshape(-1)], index=frame.index, dtype=object),
    )
