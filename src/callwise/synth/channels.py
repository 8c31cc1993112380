"""The synthetic bank's multi-channel world: consents per channel, reach, planted moments, the effect model.

Only built with ``synthesize(..., channels=True)``. Every draw comes from streams of its own (spawn keys under
``CHANNEL_STREAM`` that no other part uses), so a bank made without channels stays byte for byte as it was, and
the tables both kinds of bank share (customers, products, the call history) are identical.

The effect model (the truth): one touch of channel c at time t of customer i about product j adds

    inc_c = (p_answered_j − p_nocall_j)(t) × f_c(i) × boost_i(t) × reach_c(i)

to p(buy j within 30 days), additively over touches. For a call f_call = p(answering within 3 attempts), so
the call's increment is the existing truth's p_call − p_nocall times the boost; for messages f_c is a factor of
age and digital affinity (``message_factors``). ``boost_i(t)`` is the largest boost of the moments live for the
customer at t (1 when none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callwise.synth.activity import DAY, EPOCH, PRODUCTS
from callwise.synth.people import _text

CHANNEL_STREAM = 0xC4A77
CHANNELS = ("call", "sms", "app_push", "wechat", "email")  # the contract's order
MESSAGE_CHANNELS = CHANNELS[1:]
# Multiplier on the increment of any touch while the moment is live; when several are live the largest holds.
BOOSTS = {
    "salary_arrived": 1.4,
    "large_inflow": 1.6,
    "deposit_maturing": 2.5,
    "wealth_maturing": 2.2,
    "birthday": 1.2,
    "repeated_product_views": 1.8,
    "card_bill_due": 1.3,
    "competitor_transfer_out": 2.0,
}
MOMENT_IDS = tuple(BOOSTS)
# How each moment shows in the tables and when it is live (start and end relative to what the tables show).
WINDOWS = {
    "salary_arrived": "transactions category 工资 or 养老金 (inflow): live from its ts for 7 days",
    "large_inflow": "transactions category 理财到期 (an inflow of 8–40 monthly incomes): live from its ts for 14 days",
    "deposit_maturing": "holdings.matures_at of a deposit: live from 21 days before that date to 7 days after",
    "wealth_maturing": "holdings.matures_at of a wealth product: live from 21 days before that date to 7 days after",
    "birthday": "customers.birth_date: live from 3 days before the birthday to the end of 3 days after",
    "repeated_product_views": "3 or more view_product events of one product within 7 days: live from the third "
    "view for 7 days",
    "card_bill_due": "events card_bill (detail = due date): live from 10 days before the due date to its end",
    "competitor_transfer_out": "transactions category 他行转出 (out): live from its ts for 14 days",
}
# Term of the products that mature, in days (auto-renewed each term unless closed at a maturity).
TERMS = {"P_DEP01": 1095, "P_WM01": 91, "P_WM02": 365, "P_WM03": 182}
CLOSED_AT_MATURITY = 0.35  # share of maturities in the history year where the customer took the money
COSTS = {"call": 5.0, "sms": 0.05, "app_push": 0.005, "wechat": 0.02, "email": 0.01}
SMS_DAILY_LIMIT = 200_000
TRANSFER_OUT = "他行转出"
MATURITY_WINDOW = (-21, 7)  # days around holdings.matures_at
BILL_DUE_AFTER = 20  # days from a card statement to its due date


def stream(seed: int, part: int) -> np.random.Generator:
    """The channel world's random stream ``part``: a spawn key no other part of the bank uses."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(CHANNEL_STREAM, part)))


def message_factors(traits: dict, latent: dict) -> dict[str, np.ndarray]:
    """f_c: the share of an answered call's increment one message of channel c carries (0.02–0.30).

    Young digital customers respond to app push and WeChat, older ones to SMS; email is weak for everyone.
    """
    age = traits["age"]
    d = np.minimum(latent["digital"], 1.0)
    young = np.clip((55 - age) / 30, 0, 1)  # 1 at 25 and younger, 0 at 55 and older
    return {
        "sms": 0.05 + 0.08 * (age >= 50),
        "app_push": 0.03 + 0.22 * d * young,
        "wechat": 0.03 + 0.15 * d + 0.07 * young,
        "email": 0.02 + 0.03 * (traits["education"] >= 3),
    }


def draw_reach(traits: dict, latent: dict, ev: dict, list_day: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Whom each channel can reach at all: app push needs an app user, WeChat a bound account, email an address."""
    n = len(traits["age"])
    d = np.minimum(latent["digital"], 1.0)
    app_login = (ev["event"] == 0) & (ev["day"] >= list_day - 90) & (ev["day"] < list_day)
    return {
        "call": np.ones(n, bool),
        "sms": rng.random(n) < 0.97,  # the rest: numbers that take no SMS (landline forwarding, blocked)
        # An app user (an app_login in the last 90 days) who left push notifications on.
        "app_push": (np.bincount(ev["customer"][app_login], minlength=n) > 0) & (rng.random(n) < 0.35 + 0.6 * d),
        "wechat": rng.random(n) < 0.1 + 0.65 * d,
        "email": rng.random(n) < 0.08 + 0.25 * (traits["education"] >= 3),
    }


@dataclass
class Consents:
    """Per message channel: the granted row's second (-1: never granted) and the withdrawal's second (max: none)."""

    granted_at: dict[str, np.ndarray]
    withdrawn_at: dict[str, np.ndarray]

    def in_force(self, channel: str, second: int) -> np.ndarray:
        return (
            (self.granted_at[channel] >= 0)
            & (self.granted_at[channel] <= second)
            & (self.withdrawn_at[channel] > second)
        )


def draw_consents(
    people: pa.Table, traits: dict, latent: dict, reach: dict, rng: np.random.Generator, end: date, ids: pa.Array
) -> tuple[pa.Table, Consents]:
    """The consents table: a row per customer and channel (the call row is customers.consent_marketing), and
    some later withdrawals — a second, newer row with granted = false."""
    n = len(traits["age"])
    d = np.minimum(latent["digital"], 1.0)
    call_ok = people.column("consent_marketing").to_numpy(zero_copy_only=False).astype(bool)
    call_ts = people.column("consent_updated_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    end_s = (end.toordinal() + 1 - EPOCH) * DAY - 1
    opened_s = people.column("opened_at").cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64) * DAY
    p_grant = {
        "sms": np.full(n, 0.62),
        "app_push": np.where(reach["app_push"], 0.1 + 0.7 * d, 0.03),
        "wechat": np.where(reach["wechat"], 0.15 + 0.55 * d, 0.03),
        "email": 0.05 + 0.1 * (traits["education"] >= 3),
    }
    sources = ["core_banking", "mobile_app", "branch", "wechat_bank", "sms_reply"]
    source_of = {"sms": 2, "app_push": 1, "wechat": 3, "email": 2}
    cust, chan, granted, ts, source = [np.arange(n)], [np.zeros(n, int)], [call_ok], [call_ts], [np.zeros(n, int)]
    state = Consents({}, {})
    for k, c in enumerate(MESSAGE_CHANNELS, start=1):
        yes = rng.random(n) < p_grant[c] * np.where(call_ok, 1.0, 0.5)
        at = np.maximum(np.minimum(call_ts, end_s) - rng.integers(0, 720 * DAY, n), opened_s + 10 * 3600)
        withdraw = yes & (rng.random(n) < 0.08) & (at < end_s - 2 * DAY)
        w_at = at + DAY + (rng.random(n) * np.maximum(end_s - at - DAY, 0)).astype(np.int64)
        state.granted_at[c] = np.where(yes, at, -1)
        state.withdrawn_at[c] = np.where(withdraw, w_at, np.iinfo(np.int64).max)
        w = np.flatnonzero(withdraw)
        cust += [np.arange(n), w]
        chan += [np.full(n, k), np.full(len(w), k)]
        granted += [yes, np.zeros(len(w), bool)]
        ts += [at, w_at[w]]
        source += [np.full(n, source_of[c]), np.where(c == "sms", 4, np.full(len(w), source_of[c]))]
    all_cust = np.concatenate(cust)
    all_chan = np.concatenate(chan)
    order = np.lexsort((all_chan, all_cust))
    seconds = np.concatenate(ts)[order]
    table = pa.table(
        {
            "customer_id": pc.take(ids, pa.array(all_cust[order].astype(np.int64))),
            "channel": _text(list(CHANNELS), all_chan[order]),
            "purpose": pa.array(np.full(len(order), "marketing")),
            "granted": pa.array(np.concatenate(granted)[order]),
            "ts": pa.array(seconds.astype("datetime64[s]")),
            "source": _text(sources, np.concatenate(source)[order]),
        }
    )
    return table, state


@dataclass
class Moments:
    """Planted moments as parallel arrays: customer index, moment index (into MOMENT_IDS), start/end seconds."""

    customer: np.ndarray
    moment: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> Moments:
        cust = np.concatenate([p[1] for p in parts]).astype(np.int64)
        kind = np.concatenate([np.full(len(p[1]), MOMENT_IDS.index(p[0])) for p in parts]).astype(np.int8)
        start = np.concatenate([p[2] for p in parts]).astype(np.int64)
        end = np.concatenate([p[3] for p in parts]).astype(np.int64)
        order = np.lexsort((kind, start, cust))
        return cls(cust[order], kind[order], start[order], end[order])

    @property
    def boost(self) -> np.ndarray:
        return np.array(list(BOOSTS.values()))[self.moment]

    def boost_at(self, customer: np.ndarray, second: np.ndarray, chunk: int = 100_000) -> np.ndarray:
        """The boost in force for each (customer, second): the largest of the live moments' boosts, else 1."""
        out = np.ones(len(customer))
        lo = np.searchsorted(self.customer, customer, "left")
        count = np.searchsorted(self.customer, customer, "right") - lo
        boost = self.boost
        for first in range(0, len(customer), chunk):  # touches × that customer's moments, a chunk at a time
            rows = np.arange(first, min(first + chunk, len(customer)))
            reps = count[rows]
            which = np.repeat(rows, reps)
            m = lo[which] + np.arange(len(which)) - np.repeat(np.cumsum(reps) - reps, reps)
            live = (self.start[m] <= second[which]) & (second[which] < self.end[m])
            best = np.ones(len(rows))
            np.maximum.at(best, which[live] - first, boost[m[live]])
            out[rows] = best
        return out


def maturities(holdings: dict, rng: np.random.Generator, start: int, list_day: int) -> tuple[np.ndarray, np.ndarray]:
    """holdings.matures_at and closed_at (day ordinals, -1 for none) of every holding.

    Deposits and wealth products renew each term from the day they were opened; at a maturity in the history
    year some customers took the money (the holding closed that day), the others hold the next term, which
    matures on or after the list date.
    """
    n = len(holdings["customer"])
    matures, closed = np.full(n, -1), np.full(n, -1)
    for product_id, term in TERMS.items():
        j = next(k for k, p in enumerate(PRODUCTS) if p[0] == product_id)
        h = np.flatnonzero(holdings["product"] == j)
        opened = holdings["opened"][h]
        k = np.maximum(np.ceil((list_day - opened) / term).astype(np.int64), 1)
        future = opened + k * term
        past = future - term
        close = (k >= 2) & (past >= start) & (rng.random(len(h)) < CLOSED_AT_MATURITY)
        matures[h] = np.where(close, past, future)
        closed[h] = np.where(close, past, -1)
    return matures, closed


def card_bills(
    holdings: dict, n: int, rng: np.random.Generator, start: int, end: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly 'card_bill' events of card holders: (customer, event second, due day ordinal)."""
    j = next(k for k, p in enumerate(PRODUCTS) if p[2] == "credit_card")
    mask = holdings["product"] == j
    holder, first_day = np.unique(holdings["customer"][mask], return_index=True)
    opened = holdings["opened"][mask][first_day]
    statement_day = rng.integers(1, 29, len(holder))  # each holder's statement day of the month
    first_month = np.datetime64(date.fromordinal(start), "M")
    months = first_month + np.arange(13)
    cust = np.repeat(np.arange(len(holder)), len(months))
    month_start = np.tile(months, len(holder)).astype("datetime64[D]")
    day = (month_start + (statement_day[cust] - 1)).astype(np.int64) + EPOCH
    keep = (day >= np.maximum(opened[cust], start)) & (day <= end)
    cust, day = cust[keep], day[keep]
    second = (day - EPOCH) * DAY + rng.integers(7 * 3600, 9 * 3600, len(day))
    return holder[cust], second, day + BILL_DUE_AFTER


def transfers_out(traits: dict, rng: np.random.Generator, start: int, days: int) -> pa.Table:
    """'他行转出': some customers move money to another bank, a few times a year (customer is the row index)."""
    n = len(traits["age"])
    who = np.flatnonzero(rng.random(n) < 0.2 + 0.1 * (traits["income"] > 15_000))
    count = 1 + rng.poisson(2.0, len(who))
    cust = np.repeat(who, count)
    day = start + rng.integers(0, days, len(cust))
    seconds = (day - EPOCH) * DAY + rng.integers(8 * 3600, 22 * 3600, len(cust))
    amount = np.round(traits["income"][cust] * rng.uniform(1.5, 12, len(cust)), 2)
    return pa.table(
        {
            "customer_id": cust,
            "ts": pa.array(seconds.astype("datetime64[s]")),
            "amount": amount,
            "direction": pa.array(np.full(len(cust), "out")),
            "channel": _text(["手机银行", "网上银行"], rng.integers(0, 2, len(cust))),
            "category": pa.array(np.full(len(cust), TRANSFER_OUT)),
        }
    )


def view_bursts(latent: dict, rng: np.random.Generator, start: int, days: int) -> dict[str, np.ndarray]:
    """Bursts of 3–5 views of one product within a few days (someone weighing a purchase), digital customers more."""
    n = len(latent["digital"])
    count = rng.poisson(1.2 * np.minimum(latent["digital"], 1.0))
    burst_cust = np.repeat(np.arange(n), count)
    burst_day = start + rng.integers(0, days - 5, len(burst_cust))
    burst_product = rng.integers(0, len(PRODUCTS), len(burst_cust))
    views = rng.integers(3, 6, len(burst_cust))
    b = np.repeat(np.arange(len(burst_cust)), views)
    return {
        "customer": burst_cust[b].astype(np.int32),
        "day": (burst_day[b] + rng.integers(0, 5, len(b))).astype(np.int32),
        "second": rng.integers(7 * 3600, 24 * 3600, len(b)).astype(np.int32),
        "event": np.ones(len(b), np.int8),
        "product": burst_product[b].astype(np.int8),
    }


def repeated_views(ev: dict, window_days: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(customer, second of the third view) for each run of 3+ views of one product within ``window_days``."""
    views = np.flatnonzero(ev["event"] == 1)
    cust = ev["customer"][views].astype(np.int64)
    product = ev["product"][views].astype(np.int64)
    second = ev["day"][views].astype(np.int64) * DAY + ev["second"][views] - EPOCH * DAY
    order = np.lexsort((second, product, cust))
    cust, product, second = cust[order], product[order], second[order]
    same = np.zeros(len(cust), bool)
    same[2:] = (cust[2:] == cust[:-2]) & (product[2:] == product[:-2])
    hit = same.copy()
    hit[2:] &= second[2:] - second[:-2] < window_days * DAY
    first = hit.copy()
    first[1:] &= ~hit[:-1]  # one moment per run of qualifying views
    return cust[first], second[first]


def birthdays(people: pa.Table, start: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """(customer, birthday day ordinal) for every birthday from ``start`` to ``last`` (no birth date: none)."""
    birth = people.column("birth_date").cast(pa.int32()).to_numpy(zero_copy_only=False)
    known = np.flatnonzero(~np.isnan(birth.astype(float)))
    b = birth[known].astype(np.int64).astype("datetime64[D]")
    month = b.astype("datetime64[M]")
    month_of_year = month.astype(np.int64) % 12
    day_of_month = (b - month.astype("datetime64[D]")).astype(np.int64)
    cust, day = [], []
    for year in range(date.fromordinal(start).year, date.fromordinal(last).year + 1):
        y = np.datetime64(f"{year}-01", "M") + month_of_year
        d = (y.astype("datetime64[D]") + day_of_month).astype(np.int64) + EPOCH  # 29 Feb → 1 Mar
        keep = (d >= start) & (d <= last)
        cust.append(known[keep])
        day.append(d[keep])
    return np.concatenate(cust), np.concatenate(day)


def plant_moments(
    people: pa.Table,
    holdings: dict,
    maturity: tuple[np.ndarray, np.ndarray],
    bills: tuple[np.ndarray, np.ndarray, np.ndarray],
    transfers: pa.Table,
    inflows: dict[str, tuple[np.ndarray, np.ndarray]],
    ev: dict,
    start: int,
    list_day: int,
) -> Moments:
    """Every moment the tables show, with its live window (``WINDOWS``)."""
    parts = []
    for moment, hours in (("salary_arrived", 7 * 24), ("large_inflow", 14 * 24)):
        cust, second = inflows[moment]
        parts.append((moment, cust, second, second + hours * 3600))
    matures = maturity[0]
    category = np.array([p[2] for p in PRODUCTS])[holdings["product"]]
    for moment, cat in (("deposit_maturing", "deposit"), ("wealth_maturing", "wealth")):
        h = np.flatnonzero((matures >= 0) & (category == cat))
        at = (matures[h] - EPOCH) * DAY
        parts.append((moment, holdings["customer"][h], at + MATURITY_WINDOW[0] * DAY, at + MATURITY_WINDOW[1] * DAY))
    cust, day = birthdays(people, start - 7, list_day + 60)
    parts.append(("birthday", cust, (day - 3 - EPOCH) * DAY, (day + 4 - EPOCH) * DAY))
    cust, second = repeated_views(ev)
    parts.append(("repeated_product_views", cust, second, second + 7 * DAY))
    cust, _, due = bills
    parts.append(("card_bill_due", cust, (due - 10 - EPOCH) * DAY, (due + 1 - EPOCH) * DAY))
    cust = transfers.column("customer_id").to_numpy()
    second = transfers.column("ts").cast(pa.int64()).to_numpy()
    parts.append(("competitor_transfer_out", cust, second, second + 14 * DAY))
    return Moments.of(parts)
