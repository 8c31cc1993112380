"""Past outbound campaigns of the synthetic bank: members, a randomised control group, attempts, outcomes.

The bank's old dialler called members at random legal hours, up to three attempts until someone answered;
the control group was never called. Conversions come from the behaviour model: on the call when a call
persuades, or on their own (with or without a call) within 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from callwise.synth import behaviour as bh
from callwise.synth.activity import EPOCH, PRODUCTS, RELATED, holds_category, recent_views
from callwise.synth.knowable import CampaignOutcome, Evidence

HORIZON_DAYS = 30
CALL_DAYS = 10
CONTROL_SHARE = 0.1
# Past campaigns: id, name, product, start (days after the history starts)
CAMPAIGNS = [
    ("CMP2510W", "季季盈理财秋季外呼", "P_WM01", 104),
    ("CMP2601F", "指数基金开年外呼", "P_FD01", 195),
    ("CMP2603W", "年年享理财春季外呼", "P_WM02", 258),
    ("CMP2605W", "季季盈理财夏季外呼", "P_WM01", 321),
]
# Dispositions of an answered call that did not convert, with their shares.
WRONG_NUMBER = 0.01  # share of unanswered attempts logged as a wrong number (which ends the member's calls)
# Share of unanswered attempts that were busy.
BUSY = 0.2
ANSWERED_OUTCOMES = (("refused", 0.45), ("interested", 0.15), ("callback_requested", 0.1), ("answered", 0.3))


def splitmix(x: np.ndarray) -> np.ndarray:
    """A stable 64-bit hash (SplitMix64): same input, same output, on every machine."""
    z = (x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass
class History:
    """Everything the campaigns produced, as parallel arrays (customer = row index in customers)."""

    members: dict[str, list] = field(default_factory=dict)
    contacts: dict[str, list] = field(default_factory=dict)
    conversions: dict[str, list] = field(default_factory=dict)
    truth: dict[str, list] = field(default_factory=dict)  # per campaign: expected outcomes (never in the tables)

    def add(self, part: str, **columns: np.ndarray) -> None:
        for k, v in columns.items():
            getattr(self, part).setdefault(k, []).append(np.asarray(v))

    def arrays(self, part: str) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.empty(0) for k, v in getattr(self, part).items()}


def product_logit(
    latent: dict, traits: dict, holdings: dict, ev: dict, product: int, day: int, start: int
) -> np.ndarray:
    """Log-odds of buying ``product`` within 30 days of ``day`` without a call, from what is true on ``day``."""
    n = len(traits["age"])
    category = PRODUCTS[product][2]
    since_windfall = day - start - latent["windfall_day"]
    windfall_recent = ((since_windfall >= 0) & (since_windfall <= 60)).astype(float)
    views = recent_views(ev, n, category, day)
    related = holds_category(holdings, n, RELATED[category], day).astype(float)
    return bh.buy_logit(latent, category, windfall_recent, views, related)


def eligible_for(traits: dict, holdings: dict, product: int, day: int) -> np.ndarray:
    """Who the old system could call: callable, suitable for the product's risk, not holding it already."""
    _, _, _, risk_level, _, min_age, max_age = PRODUCTS[product]
    ok = traits["callable"].copy()
    if risk_level:
        ok &= traits["risk"] >= int(risk_level[1])
    ok &= traits["age"] >= (min_age or 18)
    if max_age:
        ok &= traits["age"] <= max_age
    held = holdings["customer"][(holdings["product"] == product) & (holdings["opened"] < day)]
    ok[held] = False
    return ok


def run_campaigns(
    traits: dict,
    latent: dict,
    holdings: dict,
    ev: dict,
    n_agents: int,
    seed: int,
    start: int,
    rng: np.random.Generator,
    evidence: Evidence,
) -> History:
    """Run the past campaigns; each member's outcome is also added to ``evidence`` (what a model could learn)."""
    history = History()
    for c, (_, _, product_id, offset) in enumerate(CAMPAIGNS):
        product = next(j for j, p in enumerate(PRODUCTS) if p[0] == product_id)
        day = start + offset
        eligible = np.flatnonzero(eligible_for(traits, holdings, product, day))
        # The old targeting: a rule that favoured higher incomes, plus chance.
        weight = 0.25 + 0.2 * (traits["income"][eligible] > 8_000)
        members = eligible[rng.random(len(eligible)) < weight]
        key = np.uint64(seed) * np.uint64(1_000_003) + np.uint64(c) * np.uint64(10_000_019) + members.astype(np.uint64)
        control = (splitmix(key) % np.uint64(10_000)).astype(int) < CONTROL_SHARE * 10_000
        history.add(
            "members",
            campaign=np.full(len(members), c),
            customer=members,
            control=control,
            day=np.full(len(members), day),
        )

        logit = product_logit(latent, traits, holdings, ev, product, day, start)[members]
        sub = {k: (v[members] if isinstance(v, np.ndarray) else v) for k, v in latent.items() if k != "appetite"}
        p_buy_answered, p_buy_alone = bh.conversion_probabilities(logit, sub)
        bought_on_call, answered_attempt, complained = _dial(
            history, c, product, members, ~control, p_buy_answered, latent, traits, n_agents, day, rng
        )
        _record_truth(history, c, members, control, p_buy_answered, p_buy_alone, latent, traits, day)
        _add_holdings(holdings, members[bought_on_call], product, day + CALL_DAYS // 2, traits, rng)
        alone = (rng.random(len(members)) < p_buy_alone) & ~bought_on_call
        when = (day + rng.integers(0, HORIZON_DAYS, len(members))) * 86_400 + rng.integers(
            8 * 3600, 21 * 3600, len(members)
        )
        history.add(
            "conversions",
            customer=members[alone],
            product=np.full(alone.sum(), product),
            seconds=when[alone] - EPOCH * 86_400,
        )
        _add_holdings(holdings, members[alone], product, day + HORIZON_DAYS // 2, traits, rng)
        visible = logit - bh.TYPE_OFFSET[latent["type"][members]] - latent["taste"][members]
        evidence.campaign(members, visible, CampaignOutcome(answered_attempt, bought_on_call, complained, alone))
    return history


def reach_probability(segment: np.ndarray, scale: np.ndarray, day: int) -> np.ndarray:
    """p(a call is answered at some attempt) under ``_dial``'s schedule, in expectation over its random hours.

    Attempt k falls on ``day + 3k + U{0,1,2}`` at a uniform legal hour, independently of the others, so its
    mean p(answer) is an average over those 36 hours; an unanswered attempt ends the member's calls when
    it is logged a wrong number (1%).
    """
    p_answer = np.zeros(len(segment))
    still = np.ones(len(segment))
    for attempt in range(bh.ATTEMPTS):
        days = day + attempt * 3 + np.arange(3)
        how = (((days + 6) % 7)[:, None] * 24 + np.array(bh.LEGAL_HOURS)[None, :]).ravel()
        q = bh.answer_probability(segment[:, None], scale[:, None], how[None, :]).mean(axis=1)
        p_answer += still * q
        still *= (1 - q) * (1 - WRONG_NUMBER)
    return p_answer


def _record_truth(
    history: History,
    c: int,
    members: np.ndarray,
    control: np.ndarray,
    p_buy_answered: np.ndarray,
    p_buy_alone: np.ndarray,
    latent: dict,
    traits: dict,
    day: int,
) -> None:
    """The campaign's expected conversions among its treatment members, with and without the calls.

    Computed from the probabilities the draws use (no draw of its own, so the random stream is untouched):
    a treatment member buys on the call with p(reach) × p(buy | answered), else alone with p(buy alone).
    """
    treated = ~control
    cust = members[treated]
    p_call = reach_probability(traits["segment"][cust], latent["answer_scale"][cust], day) * p_buy_answered[treated]
    alone = p_buy_alone[treated]
    history.add(
        "truth",
        campaign=np.array([c]),
        members=np.array([len(members)]),
        treatment=np.array([int(treated.sum())]),
        expected_with_calls=np.array([np.sum(p_call + (1 - p_call) * alone)]),
        expected_without_calls=np.array([np.sum(alone)]),
    )


def _dial(
    history: History,
    c: int,
    product: int,
    members: np.ndarray,
    called: np.ndarray,
    p_buy_answered: np.ndarray,
    latent: dict,
    traits: dict,
    n_agents: int,
    day: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to three attempts at random legal hours.

    Returns, per member: bought on the call, the attempt that was answered (-1: none), complained on it.
    """
    bought = np.zeros(len(members), bool)
    answered_attempt = np.full(len(members), -1)
    complained = np.zeros(len(members), bool)
    pending = np.flatnonzero(called)
    legal = bh.legal_hours_of_week()
    for attempt in range(bh.ATTEMPTS):
        if len(pending) == 0:
            break
        cust = members[pending]
        d = day + attempt * 3 + rng.integers(0, 3, len(pending))
        weekday = (d + 6) % 7  # day ordinals: 0001-01-01 (ordinal 1) was a Monday
        hour = rng.choice(bh.LEGAL_HOURS, len(pending))
        how = weekday * 24 + hour
        if not np.isin(how, legal).all():  # the synthetic bank calls only in legal hours, as a real one must
            raise RuntimeError("the synthetic call history placed a call outside the legal hours")
        p_answer = bh.answer_probability(traits["segment"][cust], latent["answer_scale"][cust], how)
        answered = rng.random(len(pending)) < p_answer
        buy = answered & (rng.random(len(pending)) < p_buy_answered[pending])
        complain = (
            answered
            & ~buy
            & (
                rng.random(len(pending))
                < bh.complaint_probability({"type": latent["type"][cust]}, np.full(len(pending), attempt))
            )
        )
        dnc = answered & ~buy & ~complain & (rng.random(len(pending)) < 0.01)
        other = rng.choice(len(ANSWERED_OUTCOMES), len(pending), p=[s for _, s in ANSWERED_OUTCOMES])
        wrong = rng.random(len(pending)) < WRONG_NUMBER  # drawn in this order: the bank's stream stays as it was
        busy = rng.random(len(pending)) < BUSY
        disposition = dispositions(buy, complain, dnc, answered, other, wrong, busy)
        seconds = (d - EPOCH) * 86_400 + hour * 3600 + rng.integers(0, 3600, len(pending))
        duration = np.where(answered, rng.gamma(2, 60 + 120 * buy, len(pending)), rng.uniform(0, 35, len(pending)))
        history.add(
            "contacts",
            campaign=np.full(len(pending), c),
            customer=cust,
            product=np.full(len(pending), product),
            seconds=seconds,
            agent=rng.integers(1, n_agents + 1, len(pending)),
            variant=rng.integers(0, 2, len(pending)),
            disposition=disposition,
            duration=np.round(duration, 1),
        )
        history.add("conversions", customer=cust[buy], product=np.full(buy.sum(), product), seconds=seconds[buy])
        bought[pending[buy]] = True
        answered_attempt[pending[answered]] = attempt
        complained[pending[complain]] = True
        stop = answered | (disposition == "wrong_number")
        pending = pending[~stop]
    return bought, answered_attempt, complained


def dispositions(
    buy: np.ndarray,
    complain: np.ndarray,
    dnc: np.ndarray,
    answered: np.ndarray,
    other: np.ndarray,
    wrong: np.ndarray,
    busy: np.ndarray,
) -> np.ndarray:
    """Each call's disposition from what happened on it, the first that holds in this order; ``other`` indexes
    ``ANSWERED_OUTCOMES`` for an answered call that led nowhere."""
    return np.select(
        [buy, complain, dnc, answered, wrong, busy],
        [
            "converted",
            "complaint",
            "dnc_requested",
            np.array([o for o, _ in ANSWERED_OUTCOMES])[other],
            "wrong_number",
            "busy",
        ],
        "no_answer",
    )


def _add_holdings(
    holdings: dict, customers: np.ndarray, product: int, day: int, traits: dict, rng: np.random.Generator
) -> None:
    holdings["customer"] = np.concatenate([holdings["customer"], customers])
    holdings["product"] = np.concatenate([holdings["product"], np.full(len(customers), product)])
    holdings["balance"] = np.concatenate(
        [holdings["balance"], np.round(traits["income"][customers] * rng.lognormal(1.5, 0.8, len(customers)), 2)]
    )
    holdings["opened"] = np.concatenate([holdings["opened"], np.full(len(customers), day)])
