"""How good a list and its schedule really are, on a synthetic bank whose true probabilities are known.

Only evaluation reads the truth; nothing that builds a list may. Two comparisons:

* the list against a random list and the oracle list of the same size from the same eligible customers;
* the schedule against four schedules of the same agents, days and customers: the ranked list called with
  no regard to timing (earliest free slot first); perfect timing (true p(answer)) with callwise's response
  scores; the best schedule the tables allow (perfect timing, and the Bayes-optimal p(convert | answered)
  given everything the tables show); and the oracle schedule planned on the true p(answer) and the true
  p(convert | answered), which also knows each customer's hidden response type and taste. Each is scored
  by its true expected conversions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.lists.build import ListResult
from callwise.policy.calltime import local_hour_of_week
from callwise.schedule.stage import CallPlan, plan_calls
from callwise.synth.truth import answer_probability, conversion_probability, load_truth


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
    customers, p_model, slots = inputs.customers, inputs.p_answer, inputs.slots
    campaign, product = inputs.campaign, inputs.product
    ids = customers["customer_id"].to_numpy()
    allowed = p_model > 0
    p_true = np.zeros_like(p_model)
    zones = customers["timezone"].to_numpy(dtype=object)
    for zone in np.unique(zones):
        rows = np.flatnonzero(zones == zone)
        hours = local_hour_of_week(slots.starts, zone, inputs.bank_timezone)
        p_true[rows] = answer_probability(truth, ids[rows], hours) * allowed[rows]
    value = float(product["value_per_conversion"])
    p_answered = conversion_probability(truth, ids, product["product_id"], "answered")
    p_knowable = conversion_probability(truth, ids, product["product_id"], "knowable")
    p_alone = conversion_probability(truth, ids, product["product_id"], "nocall")

    # No timing: every allowed slot as good as another, earlier ones first (the dialler works down the list).
    mean = np.where(allowed.any(axis=1), p_model.sum(axis=1) / np.maximum(allowed.sum(axis=1), 1), 0)
    earlier_first = 1 - 1e-4 * np.arange(len(slots)) / len(slots)
    p_flat = (allowed * mean[:, None] * earlier_first[None, :]).astype(np.float32)

    def plan(p: np.ndarray, margin: np.ndarray | None = None) -> CallPlan:
        return plan_calls(
            customers,
            p,
            inputs.force,
            slots,
            value,
            campaign.cost_per_call,
            campaign.max_attempts,
            campaign.capacity,
            campaign.control_share,
            campaign.seed,
            margin=margin,
            numbers=inputs.numbers,
        )

    plans = {
        "ranked_in_order": plan(p_flat),
        "callwise": inputs.plan,
        # Perfect timing with callwise's own response scores: how much of the gap is timing, how much ranking.
        "oracle_timing": plan(p_true),
        # What no model trained on the tables can beat: it would have to see the hidden traits.
        "best_from_tables": plan(p_true, margin=p_knowable * value),
        "oracle": plan(p_true, margin=p_answered * value),
    }
    cost = campaign.cost_per_call
    scored = {name: _true_outcome(p.calls, customers, p_true, p_answered, p_alone) for name, p in plans.items()}
    for outcome in scored.values():
        outcome["true_value"] = round(outcome["true_conversions"] * value - cost * outcome["true_expected_calls"], 2)
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
