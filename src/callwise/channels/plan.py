"""The channel plan of one campaign: per customer call, a message channel, or nothing, with every "not this" said.

1. Calls: the campaign's call list as callwise builds it (audience, contact policy, uplift ranking, agents'
   capacity) tells who may be called, what a list place adds, and how many places the agents have.
2. Messages: :func:`callwise.policy.channels.message_eligibility` — per-channel consent, unsubscribes, floors and
   the cross-channel cap — with a reason code for every customer × channel it bars.
3. Values: increment × value per conversion − cost per touch (:mod:`callwise.channels.values`), from the call
   uplift and the channel effects measured in past randomised campaigns (:mod:`callwise.channels.effects`).
4. Choice: one channel or none per customer under every channel's capacity and the budget
   (:mod:`callwise.channels.optimise`), with the dual bound and gap.
5. The customers chosen for calls go through the scheduler and the gate once more, alone (``calls_for``), so
   every call rule holds; messages get a send time outside their channel's quiet hours, within its daily limit.

Every customer × channel not chosen has one reason code; each channel's funnel adds up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from callwise.channels.config import ChannelsConfig
from callwise.channels.effects import ChannelEffects, estimate_effects
from callwise.channels.optimise import Choice, choose
from callwise.channels.values import Values, channel_values, customer_context
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.lists.build import RANKING_REASONS, ListError, ListResult, build_list, calling_slots, campaign_policy
from callwise.lists.build import load_product as _load_product
from callwise.lists.campaign import Campaign
from callwise.policy import Policy
from callwise.policy.channel_rules import MESSAGE_CHANNELS
from callwise.policy.channels import MESSAGE_CODES, message_eligibility, next_open_time, touches_left
from callwise.protocols import AnswerScorer, ResponseScorer, UpliftScorer

# Why a channel the policy allows was not chosen, in funnel order after the policy's reasons.
PLANNER_CODES = ("not_worth_any_channel", "channel_not_worth", "channel_lower_value", "channel_capacity", "over_budget")
# The call list's own steps for the customers the plan chose for calls (then the gate's codes).
CALL_LIST_CODES = ("below_capacity", "control_group", "phone_daily_limit")


@dataclass(frozen=True)
class ChannelPlan:
    choices: pd.DataFrame  # per customer: channel (None), increment, value, send_local, reason__<channel>
    calls: ListResult | None  # the call list of the customers chosen for calls
    summary: dict[str, Any]
    values: Values
    choice: Choice
    effects: ChannelEffects
    capacity: dict[str, float]
    seconds: dict[str, float]
    allowed: np.ndarray  # (n × C) the pairs the policy allows (what the choice was made among)
    costs: np.ndarray  # (C,) cost per touch
    budget: float
    placed: np.ndarray  # (C,) share of the chosen a channel touches (calls: all but the control group)


def plan_channels(
    campaign: Campaign,
    lake: Lake,
    model: ResponseScorer | UpliftScorer | None,
    policy: Policy | None = None,
    answer_model: AnswerScorer | None = None,
    bank_timezone: str = "Asia/Shanghai",
) -> ChannelPlan:
    """Decide the channel plan for one campaign; nothing is written (see :mod:`callwise.channels.output`)."""
    if campaign.channels is None:
        raise ListError("channels.refused.no_channels", campaign=campaign.campaign_id)
    config: ChannelsConfig = campaign.channels
    laps: dict[str, float] = {}
    clock = time.perf_counter()
    policy = policy or campaign_policy(campaign)
    product = _load_product(lake, campaign.product_id)
    used = config.used
    days = calling_slots(campaign, policy).days
    at = datetime.combine(days[0], datetime.min.time()) + timedelta(hours=campaign.first_hour)

    first: ListResult | None = None
    if "call" in used:
        if model is None:
            raise ListError("channels.refused.no_call_model", campaign=campaign.campaign_id)
        first = build_list(campaign, lake, model, policy, answer_model, bank_timezone)
    laps["call_list"] = _lap(clock)
    clock = time.perf_counter()

    reasons, ids = _policy_reasons(lake, policy, at, used, first)
    left = _touches(lake, policy, at, ids)
    capacity = _capacities(config, policy, used, len(days), first)
    laps["policy"] = _lap(clock)
    clock = time.perf_counter()

    effects = estimate_effects(lake, campaign.cutoff, used)
    stratum, live, moments = customer_context(lake, ids, campaign.cutoff)
    uplift = None
    if first is not None and "uplift" in first.ranked:
        uplift = first.ranked.set_index("customer_id")["uplift"].reindex(ids).to_numpy(float)
    costs = np.array([config.cost(ch) for ch in used])
    value_per = float(product["value_per_conversion"])
    values = channel_values(ids, stratum, live, effects, used, costs, value_per, uplift, moments)
    laps["values"] = _lap(clock)
    clock = time.perf_counter()

    allowed = reasons.isna().to_numpy() & (left[:, None] >= 1)
    reasons = reasons.mask(reasons.isna() & (left[:, None] < 1), "cross_channel_cap")
    caps = np.array([capacity[ch] for ch in used])
    budget = config.budget if config.budget is not None else np.inf
    # A customer chosen for calls is held out as control with the list's control share: neither cost nor increment.
    placed = np.array([1 - campaign.control_share if ch == "call" else 1.0 for ch in used])
    choice = choose(values.value * placed[None, :], allowed, costs * placed, caps, budget)
    laps["optimise"] = _lap(clock)
    clock = time.perf_counter()

    reasons = _planner_reasons(reasons, values.value, allowed, choice, caps, budget, costs)
    channel = np.array([used[c] if c >= 0 else None for c in choice.chosen], dtype=object)
    calls = None
    if "call" in used and first is not None:
        j = used.index("call")
        picked = choice.chosen == j
        calls_for = pd.Series(left[picked], index=ids[picked])
        calls = build_list(campaign, lake, model, policy, answer_model, bank_timezone, calls_for=calls_for)  # type: ignore[arg-type]
        not_listed = picked & ~pd.Index(ids).isin(calls.listed["customer_id"])
        why = calls.excluded.set_index("customer_id")["reason"].reindex(ids[not_listed]).fillna("below_capacity")
        reasons.loc[not_listed, "call"] = why.to_numpy()
        channel[not_listed] = None
    laps["call_schedule"] = _lap(clock)

    choices = _choices(ids, channel, values, reasons, used, policy, days, capacity, campaign.first_hour)
    summary = _summary(campaign, config, used, capacity, choices, values, choice, effects, calls, reasons)
    return ChannelPlan(choices, calls, summary, values, choice, effects, capacity, laps, allowed, costs, budget, placed)


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def _policy_reasons(
    lake: Lake, policy: Policy, at: datetime, used: tuple[str, ...], first: ListResult | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """customers × channels: the policy's reason code (None = allowed), customers in id order."""
    columns: dict[str, pd.Series] = {}
    if first is not None:
        off = first.excluded[~first.excluded["reason"].isin(RANKING_REASONS)]  # policy and campaign steps
        gate_only = off["customer_id"].isin(first.ranked["customer_id"])
        call = pd.concat(
            [
                off[~gate_only].set_index("customer_id")["reason"],
                pd.Series(None, index=first.ranked["customer_id"].to_numpy(), dtype=object),
            ]
        )
        if "uplift_high" in first.ranked:
            negative = first.ranked.loc[first.ranked["uplift_high"] < 0, "customer_id"]
            call[call.index.isin(negative)] = "negative_uplift"
        columns["call"] = call[~call.index.duplicated()]
    messages = tuple(ch for ch in used if ch in MESSAGE_CHANNELS)
    if messages:
        pairs = to_pandas(message_eligibility(lake, policy, at, messages))
        wide = pairs.pivot(index="customer_id", columns="channel", values="reason")
        for ch in messages:
            columns[ch] = wide[ch].astype(object)
    ids = np.array(sorted(set().union(*(set(s.index) for s in columns.values()))), dtype=object)
    frame = pd.DataFrame({ch: columns[ch].reindex(ids).astype(object) for ch in used}, index=ids)
    frame = frame.where(frame.notna(), None)
    for ch in used:  # a customer one source does not know (none expected): barred, not silently allowed
        frame.loc[~frame.index.isin(columns[ch].index), ch] = "inactive_status"
    return frame, ids


def _touches(lake: Lake, policy: Policy, at: datetime, ids: np.ndarray) -> np.ndarray:
    cap = policy.channels.cross_channel_cap.touches
    left = touches_left(lake, policy, at)
    if left is None:
        return np.full(len(ids), cap, np.int64)
    found = to_pandas(left).set_index("customer_id")["touches_left"]
    return found.reindex(ids).fillna(cap).to_numpy(np.int64)


def _capacities(
    config: ChannelsConfig, policy: Policy, used: tuple[str, ...], days: int, first: ListResult | None
) -> dict[str, float]:
    """Customers each channel can take: the agents' places for calls, daily send limits × days for messages."""
    out: dict[str, float] = {}
    for ch in used:
        if ch == "call" and first is not None:
            plan = first.planning.plan.customers
            planned = int(plan["planned"].sum())
            full = bool((first.excluded["reason"] == "below_capacity").any())
            out[ch] = float(planned) if full else np.inf
        else:
            limits = [x for x in (config.daily_limit(ch), policy.channels.channel(ch).daily_limit) if x is not None]
            out[ch] = float(min(limits) * days) if limits else np.inf
    return out


def _planner_reasons(
    reasons: pd.DataFrame,
    value: np.ndarray,
    allowed: np.ndarray,
    choice: Choice,
    caps: np.ndarray,
    budget: float,
    costs: np.ndarray,
) -> pd.DataFrame:
    """The planner's reason for every allowed pair not chosen (see ``PLANNER_CODES``)."""
    n, k = value.shape
    chosen = choice.chosen
    picked = chosen >= 0
    best_value = np.where(picked, value[np.arange(n), np.maximum(chosen, 0)], -np.inf)
    worth = allowed & (value > 0)
    nothing = ~picked & ~worth.any(axis=1)
    full = choice.used >= caps - 0.5
    budget_binds = bool(np.isfinite(budget) and choice.budget_price > 0)
    out = reasons.to_numpy(object).copy()
    for j in range(k):
        open_ = allowed[:, j] & (chosen != j)
        code = np.full(n, None, dtype=object)
        code[open_ & ~worth[:, j]] = "channel_not_worth"
        code[open_ & nothing] = "not_worth_any_channel"
        rest = open_ & worth[:, j]
        code[rest & (value[:, j] <= best_value)] = "channel_lower_value"
        better = rest & (value[:, j] > best_value)
        # Worth more than what was chosen: the channel is full, or the budget's price made it worth less.
        code[better] = "over_budget" if budget_binds and not full[j] else "channel_capacity"
        out[open_, j] = code[open_]
    return pd.DataFrame(out, index=reasons.index, columns=reasons.columns)


def _choices(
    ids: np.ndarray,
    channel: np.ndarray,
    values: Values,
    reasons: pd.DataFrame,
    used: tuple[str, ...],
    policy: Policy,
    days: tuple[Any, ...] | list[Any],
    capacity: dict[str, float],
    first_hour: int,
) -> pd.DataFrame:
    """One row per customer: the channel (None), its increment and value, the send time, a reason per channel."""
    n = len(ids)
    col = np.array([used.index(c) if c is not None else -1 for c in channel])
    has = col >= 0
    inc = np.where(has, values.increment[np.arange(n), np.maximum(col, 0)], np.nan)
    val = np.where(has, values.value[np.arange(n), np.maximum(col, 0)], np.nan)
    send = np.full(n, None, dtype=object)
    for j, ch in enumerate(used):
        if ch == "call":
            continue
        rows = np.flatnonzero(col == j)
        rows = rows[np.lexsort((ids[rows], -val[rows]))]  # best first, then customer id
        per_day = capacity[ch] / len(days) if np.isfinite(capacity[ch]) else np.inf
        day_index = (np.arange(len(rows)) // per_day).astype(int) if np.isfinite(per_day) else np.zeros(len(rows), int)
        for d in np.unique(day_index):
            opens = next_open_time(
                policy, ch, datetime.combine(days[d], datetime.min.time()) + timedelta(hours=first_hour)
            )
            send[rows[day_index == d]] = opens.isoformat(timespec="minutes")
    out = pd.DataFrame(
        {
            "customer_id": ids,
            "channel": channel,
            "increment": inc,
            "value": val,
            "moment_live": values.live,
            "stratum": values.stratum,
            "send_local": send,
        }
    )
    for ch in used:
        out[f"reason__{ch}"] = reasons[ch].to_numpy(object)
    return out


def channel_funnel(reasons: pd.Series, order: tuple[str, ...]) -> list[dict[str, Any]]:
    """Customers, then each reason's removals in ``order`` (others after, by name); what remains is chosen."""
    counts = reasons.value_counts()
    remaining = len(reasons)
    steps: list[dict[str, Any]] = [{"step": "customers", "removed": 0, "remaining": remaining}]
    for code in (*[c for c in order if c in counts], *sorted(set(counts.index) - set(order))):
        removed = int(counts.get(code, 0))
        remaining -= removed
        steps.append({"step": str(code), "removed": removed, "remaining": remaining})
    if remaining != int(reasons.isna().sum()):
        raise RuntimeError("a channel's funnel does not add up")
    return steps


def _summary(
    campaign: Campaign,
    config: ChannelsConfig,
    used: tuple[str, ...],
    capacity: dict[str, float],
    choices: pd.DataFrame,
    values: Values,
    choice: Choice,
    effects: ChannelEffects,
    calls: ListResult | None,
    reasons: pd.DataFrame,
) -> dict[str, Any]:
    counts = choices["channel"].value_counts()
    planner = ("negative_uplift", *PLANNER_CODES, *CALL_LIST_CODES)
    # The call channel's funnel reads as the call list's: its own steps first (audience, policy rules), in order.
    list_steps = [str(s["step"]) for s in calls.summary["funnel"][1:]] if calls is not None else []
    call_policy = tuple(s for s in list_steps if s not in (*planner, "other_channel", *RANKING_REASONS))
    per_channel: dict[str, dict[str, Any]] = {}
    for ch in used:
        order = (*call_policy, *planner) if ch == "call" else (*MESSAGE_CODES, *planner)
        mine = choices["channel"] == ch
        n = int(counts.get(ch, 0))
        per_channel[ch] = {
            "chosen": n,
            "capacity": capacity[ch] if np.isfinite(capacity[ch]) else None,
            "cost_per_touch": config.cost(ch),
            "cost": round(n * config.cost(ch), 2),
            "expected_incremental_conversions": round(float(choices.loc[mine, "increment"].sum()), 4),
            "funnel": channel_funnel(reasons[ch], order),
        }
    spent = sum(float(c["cost"]) for c in per_channel.values())
    return {
        "campaign_id": campaign.campaign_id,
        "product_id": campaign.product_id,
        "date": campaign.date.isoformat(),
        "channels": list(used),
        "budget": config.budget,
        "customers": len(choices),
        "no_channel": int(choices["channel"].isna().sum()),
        "per_channel": per_channel,
        "expected_incremental_conversions": round(float(choices["increment"].sum()), 4),
        "expected_value": round(float(choices["value"].sum()), 2),
        "cost": round(spent, 2),
        "moment_live_chosen": int((choices["moment_live"] & choices["channel"].notna()).sum()),
        "optimiser": {
            "objective": round(choice.objective, 2),
            "bound": round(choice.bound, 2),
            "gap": round(choice.gap, 6),
            "prices": {ch: round(float(p), 4) for ch, p in zip(used, choice.prices, strict=True)},
            "budget_price": round(choice.budget_price, 6),
            "lp_rows": choice.lp_rows,
            "solver": choice.solver,
        },
        "effects": effects.as_dict(),
        "calls": None if calls is None else {"listed": calls.summary["listed"], "calls": calls.summary["calls"]},
    }
