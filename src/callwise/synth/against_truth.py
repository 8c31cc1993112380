"""How good a list and its schedule really are, on a synthetic bank whose true probabilities are known.

Only evaluation reads the truth; nothing that builds a list may. Three comparisons:

* the list against a random list and the oracle list of the same size from the same eligible customers;
* the schedule against four schedules of the same agents, days and customers: the ranked list called with
  no regard to timing (earliest free slot first); perfect timing (true p(answer)) with callwise's response
  scores; the best schedule the tables allow (perfect timing, and the Bayes-optimal p(convert | answered)
  given everything the tables show); and the oracle schedule planned on the true p(answer) and the true
  p(convert | answered), which also knows each customer's hidden response type and taste. Each is scored
  by its true expected conversions;
* the schedule against the schedules that rank by what a call adds (the increment of an answered call):
  the oracle's and the best the tables allow, scored by their true incremental conversions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.lists.build import ListResult, PlanInputs
from callwise.policy.calltime import local_hour_of_week
from callwise.schedule.stage import CallPlan, plan_calls
from callwise.synth.truth import Truth, answer_probability, conversion_probability, load_truth


def compare_with_truth(result: ListResult, truth_dir: str | Path, seed: int = 0) -> dict[str, Any]:
    """The called customers against a random and an oracle choice of as many from the same eligible ones."""
    truth = load_truth(truth_dir)
    product_id = result.summary["product_id"]
    eligible = np.sort(result.ranked["customer_id"].to_numpy())  # id order: the random list ignores the ranking
    n = len(result.listed)
    p_call = conversion_probability(truth, eligible, product_id, "call")
    p_nocall = conversion_probability(truth, eligible, product_id, "nocall")
    chosen = {
        "callwise": pd.Index(eligible).get_indexer(result.listed["customer_id"]),
        "random": np.sort(np.random.default_rng(seed).choice(len(eligible), size=n, replace=False)),
        "oracle": np.argsort(-p_call, kind="stable")[:n],
    }
    lists = {
        name: {
            "true_conversions": round(float(p_call[idx].sum()), 3),
            "true_incremental_conversions": round(float((p_call[idx] - p_nocall[idx]).sum()), 3),
        }
        for name, idx in chosen.items()
    }
    ours, random, oracle = (lists[k]["true_conversions"] for k in ("callwise", "random", "oracle"))
    return {
        "listed": n,
        "eligible": len(eligible),
        "lists": lists,
        "vs_random": round(ours / random, 3) if random else None,
        "share_of_oracle": round(ours / oracle, 3) if oracle else None,
    }


def compare_schedules_with_truth(result: ListResult, truth_dir: str | Path) -> dict[str, Any]:
    """callwise's schedule against ranked-in-order and the oracle schedule, by true expected conversions."""
    truth = load_truth(truth_dir)
    inputs = result.planning
    p_model = inputs.p_answer
    p_true = true_answer_matrix(inputs, truth)
    p_answered, p_knowable = (truth_of(inputs, truth, kind) for kind in ("answered", "knowable"))
    value = float(inputs.product["value_per_conversion"])

    # No timing: every allowed slot as good as another, earlier ones first (the dialler works down the list).
    allowed = p_model > 0
    mean = np.where(allowed.any(axis=1), p_model.sum(axis=1) / np.maximum(allowed.sum(axis=1), 1), 0)
    earlier_first = 1 - 1e-4 * np.arange(len(inputs.slots)) / len(inputs.slots)
    p_flat = (allowed * mean[:, None] * earlier_first[None, :]).astype(np.float32)

    plans = {
        "ranked_in_order": replan(inputs, p_flat),
        "callwise": inputs.plan,
        # Perfect timing with callwise's own response scores: how much of the gap is timing, how much ranking.
        "oracle_timing": replan(inputs, p_true),
        # What no model trained on the tables can beat: it would have to see the hidden traits.
        "best_from_tables": replan(inputs, p_true, margin=p_knowable * value),
        "oracle": replan(inputs, p_true, margin=p_answered * value),
    }
    scored = score_plans(plans, inputs, truth, p_true)
    ours, ranked, oracle = (scored[k]["true_conversions"] for k in ("callwise", "ranked_in_order", "oracle"))
    timing, knowable = (scored[k]["true_conversions"] for k in ("oracle_timing", "best_from_tables"))
    return {
        "plans": scored,
        "share_of_oracle": round(ours / oracle, 4) if oracle else None,
        "share_of_oracle_timing": round(ours / timing, 4) if timing else None,
        "share_of_best_from_tables": round(ours / knowable, 4) if knowable else None,
        "best_from_tables_share_of_oracle": round(knowable / oracle, 4) if oracle else None,
        "vs_ranked_in_order": round(ours / ranked, 4) if ranked else None,
        "capacity_calls": round(float(inputs.force.capacity.sum()), 1),
    }


def compare_increment_schedules_with_truth(result: ListResult, truth_dir: str | Path) -> dict[str, Any]:
    """callwise's schedule against the schedules that rank by what a call adds, by true incremental conversions.

    Both ceilings plan the same customers, agents and days with perfect timing (true p(answer)): the oracle by
    the true increment of an answered call (p_answered − p_nocall, knowing the response type) and the best the
    tables allow (p_knowable − p_knowable_nocall, the Bayes-optimal increment given the tables); the latter also
    with callwise's own answer model for timing, the ceiling of a list that learns the increment but not the hours.
    """
    truth = load_truth(truth_dir)
    inputs = result.planning
    p_true = true_answer_matrix(inputs, truth)
    answered, nocall, knowable, knowable_nocall = (
        truth_of(inputs, truth, kind) for kind in ("answered", "nocall", "knowable", "knowable_nocall")
    )
    value = float(inputs.product["value_per_conversion"])
    plans = {
        "callwise": inputs.plan,
        "best_from_tables_by_increment": replan(inputs, p_true, margin=(knowable - knowable_nocall) * value),
        # The same increment timed by callwise's answer model: the ceiling of a model that learns only the increment.
        "best_from_tables_by_increment_own_timing": replan(
            inputs, inputs.p_answer, margin=(knowable - knowable_nocall) * value
        ),
        "oracle_by_increment": replan(inputs, p_true, margin=(answered - nocall) * value),
    }
    scored = score_plans(plans, inputs, truth, p_true)
    ours, knowable_plan, oracle = (
        scored[k]["true_incremental_conversions"]
        for k in ("callwise", "best_from_tables_by_increment", "oracle_by_increment")
    )
    return {
        "plans": scored,
        "share_of_oracle_by_increment": round(ours / oracle, 4) if oracle else None,
        "share_of_best_from_tables_by_increment": round(ours / knowable_plan, 4) if knowable_plan else None,
        "capacity_calls": round(float(inputs.force.capacity.sum()), 1),
    }


def true_answer_matrix(inputs: PlanInputs, truth: Truth) -> np.ndarray:
    """True p(answer) per planned customer and slot, zero where the plan's own matrix does not allow a call."""
    customers, slots = inputs.customers, inputs.slots
    ids = customers["customer_id"].to_numpy()
    allowed = inputs.p_answer > 0
    p_true = np.zeros_like(inputs.p_answer)
    zones = customers["timezone"].to_numpy(dtype=object)
    for zone in np.unique(zones):
        rows = np.flatnonzero(zones == zone)
        hours = local_hour_of_week(slots.starts, zone, inputs.bank_timezone)
        p_true[rows] = answer_probability(truth, ids[rows], hours) * allowed[rows]
    return p_true


def truth_of(inputs: PlanInputs, truth: Truth, kind: str) -> np.ndarray:
    """One kind of true conversion probability (see ``KINDS``) of each planned customer, for the campaign's product."""
    return conversion_probability(truth, inputs.customers["customer_id"].to_numpy(), inputs.product["product_id"], kind)


def replan(inputs: PlanInputs, p_answer: np.ndarray, margin: np.ndarray | None = None) -> CallPlan:
    """Plan the same customers with the same agents, days, policy and control group from other probabilities."""
    campaign = inputs.campaign
    return plan_calls(
        inputs.customers,
        p_answer,
        inputs.force,
        inputs.slots,
        float(inputs.product["value_per_conversion"]),
        campaign.cost_per_call,
        campaign.max_attempts,
        campaign.capacity,
        campaign.control_share,
        campaign.seed,
        margin=margin,
        numbers=inputs.numbers,
    )


def score_plans(
    plans: dict[str, CallPlan], inputs: PlanInputs, truth: Truth, p_true: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Each plan's true outcome (conversions, incremental conversions, calls) and its true value net of the calls."""
    answered, nocall = (truth_of(inputs, truth, kind) for kind in ("answered", "nocall"))
    value, cost = float(inputs.product["value_per_conversion"]), inputs.campaign.cost_per_call
    scored = {name: _true_outcome(p.calls, inputs.customers, p_true, answered, nocall) for name, p in plans.items()}
    for outcome in scored.values():
        outcome["true_value"] = round(outcome["true_conversions"] * value - cost * outcome["true_expected_calls"], 2)
    return scored


def _true_outcome(
    calls: pd.DataFrame, customers: pd.DataFrame, p_true: np.ndarray, p_answered: np.ndarray, p_alone: np.ndarray
) -> dict[str, Any]:
    """True expected conversions of the customers a schedule calls (answered by some attempt, or not)."""
    row = pd.Index(customers["customer_id"]).get_indexer(calls["customer_id"])
    order = np.lexsort((calls["attempt"].to_numpy(), row))
    row = row[order]
    miss = pd.Series(1 - p_true[row, calls["slot"].to_numpy()[order]].astype(np.float64))
    # An attempt is placed when no earlier one was answered: the product of the earlier misses.
    placed = miss.groupby(row).cumprod() / miss
    missed_all = miss.groupby(row).prod()
    called = missed_all.index.to_numpy()
    answered = 1 - missed_all.to_numpy()
    converts = answered * p_answered[called] + (1 - answered) * p_alone[called]
    return {
        "customers_called": len(called),
        "planned_calls": len(calls),
        "true_expected_calls": round(float(placed.sum()), 1),
        "true_expected_answered": round(float(answered.sum()), 1),
        "true_conversions": round(float(converts.sum()), 2),
        "true_incremental_conversions": round(float((answered * (p_answered[called] - p_alone[called])).sum()), 2),
    }
