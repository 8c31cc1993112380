"""Past multi-channel campaigns of the synthetic bank, and the true share of each channel in their conversions.

Each treatment member gets each of the campaign's channels they consented to (on the campaign's day) and can
be reached by, independently with p = 0.5; the control group (10%, by a hash) is never touched. Touches fall
in the first week in random order; a call is up to three attempts at random legal hours through the agents,
as in the old campaigns. A member converts at most once, with p = p_nocall + Σ of the realised increments of
their touches (clipped to [0, 1]), at a time after their last touch (within 30 days). The boost of the moment
live at each touch applies (``channels.BOOSTS``), so it can be learnt from these campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from callwise.synth import behaviour as bh
from callwise.synth.activity import DAY, EPOCH, PRODUCTS
from callwise.synth.campaigns import (
    ANSWERED_OUTCOMES,
    BUSY,
    CONTROL_SHARE,
    HORIZON_DAYS,
    WRONG_NUMBER,
    eligible_for,
    product_logit,
    reach_probability,
    splitmix,
)
from callwise.synth.channels import CHANNELS, Consents, Moments

# id, name, product, start (days after the history starts), channels
MC_CAMPAIGNS = [
    ("MC2509D", "大额存单多渠道触达", "P_DEP01", 80, ("call", "sms", "app_push")),
    ("MC2511F", "货币基金·天天利全渠道", "P_FD02", 150, ("sms", "app_push", "wechat", "email")),
    ("MC2602C", "白金信用卡多渠道", "P_CC01", 225, ("call", "sms", "wechat")),
    ("MC2604W", "进取理财·睿选多渠道", "P_WM03", 300, ("call", "sms", "app_push", "wechat", "email")),
]
TOUCH_DAYS = 7
SEND_SHARE = 0.5  # each consented, reachable channel is used for a treatment member with this chance
MEMBER_SHARE = 0.3
MESSAGE_RECEIPTS = {  # delivered, opened, clicked shares of a message that reached the customer
    "sms": (1.0, 0.0, 0.0),
    "app_push": (0.7, 0.25, 0.05),
    "wechat": (0.5, 0.35, 0.15),
    "email": (0.75, 0.2, 0.05),
}


@dataclass
class MCHistory:
    """Rows of the multi-channel campaigns as arrays (customer = row index in customers)."""

    parts: dict[str, dict[str, list]] = field(default_factory=dict)
    truth: list[dict[str, Any]] = field(default_factory=list)

    def add(self, part: str, **columns: np.ndarray) -> None:
        for k, v in columns.items():
            self.parts.setdefault(part, {}).setdefault(k, []).append(np.asarray(v))

    def arrays(self, part: str) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.get(part, {}).items()}


def run_mc_campaigns(
    traits: dict,
    latent: dict,
    holdings: dict,
    ev: dict,
    contactable: np.ndarray,
    consents: Consents,
    reach: dict[str, np.ndarray],
    factors: dict[str, np.ndarray],
    moments: Moments,
    n_agents: int,
    seed: int,
    start: int,
    rng: np.random.Generator,
) -> MCHistory:
    history = MCHistory()
    legal = np.array(bh.LEGAL_HOURS)
    for c, (campaign_id, _, product_id, offset, channels) in enumerate(MC_CAMPAIGNS):
        product = next(j for j, p in enumerate(PRODUCTS) if p[0] == product_id)
        day = start + offset
        day_s = (day - EPOCH) * DAY
        eligible = np.flatnonzero(eligible_for({**traits, "callable": contactable}, holdings, product, day))
        members = eligible[rng.random(len(eligible)) < MEMBER_SHARE]
        key = np.uint64(seed) * np.uint64(1_000_033) + np.uint64(c + 101) * np.uint64(10_000_079)
        control = (splitmix(key + members.astype(np.uint64)) % np.uint64(10_000)).astype(int) < CONTROL_SHARE * 10_000
        logit = product_logit(latent, traits, holdings, ev, product, day, start)[members]
        sub = {"type": latent["type"][members]}
        p_answered, p_alone = bh.conversion_probabilities(logit, sub)
        base = p_answered - p_alone
        m = len(members)
        realised = np.zeros(m)
        last_touch = np.full(m, day_s + 9 * 3600)
        arm = np.full(m, "", dtype=object)
        expected = {}
        touched = {}
        for ch in channels:
            k = CHANNELS.index(ch)
            if ch == "call":
                ok = traits["callable"][members]
            else:
                ok = consents.in_force(ch, day_s)[members] & (reach[ch][members] | (ch == "sms"))
            got = np.flatnonzero(~control & ok & (rng.random(m) < SEND_SHARE))
            cust = members[got]
            if ch == "call":
                first_s, answered_s, last = _calls(history, c, product, cust, traits, latent, n_agents, day, rng, legal)
                boost = moments.boost_at(cust, first_s)
                inc = reach_probability(traits["segment"][cust], latent["answer_scale"][cust], day) * base[got] * boost
                realised[got] += np.where(answered_s >= 0, base[got] * boost, 0.0)
            else:
                second = day_s + rng.integers(0, TOUCH_DAYS, len(got)) * DAY + rng.choice(legal, len(got)) * 3600
                second += rng.integers(0, 3600, len(got))
                boost = moments.boost_at(cust, second)
                inc = base[got] * factors[ch][cust] * boost * reach[ch][cust]
                realised[got] += inc
                _messages(history, c, product, k, cust, second, reach[ch][cust], ch, rng)
                last = second
            last_touch[got] = np.maximum(last_touch[got], last)
            arm[got] = arm[got] + np.where(arm[got] == "", ch, "+" + ch)
            expected[ch] = float(inc.sum())
            touched[ch] = len(got)
        p = np.clip(np.where(control, p_alone, p_alone + realised), 0, 1)
        converted = rng.random(m) < p
        when = last_touch + rng.integers(3600, HORIZON_DAYS * DAY, m)
        history.add(
            "members", campaign=np.full(m, c), customer=members, control=control, arm=np.where(arm == "", "none", arm)
        )
        history.add(
            "conversions",
            customer=members[converted],
            product=np.full(converted.sum(), product),
            seconds=when[converted],
        )
        total = sum(expected.values())
        history.truth.append(
            {
                "campaign_id": campaign_id,
                "product_id": product_id,
                "channels": list(channels),
                "members": m,
                "treatment": int((~control).sum()),
                "control": int(control.sum()),
                "touched": touched,
                "expected_incremental_conversions": expected,
                "true_share": {ch: (v / total if total else 0.0) for ch, v in expected.items()},
                "expected_conversions_without_touches": float(p_alone[~control].sum()),
                "expected_conversions_treatment": float(p_alone[~control].sum() + total),
                "expected_conversions_control": float(p_alone[control].sum()),
                "realised_conversions_treatment": int(converted[~control].sum()),
                "realised_conversions_control": int(converted[control].sum()),
            }
        )
    return history


def _calls(
    history: MCHistory,
    c: int,
    product: int,
    cust: np.ndarray,
    traits: dict,
    latent: dict,
    n_agents: int,
    day: int,
    rng: np.random.Generator,
    legal: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to three attempts at random legal hours; returns each member's first attempt, answered (-1: none) and
    last attempt second."""
    first = np.full(len(cust), -1, np.int64)
    last = np.full(len(cust), -1, np.int64)
    answered_s = np.full(len(cust), -1, np.int64)
    pending = np.arange(len(cust))
    for attempt in range(bh.ATTEMPTS):
        if len(pending) == 0:
            break
        who = cust[pending]
        d = day + attempt * 3 + rng.integers(0, 3, len(pending))
        hour = rng.choice(legal, len(pending))
        how = ((d + 6) % 7) * 24 + hour
        answered = rng.random(len(pending)) < bh.answer_probability(
            traits["segment"][who], latent["answer_scale"][who], how
        )
        wrong = ~answered & (rng.random(len(pending)) < WRONG_NUMBER)
        busy = rng.random(len(pending)) < BUSY
        other = rng.choice(len(ANSWERED_OUTCOMES), len(pending), p=[s for _, s in ANSWERED_OUTCOMES])
        disposition = np.select(
            [answered, wrong, busy],
            [np.array([o for o, _ in ANSWERED_OUTCOMES])[other], "wrong_number", "busy"],
            "no_answer",
        )
        seconds = (d - EPOCH) * DAY + hour * 3600 + rng.integers(0, 3600, len(pending))
        duration = np.where(answered, rng.gamma(2, 60, len(pending)), rng.uniform(0, 35, len(pending)))
        history.add(
            "contacts",
            campaign=np.full(len(pending), c),
            customer=who,
            product=np.full(len(pending), product),
            channel=np.zeros(len(pending), np.int8),
            seconds=seconds,
            agent=rng.integers(1, n_agents + 1, len(pending)),
            disposition=disposition,
            duration=np.round(duration, 1),
        )
        if attempt == 0:
            first[pending] = seconds
        answered_s[pending[answered]] = seconds[answered]
        last[pending] = seconds
        pending = pending[~(answered | wrong)]
    return first, answered_s, last


def _messages(
    history: MCHistory,
    c: int,
    product: int,
    k: int,
    cust: np.ndarray,
    second: np.ndarray,
    reached: np.ndarray,
    channel: str,
    rng: np.random.Generator,
) -> None:
    """One message per member; the sender's receipt: failed when it could not reach them, else delivered/opened/…"""
    receipt = rng.choice(3, len(cust), p=MESSAGE_RECEIPTS[channel])
    disposition = np.where(reached, np.array(["delivered", "opened", "clicked"])[receipt], "failed")
    history.add(
        "contacts",
        campaign=np.full(len(cust), c),
        customer=cust,
        product=np.full(len(cust), product),
        channel=np.full(len(cust), k, np.int8),
        seconds=second,
        agent=np.zeros(len(cust), np.int64),
        disposition=disposition,
        duration=np.full(len(cust), np.nan),
    )


def attribution(history: MCHistory) -> dict[str, Any]:
    """``_truth/attribution.json``: per campaign and overall, the true incremental conversions per channel."""
    overall: dict[str, float] = {}
    touched: dict[str, int] = {}
    realised_t = realised_c = treatment = control = 0
    for campaign in history.truth:
        for ch, v in campaign["expected_incremental_conversions"].items():
            overall[ch] = overall.get(ch, 0.0) + v
            touched[ch] = touched.get(ch, 0) + campaign["touched"][ch]
        realised_t += campaign["realised_conversions_treatment"]
        realised_c += campaign["realised_conversions_control"]
        treatment += campaign["treatment"]
        control += campaign["control"]
    total = sum(overall.values())
    return {
        "definition": (
            "expected_incremental_conversions[c] = the sum, over the treatment members a campaign touched by "
            "channel c, "
            "of that touch's true increment of p(buy the campaign's product within 30 days): "
            "(p_answered − p_nocall) × f_c × boost of the moment live at the touch × reach_c; for a call "
            "f_call = p(answered within 3 attempts at the campaign's schedule). Increments add up in probability, "
            "so a channel's true share = its expected incremental conversions / the sum over channels. "
            "realised_conversions_* count the conversions table's rows of the campaign's members "
            "(treatment: touched or not; control: never touched)."
        ),
        "overall": {
            "expected_incremental_conversions": overall,
            "true_share": {ch: (v / total if total else 0.0) for ch, v in overall.items()},
            "touched": touched,
            "treatment": treatment,
            "control": control,
            "realised_conversions_treatment": realised_t,
            "realised_conversions_control": realised_c,
        },
        "campaigns": history.truth,
    }
