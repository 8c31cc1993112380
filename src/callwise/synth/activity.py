"""Products, holdings, a year of transactions and app events, and the agents of the synthetic bank."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from callwise.synth.people import _text

EPOCH = date(1970, 1, 1).toordinal()
DAY = 86_400
# product_id, name, category, risk level, value per conversion (CNY), min age, max age
PRODUCTS = [
    ("P_DEP01", "大额存单·三年期", "deposit", "R1", 300.0, 18, None),
    ("P_WM01", "稳健理财·季季盈", "wealth", "R2", 800.0, 18, None),
    ("P_WM02", "稳健理财·年年享", "wealth", "R2", 900.0, 18, None),
    ("P_WM03", "进取理财·睿选", "wealth", "R3", 1200.0, 18, 75),
    ("P_FD01", "沪深300指数基金", "fund", "R4", 600.0, 18, 70),
    ("P_FD02", "货币基金·天天利", "fund", "R1", 150.0, 18, None),
    ("P_INS01", "安享养老年金险", "insurance", "R2", 2000.0, 18, 65),
    ("P_CC01", "白金信用卡", "credit_card", None, 400.0, 18, 65),
    ("P_LN01", "薪享消费贷", "loan", None, 700.0, 22, 60),
]
CATEGORY_OF = {p[0]: p[2] for p in PRODUCTS}
# Holding one of these makes a customer likelier to buy the category (experience, trust, cross-sell).
RELATED = {
    "deposit": ("wealth",),
    "wealth": ("deposit", "wealth"),
    "fund": ("fund", "wealth"),
    "insurance": ("wealth", "deposit"),
    "credit_card": ("loan",),
    "loan": ("credit_card",),
}
IN_CATEGORIES = ["转入", "退款", "利息"]
OUT_CATEGORIES = ["消费", "转账", "还款", "缴费", "餐饮", "网购"]
CHANNELS = ["手机银行", "网上银行", "柜面", "ATM", "POS"]
EVENTS = ["app_login", "view_product", "view_rates", "use_calculator"]


def products_table() -> pa.Table:
    cols = list(zip(*PRODUCTS, strict=True))
    return pa.table(
        {
            "product_id": cols[0],
            "name": cols[1],
            "category": cols[2],
            "risk_level": pa.array(cols[3], pa.string()),
            "value_per_conversion": cols[4],
            "min_age": pa.array(cols[5], pa.int64()),
            "max_age": pa.array(cols[6], pa.int64()),
        }
    )


def holding_logit(appetite: np.ndarray) -> np.ndarray:
    """Log-odds of holding a product of a category when the year starts, from the appetite for it."""
    return -2.2 + 0.8 * appetite


def initial_holdings(traits: dict, latent: dict, rng: np.random.Generator, start_day: int) -> dict[str, np.ndarray]:
    """Who holds what when the year starts: customer index, product index, balance, opened day."""
    n = len(traits["age"])
    idx, prod, balance, opened = [], [], [], []
    for j, (_, _, category, *_rest) in enumerate(PRODUCTS):
        p = 1 / (1 + np.exp(-holding_logit(latent["appetite"][category])))
        held = np.flatnonzero(rng.random(n) < p)
        idx.append(held)
        prod.append(np.full(len(held), j))
        balance.append(np.round(traits["income"][held] * rng.lognormal(1.5, 0.9, len(held)), 2))
        opened.append(start_day - rng.integers(1, 6 * 365, len(held)))
    return {
        k: np.concatenate(v)
        for k, v in zip(("customer", "product", "balance", "opened"), (idx, prod, balance, opened), strict=True)
    }


def holds_category(holdings: dict, n: int, categories: tuple[str, ...], day: int) -> np.ndarray:
    """Per customer: holds any product of ``categories`` opened before ``day``."""
    wanted = np.array([p[2] in categories for p in PRODUCTS])
    mask = wanted[holdings["product"]] & (holdings["opened"] < day)
    return np.bincount(holdings["customer"][mask], minlength=n) > 0


def transactions(
    traits: dict, latent: dict, rng: np.random.Generator, start_day: int, days: int, chunk: int = 100_000
) -> Iterator[pa.Table]:
    """About five transactions per customer per month, salaries and pensions, and windfall inflows.

    Yields one table per ``chunk`` customers, so a million customers' 60M+ rows never sit in memory at once.
    """
    for first in range(0, len(traits["age"]), chunk):
        yield _transactions_of(
            np.arange(first, min(first + chunk, len(traits["age"]))), traits, latent, rng, start_day, days
        )


def _transactions_of(
    who: np.ndarray, traits: dict, latent: dict, rng: np.random.Generator, start_day: int, days: int
) -> pa.Table:
    income, seg = traits["income"], traits["segment"]
    counts = rng.poisson(5 * 12 * days / 365 * rng.gamma(4, 0.25, len(who)))
    cust = np.repeat(who, counts)
    m = len(cust)
    inflow = rng.random(m) < 0.3
    amount = income[cust] * np.where(inflow, rng.lognormal(-1.6, 0.9, m), rng.lognormal(-2.6, 1.0, m))
    day = start_day + rng.integers(0, days, m)
    category = np.where(
        inflow, rng.integers(0, len(IN_CATEGORIES), m), len(IN_CATEGORIES) + rng.integers(0, len(OUT_CATEGORIES), m)
    )
    channel = np.where(
        rng.random(m) < 0.45 + 0.35 * np.minimum(latent["digital"][cust], 1), 0, rng.integers(1, len(CHANNELS), m)
    )

    # Monthly salary (employees) or pension (retirees) on the 10th; a windfall for some customers.
    paid = who[np.isin(seg[who], [0, 1, 3])]
    months = np.arange(0, days, 30)
    pay_cust = np.repeat(paid, len(months))
    pay_day = start_day + np.tile(months, len(paid)) + 9
    windfall = who[latent["windfall_day"][who] >= 0]
    wind_amount = income[windfall] * rng.uniform(8, 40, len(windfall))

    all_cust = np.concatenate([cust, pay_cust, windfall])
    all_day = np.concatenate([day, pay_day, start_day + latent["windfall_day"][windfall]])
    labels = [*IN_CATEGORIES, *OUT_CATEGORIES, "工资", "养老金", "理财到期"]
    pay_label = np.where(seg[pay_cust] == 0, len(labels) - 2, len(labels) - 3)
    all_cat = np.concatenate([category, pay_label, np.full(len(windfall), len(labels) - 1)])
    all_in = np.concatenate([inflow, np.ones(len(pay_cust) + len(windfall), bool)])
    all_amount = np.round(np.concatenate([amount, income[pay_cust], wind_amount]), 2)
    all_channel = np.concatenate([channel, np.full(len(pay_cust) + len(windfall), 1)])
    seconds = (all_day - EPOCH) * DAY + rng.integers(7 * 3600, 23 * 3600, len(all_day))
    return pa.table(
        {
            "customer_id": all_cust,  # replaced by the text id when written
            "ts": pa.array(seconds.astype("datetime64[s]")),
            "amount": all_amount,
            "direction": _text(["out", "in"], all_in.astype(int)),
            "channel": _text(CHANNELS, all_channel),
            "category": _text(labels, all_cat),
        }
    )


def events(latent: dict, traits: dict, rng: np.random.Generator, start_day: int, days: int) -> dict[str, np.ndarray]:
    """App events as arrays (customer, day, second of day, event, product index or -1)."""
    n = len(traits["age"])
    counts = rng.poisson(latent["digital"] * 2.2 * 12 * days / 365)
    cust = np.repeat(np.arange(n), counts)
    m = len(cust)
    kind = rng.choice(len(EVENTS), m, p=[0.62, 0.22, 0.11, 0.05])
    day = start_day + rng.integers(0, days, m)
    # What people look at follows what they want; after a windfall they browse savings and investments.
    appetite = np.stack([latent["appetite"][p[2]] for p in PRODUCTS], axis=1)
    product = np.full(m, -1)
    views = kind == 1
    product[views] = _pick_products(appetite, cust[views], rng)
    windfall = np.flatnonzero((latent["windfall_day"] >= 0) & (rng.random(n) < np.minimum(latent["digital"], 1)))
    extra = rng.poisson(2.5, len(windfall))
    w_cust = np.repeat(windfall, extra)
    w_day = start_day + latent["windfall_day"][w_cust] + rng.integers(0, 30, len(w_cust))
    savings = np.array([j for j, p in enumerate(PRODUCTS) if p[2] in ("wealth", "fund", "deposit")])
    w_product = savings[rng.integers(0, len(savings), len(w_cust))]
    keep = w_day < start_day + days
    return {  # compact types: at a million customers these arrays hold some 20M events
        "customer": np.concatenate([cust, w_cust[keep]]).astype(np.int32),
        "day": np.concatenate([day, w_day[keep]]).astype(np.int32),
        "second": rng.integers(7 * 3600, 24 * 3600, m + keep.sum()).astype(np.int32),
        "event": np.concatenate([kind, np.ones(keep.sum(), int)]).astype(np.int8),
        "product": np.concatenate([product, w_product[keep]]).astype(np.int8),
    }


def _pick_products(appetite: np.ndarray, cust: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    weights = np.exp(appetite)
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(cust))
    return (cum[cust] < u[:, None]).sum(axis=1).clip(0, len(PRODUCTS) - 1)


def events_table(ev: dict[str, np.ndarray]) -> pa.Table:
    seconds = (ev["day"].astype(np.int64) - EPOCH) * DAY + ev["second"]
    ids = pa.array([p[0] for p in PRODUCTS] + [None], pa.string())
    return pa.table(
        {
            "customer_id": ev["customer"],
            "ts": pa.array(seconds.astype("datetime64[s]")),
            "event": _text(EVENTS, ev["event"]),
            "detail": pc.take(ids, pa.array(np.where(ev["product"] < 0, len(PRODUCTS), ev["product"]))),
        }
    )


def recent_views(ev: dict[str, np.ndarray], n: int, category: str, day: int, window: int = 14) -> np.ndarray:
    """Per customer: views of products of ``category`` in the ``window`` days before ``day``."""
    wanted = np.array([p[2] == category for p in PRODUCTS] + [False])
    mask = (ev["event"] == 1) & wanted[ev["product"]] & (ev["day"] >= day - window) & (ev["day"] < day)
    return np.bincount(ev["customer"][mask], minlength=n)


def agents_table(n_agents: int, rng: np.random.Generator) -> pa.Table:
    skills = ["wealth|fund|deposit", "wealth|insurance", "credit_card|loan", "wealth|fund|deposit|insurance"]
    shifts = ["mon-fri 09:00-18:00", "mon-fri 12:00-21:00", "sat-sun 09:00-18:00", "wed-sun 10:00-19:00"]
    return pa.table(
        {
            "agent_id": [f"A{i:04d}" for i in range(1, n_agents + 1)],
            "team": _text(["财富一组", "财富二组", "信用卡组", "综合组"], rng.integers(0, 4, n_agents)),
            "skills": _text(skills, rng.integers(0, len(skills), n_agents)),
            "languages": _text(["zh", "zh|yue", "zh|en"], rng.choice(3, n_agents, p=[0.8, 0.12, 0.08])),
            "shift": _text(shifts, rng.choice(len(shifts), n_agents, p=[0.5, 0.25, 0.15, 0.1])),
            "calls_per_hour": np.round(rng.uniform(10, 20, n_agents), 1),
        }
    )
