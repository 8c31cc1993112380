"""From ranked, eligible customers to planned calls: slot, agent and attempt for each, under the policy.

Inputs are tables (customers to plan, agents) and fitted models (answer model), outputs are tables (calls,
per-customer plan) plus a plan summary. The policy shapes the plan (legal slots in each customer's local
time, attempts left, minimum gap after the last call) and its gate re-checks every call afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np
import pandas as pd

from callwise.policy import Policy, legal_slot_mask
from callwise.policy.calltime import local_calls
from callwise.policy.phones import NumberDays
from callwise.protocols import AnswerScorer
from callwise.schedule.agents import assign_agents
from callwise.schedule.optimise import Problem, Solution, solve, trim_to_capacity
from callwise.schedule.plans import Plans
from callwise.schedule.slots import DEFAULT_LANGUAGE, Slots, Workforce
from callwise.schema.contract import PHONE_KEY

HISTORIC_ATTEMPTS = 3  # how past campaigns dialled: up to 3 attempts at legal hours, no timing


class PlanDay(TypedDict):
    date: str  # ISO date
    expected_calls: float
    capacity: float


class PlanSummary(TypedDict):
    """What the scheduler reports about its plan; the list's summary carries it as ``plan``."""

    solver: str
    lp_rows: int
    pricing_rounds: int
    objective: float
    lp_bound: float
    gap: float
    planned_customers: int
    called_customers: int
    planned_calls: int
    expected_calls: float
    expected_answered: float
    expected_value: float
    capacity_calls: float
    utilisation: float
    days: list[PlanDay]
    agents: int
    pools: list[str]


@dataclass(frozen=True)
class CallPlan:
    calls: pd.DataFrame  # one row per planned attempt (treatment only), best first within each slot
    customers: pd.DataFrame  # one row per planned customer: called?, first call, p(answered), expected value
    summary: PlanSummary  # no clocks in it: written summaries stay byte-identical
    solution: Solution
    seconds: float


def answer_matrix(
    customers: pd.DataFrame, answer_model: AnswerScorer, policy: Policy, slots: Slots, bank_timezone: str
) -> np.ndarray:
    """p(answer) per customer and slot in the customer's local time; zero where a call is not allowed.

    Not allowed: quiet hours or a closed day in the customer's zone, or too soon after their last call.
    """
    n = len(customers)
    p = np.zeros((n, len(slots)), np.float32)
    zones = customers["timezone"].to_numpy(dtype=object)
    legal = legal_slot_mask(policy, slots.starts, zones, bank_timezone)
    gap = np.timedelta64(int(policy.rules.min_gap.hours * 3600), "s") if policy.enabled("min_gap") else None
    personal = ~customers["non_personalised"].to_numpy(bool) if "non_personalised" in customers else np.ones(n, bool)
    for zone, mask in zip(legal.zones, legal.mask, strict=True):  # a handful of zones
        if not mask.any():
            continue  # no legal slot (or a zone nobody can read): these customers cannot be called
        rows = np.flatnonzero(zones == zone)
        local = pd.DatetimeIndex(local_calls(slots.starts, np.full(len(slots), zone), bank_timezone)["local_start"])
        hours = (local.day_of_week * 24 + local.hour).to_numpy()
        block = answer_model.probabilities(
            customers["customer_id"].to_numpy()[rows], hours, non_personalised=~personal[rows]
        )
        block *= mask[None, :]
        if gap is not None and "last_call_at" in customers:
            last = customers["last_call_at"].to_numpy("datetime64[s]")[rows]
            too_soon = local.to_numpy("datetime64[s]")[None, :] < (last + gap)[:, None]  # NaT: never too soon
            block *= ~too_soon
        p[rows] = block
    return p


def answered_conversion(score: np.ndarray, p_answer: np.ndarray) -> np.ndarray:
    """p(convert | the call is answered) from the response model's p(convert | dialled as before).

    Past campaigns dialled up to three times at legal hours without regard to timing, so a customer's
    score is about p(answered then) × p(convert | answered); p(answered then) is estimated from the answer
    model's average over the allowed slots. All conversions are credited to answered calls (conservative
    for timing: customers who would buy anyway gain nothing from being reached).
    """
    return np.asarray(np.clip(score / np.maximum(_reached_before(p_answer), 1e-3), 0.0, 1.0))


def answered_uplift(uplift: np.ndarray, p_answer: np.ndarray) -> np.ndarray:
    """What an answered call adds to p(convert), from the uplift of being on a past list (intention to treat).

    A past list's member was reached with p(answered then) (as in :func:`answered_conversion`) and only a call
    that is answered can change what they do, so the uplift per answered call is the list's uplift over that
    chance. It keeps its sign: a call that puts a customer off is worth less than no call.
    """
    return np.asarray(np.clip(uplift / np.maximum(_reached_before(p_answer), 1e-3), -1.0, 1.0))


def _reached_before(p_answer: np.ndarray) -> np.ndarray:
    """p(answered) when dialled as past campaigns did: the answer model's mean over the allowed slots, 3 tries."""
    allowed = p_answer > 0
    mean = np.where(allowed.any(axis=1), p_answer.sum(axis=1) / np.maximum(allowed.sum(axis=1), 1), 0.0)
    return np.asarray(1 - (1 - mean) ** HISTORIC_ATTEMPTS)


def plan_calls(
    customers: pd.DataFrame,
    p_answer: np.ndarray,
    force: Workforce,
    slots: Slots,
    value_per_conversion: float,
    cost_per_call: float,
    max_attempts: int,
    max_customers: int | None = None,
    control_share: float = 0.0,
    seed: int = 0,
    margin: np.ndarray | None = None,
    numbers: NumberDays | None = None,
) -> CallPlan:
    """Plan the calls of ``customers`` (treatment and control: control is planned, then not called).

    ``customers`` columns: customer_id, phone_lookup (:data:`PHONE_KEY`), phone_masked, score, attempts_left,
    group ('treatment' | 'control'),
    priority (rank, 1 = best), optionally language. Capacity is raised by 1 / (1 − control share) while
    planning both groups together, so the control group is exactly the customers the plan would have called;
    the treatment calls are then trimmed to the real capacity. ``margin`` (value of an answered call) is
    derived from the score unless given (the oracle plan gives the true one). ``numbers`` (from
    :func:`callwise.policy.gate.number_days`) keeps one call per phone number per day, across customers who
    share a number and after the calls on record, the way the gate counts it.
    """
    clock = time.perf_counter()
    p_answer, no_day_left = _without_full_days(p_answer, numbers)
    if margin is None:
        margin = answered_conversion(customers["score"].to_numpy(float), p_answer) * value_per_conversion
    language = pd.Index(customers["language"].fillna(DEFAULT_LANGUAGE)) if "language" in customers else None
    pool = pd.Index(force.pools).get_indexer(language) if language is not None else np.zeros(len(customers), np.int64)
    attempts = np.minimum(customers["attempts_left"].to_numpy(np.int64), max_attempts)
    attempts = np.where(pool >= 0, attempts, 0)  # nobody speaks their language: cannot be planned
    inflate = 1 / (1 - control_share)
    problem = Problem(
        p_answer=p_answer,
        margin=margin,
        attempts=attempts,
        pool=np.maximum(pool, 0),
        slots=slots,
        capacity=force.capacity * inflate,
        cost=cost_per_call,
        max_customers=None if max_customers is None else max_customers * inflate,
        numbers=numbers,
    )
    solution = solve(problem, seed=seed)
    treatment = customers["group"].to_numpy() == "treatment"
    real = replace(problem, capacity=force.capacity, max_customers=max_customers)
    called = np.where(treatment[:, None, None], solution.schedule.slot, -1)
    schedule = trim_to_capacity(
        real, Plans(called, solution.schedule.reach, solution.schedule.p_answer, solution.schedule.value)
    )
    seconds = round(time.perf_counter() - clock, 3)
    calls = _calls(customers, schedule, slots, problem.pool, force)
    per_customer = _per_customer(customers, solution.schedule, schedule, slots)
    per_customer["number_limited"] = ~per_customer["planned"].to_numpy() & (no_day_left | solution.number_limited)
    summary = _summary(problem, solution, schedule, per_customer, force, slots)
    return CallPlan(calls=calls, customers=per_customer, summary=summary, solution=solution, seconds=seconds)


def _without_full_days(p_answer: np.ndarray, numbers: NumberDays | None) -> tuple[np.ndarray, np.ndarray]:
    """p(answer) with zeros on the days whose number already had its calls (on record); and who has no day left."""
    none = np.zeros(len(p_answer), bool)
    if numbers is None:
        return p_answer, none
    rows, full = numbers.full_on_record(p_answer.shape[1])
    if not len(rows):
        return p_answer, none
    p_answer = p_answer.copy()
    could = (p_answer[rows] > 0).any(axis=1)
    p_answer[rows] *= ~full
    none[rows] = could & ~(p_answer[rows] > 0).any(axis=1)
    return p_answer, none


def _calls(customers: pd.DataFrame, schedule: Plans, slots: Slots, pool: np.ndarray, force: Workforce) -> pd.DataFrame:
    row, attempt = np.nonzero(schedule.slot[:, 0] >= 0)
    slot = schedule.slot[row, 0, attempt]
    calls = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[row],
            PHONE_KEY: customers[PHONE_KEY].to_numpy()[row],
            "phone_masked": customers["phone_masked"].to_numpy()[row],
            "slot": slot,
            "call_at": slots.starts[slot],
            "attempt": attempt + 1,
            "p_answer": schedule.p_answer[row, 0, attempt],
            "p_reached": schedule.reach[row, 0, attempt],  # p(no answer before): the attempt happens
            "priority": customers["priority"].to_numpy()[row],
            "pool": pool[row],
        }
    )
    calls["agent_id"] = assign_agents(calls, force)
    calls["language"] = np.asarray(force.pools, dtype=object)[calls.pop("pool").to_numpy()]
    return calls.sort_values(["call_at", "priority", "attempt"], kind="stable").reset_index(drop=True)


def _per_customer(customers: pd.DataFrame, planned: Plans, called: Plans, slots: Slots) -> pd.DataFrame:
    """Per customer: planned (would be called, also for control), first call, p(answered), expected value."""
    first = planned.slot[:, 0, 0]
    p_any = 1 - np.prod(1 - planned.p_answer[:, 0].astype(np.float64), axis=1)
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "planned": first >= 0,
            "called": called.slot[:, 0, 0] >= 0,
            "first_call_at": np.where(first >= 0, slots.starts[np.maximum(first, 0)], np.datetime64("NaT")),
            "attempts_planned": (planned.slot[:, 0] >= 0).sum(axis=1),
            "p_answered": np.where(first >= 0, p_any, 0.0),
            "plan_value": np.where(first >= 0, planned.value[:, 0], 0.0),
        }
    )


def _summary(
    problem: Problem,
    solution: Solution,
    schedule: Plans,
    per_customer: pd.DataFrame,
    force: Workforce,
    slots: Slots,
) -> PlanSummary:
    on = schedule.slot[:, 0] >= 0
    expected_calls = float(np.where(on, schedule.reach[:, 0], 0).sum())
    p_any = 1 - np.prod(1 - np.where(on, schedule.p_answer[:, 0], 0).astype(np.float64), axis=1)
    called = on[:, 0]
    capacity = float(force.capacity.sum())
    day_calls = np.bincount(slots.day[schedule.slot[:, 0][on]], schedule.reach[:, 0][on], minlength=len(slots.days))
    day_capacity = np.bincount(slots.day, force.capacity.sum(axis=0), minlength=len(slots.days))
    return {
        "solver": solution.solver,
        "lp_rows": solution.lp_rows,
        "pricing_rounds": solution.rounds,
        "objective": round(solution.objective, 2),
        "lp_bound": round(solution.bound, 2),
        "gap": round(solution.gap, 5),
        "planned_customers": int(per_customer["planned"].sum()),
        "called_customers": int(called.sum()),
        "planned_calls": int(on.sum()),
        "expected_calls": round(expected_calls, 1),
        "expected_answered": round(float(p_any.sum()), 1),
        "expected_value": round(float(schedule.value[called, 0].sum()), 2),
        "capacity_calls": round(capacity, 1),
        "utilisation": round(expected_calls / capacity, 4) if capacity else 0.0,
        "days": [
            {"date": d.isoformat(), "expected_calls": round(float(c), 1), "capacity": round(float(k), 1)}
            for d, c, k in zip(slots.days, day_calls, day_capacity, strict=True)
        ],
        "agents": len(force.agents),
        "pools": list(force.pools),
    }
