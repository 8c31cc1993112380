"""Customers who share a phone number are planned on different days, so the gate has nothing left to refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from callwise.policy import default_policy, evaluate_customers, gate, history_since, load_call_history, number_days
from callwise.policy.calltime import legal_slot_mask
from callwise.policy.phones import NumberDays
from callwise.schedule.optimise import Problem, solve
from callwise.schedule.slots import campaign_slots, workforce
from callwise.schedule.stage import plan_calls
from callwise.schema.contract import PHONE_KEY
from tests.policy.helpers import PRODUCT, START, contact, customer, write_lake

SHARED = "13800001111"


def plan_and_gate(tmp_path, people, days=2, contacts=(), attempts=1, calls_per_hour=20.0, first_day_better=True):
    """Plan the eligible ones among ``people`` on real verdicts and agents, then gate the plan with the history."""
    lake = write_lake(tmp_path / "lake", people, contacts)
    policy = default_policy()
    slots = campaign_slots([START + timedelta(days=d) for d in range(days)], 9, 20)
    verdicts = evaluate_customers(lake, policy, PRODUCT, "CMP", slots.days[0], slots.days[-1])
    eligible = verdicts.eligible.reset_index(drop=True)
    customers = pd.DataFrame(
        {
            "customer_id": eligible["customer_id"],
            PHONE_KEY: eligible[PHONE_KEY],
            "phone_masked": eligible["phone_masked"],
            "timezone": eligible["timezone"],
            "attempts_left": eligible["attempts_left"],
            "score": 0.3,
            "group": "treatment",
            "priority": np.arange(1, len(eligible) + 1),
        }
    )
    legal = legal_slot_mask(policy, slots.starts, customers["timezone"].to_numpy(dtype=object), "Asia/Shanghai")
    # The first day answers best: a plan that ignores shared numbers puts everyone on it.
    p = np.where(slots.day == 0, 0.5, 0.3) if first_day_better else np.full(len(slots), 0.4)
    p_answer = (legal.for_customers(customers["timezone"]) * p).astype(np.float32)
    agents = pd.DataFrame({"agent_id": ["A1"], "shift": ["mon-sun 09:00-20:00"], "calls_per_hour": [calls_per_hour]})
    force = workforce(agents, slots, None, ["zh"])
    history = load_call_history(lake, history_since(policy, slots.days[0]))
    numbers = number_days(verdicts, policy, customers["customer_id"], slots.starts, slots.day, history)
    plan = plan_calls(customers, p_answer, force, slots, 1_000.0, 5.0, attempts, numbers=numbers)
    return plan, gate(plan.calls, verdicts, policy, history)


def test_two_customers_on_one_number_are_both_called_on_different_days(tmp_path):
    _, checked = plan_and_gate(tmp_path, [customer("C1", phone=SHARED), customer("C2", phone=SHARED)])
    assert checked.counts() == {}
    firsts = checked.kept[checked.kept["attempt"] == 1]
    assert sorted(firsts["customer_id"]) == ["C1", "C2"]
    assert firsts["call_at"].dt.date.nunique() == 2


def test_three_customers_on_one_number_over_two_days_two_are_called_the_third_has_a_reason(tmp_path):
    people = [customer(c, phone=SHARED) for c in ("C1", "C2", "C3")] + [customer("C4")]
    plan, checked = plan_and_gate(tmp_path, people)
    assert checked.counts() == {}, "the gate refuses nothing: the plan already kept the rule"
    shared = checked.kept[checked.kept["customer_id"] != "C4"]
    assert shared["customer_id"].nunique() == 2 and shared["call_at"].dt.date.nunique() == 2
    per_customer = plan.customers.set_index("customer_id")
    left_out = per_customer.index[~per_customer["planned"]].tolist()
    assert len(left_out) == 1 and left_out[0] != "C4"
    assert per_customer["number_limited"].tolist() == [c in left_out for c in per_customer.index]


def test_a_number_called_today_is_not_planned_today(tmp_path):
    # C1 may not be marketed to, but was called this morning on the number C2 shares: today is used up.
    people = [customer("C1", phone=SHARED, consent_marketing=False), customer("C2", phone=SHARED)]
    _, checked = plan_and_gate(tmp_path, people, contacts=[contact("C1", datetime(2026, 7, 1, 9, 5))])
    assert checked.counts() == {}
    assert checked.kept["customer_id"].tolist() == ["C2"]
    assert (checked.kept["call_at"].dt.date > START).all()


def test_a_number_with_no_day_left_is_not_planned_and_says_why(tmp_path):
    people = [customer("C1", phone=SHARED, consent_marketing=False), customer("C2", phone=SHARED)]
    plan, checked = plan_and_gate(tmp_path, people, days=1, contacts=[contact("C1", datetime(2026, 7, 1, 9, 5))])
    assert checked.kept.empty and checked.counts() == {}
    assert plan.customers.set_index("customer_id").loc["C2", "number_limited"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_shared_numbers_lose_no_more_customers_than_the_days_allow(tmp_path, seed):
    rng = np.random.default_rng(seed)
    numbers = [f"139{n:08d}" for n in rng.integers(0, 25, 60)]  # 60 customers on at most 25 numbers
    people = [customer(f"C{i + 1}", phone=phone) for i, phone in enumerate(numbers)]
    days = 3
    _, checked = plan_and_gate(tmp_path, people, days=days, attempts=2, first_day_better=bool(seed % 2))
    assert checked.counts() == {}, "no call is refused: not for the phone rule, nor any other"
    called = checked.kept.drop_duplicates("customer_id").merge(
        pd.DataFrame({"customer_id": [p["customer_id"] for p in people], "number": numbers})
    )
    expected = pd.Series(numbers).value_counts().clip(upper=days).sum()
    assert len(called) == expected, "each number reaches min(its customers, days) of them"


def test_the_class_path_keeps_the_phone_rule():
    n, rng = 4_000, np.random.default_rng(5)
    slots = campaign_slots([START + timedelta(days=d) for d in range(4)], 9, 12)
    p = rng.uniform(0.05, 0.6, (3, len(slots)))[rng.integers(0, 3, n)] * rng.uniform(0.5, 1.5, (n, 1))
    number = rng.integers(0, 2_500, n)  # most numbers shared by two or three customers
    _, inverse, counts = np.unique(number, return_inverse=True, return_counts=True)
    day = (slots.day + 20_000)[None, :]  # the numbers' local days: the campaign days
    numbers = NumberDays(number, np.zeros(n, np.int64), day, np.zeros(0, np.int64), 1, counts[inverse] > 1)
    problem = Problem(
        p_answer=np.clip(p, 0, 0.95).astype(np.float32),
        margin=rng.lognormal(4.5, 0.3, n),  # every slot worth a call: any free day will do
        attempts=np.full(n, 3),
        pool=np.zeros(n, np.int64),
        slots=slots,
        capacity=np.full((1, len(slots)), 2_000.0),  # ample: only the phone rule binds
        cost=1.0,
    )
    free, kept = solve(problem, max_classes=300), solve(replace(problem, numbers=numbers), max_classes=300)
    assert kept.solver == "highs-lp-classes"
    i, a = np.nonzero(kept.schedule.slot[:, 0] >= 0)
    keys = number[i] * 100 + slots.day[kept.schedule.slot[i, 0, a]]
    assert len(np.unique(keys)) == len(keys), "no number is called twice on one day"
    worth = pd.Series(number[free.called]).value_counts().clip(upper=len(slots.days))
    assert (pd.Series(number[kept.called]).value_counts().reindex(worth.index, fill_value=0) == worth).all()
    assert kept.number_limited.sum() == free.called.sum() - kept.called.sum()
