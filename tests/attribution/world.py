"""A hand-made additive world with known channel shares, written as a lake (the contract's tables).

Each campaign draws a randomised control group (never touched); every treated member gets each channel with its
reach probability, independently, at a random time in the campaign's first week (a call as up to three attempts).
A member buys the campaign's product with probability baseline(customer) + the sum of the effects of the
channels that touched it, at a time after every touch and within 30 days of each. So the true incremental
conversions of a channel are its touched members times its effect, and the true share is that over the sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from callwise.lake import Lake

START = datetime(2026, 3, 2, 9, 0)
EFFECTS = {"call": 0.06, "sms": 0.01, "app_push": 0.015, "wechat": 0.03, "email": 0.005}
REACH = {"call": 0.35, "sms": 0.8, "app_push": 0.6, "wechat": 0.4, "email": 0.7}


@dataclass(frozen=True)
class World:
    lake: Lake
    campaigns: tuple[str, ...]
    true_incremental: dict[str, float]  # expected, over every campaign

    @property
    def true_shares(self) -> dict[str, float]:
        total = sum(self.true_incremental.values())
        return {c: v / total for c, v in self.true_incremental.items()}


def write_world(
    root: Path,
    customers: int = 20_000,
    seed: int = 7,
    campaigns: int = 2,
    effects: dict[str, float] | None = None,
    reach: dict[str, float] | None = None,
    control_share: float = 0.1,
    engine: str = "duckdb",
    consented: dict[str, float] | None = None,
) -> World:
    """``consented``: each customer grants each channel's marketing consent with this probability (a consents table
    is written) and only those who did can be touched; the customers who consent to app push buy more on their own
    (+5 points), so comparing touched with untouched customers across consents is confounded."""
    effects = dict(EFFECTS if effects is None else effects)
    reach = dict(REACH if reach is None else reach)
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:07d}" for i in range(customers)])
    age = rng.integers(20, 75, customers)
    income = rng.lognormal(9.2, 0.6, customers)
    occupation = rng.choice(["staff", "owner", "retired", "teacher"], customers)
    # the baseline differs by customer (older and richer buy more), which the regression's controls soak up
    baseline = 0.02 + 0.02 * (age >= 50) + 0.015 * (income > 15_000)
    grants = {c: rng.random(customers) < (consented or {}).get(c, 1.0) for c in effects}
    if consented is not None and "app_push" in grants:
        baseline = baseline + 0.05 * grants["app_push"]
    lake = Lake(root / "lake", engine)
    lake.write(
        "customers",
        pa.table(
            {
                "customer_id": ids,
                "phone": [f"138{i:08d}" for i in range(customers)],
                "birth_date": pa.array([date(2026 - int(a), 6, 15) for a in age]),
                "income_monthly": income,
                "occupation": occupation,
                "consent_marketing": np.ones(customers, dtype=bool),
            }
        ),
    )
    products, rows, member_rows, contact_rows, sale_rows = [], [], [], [], []
    truth = dict.fromkeys(effects, 0.0)
    for k in range(campaigns):
        campaign, product = f"CMP{k:02d}", f"P{k:02d}"
        start = START + timedelta(days=40 * k)
        products.append(product)
        rows.append((campaign, product, start))
        # each campaign takes a different half of the bank
        chosen = rng.random(customers) < 0.5
        members = np.flatnonzero(chosen)
        control = rng.random(len(members)) < control_share
        for i, c in zip(members, control, strict=True):
            member_rows.append((campaign, ids[i], "control" if c else "treatment"))
        treated = members[~control]
        p = baseline[members].copy()
        touched_at = np.zeros(len(members))
        for channel, effect in effects.items():
            hit = (~control) & grants[channel][members] & (rng.random(len(members)) < reach[channel])
            p += effect * hit
            truth[channel] += effect * hit.sum()
            when = rng.uniform(0, 7 * 86400, len(members))
            attempts = rng.integers(1, 4, len(members)) if channel == "call" else np.ones(len(members), dtype=int)
            for j in np.flatnonzero(hit):
                for a in range(int(attempts[j])):
                    ts = start + timedelta(seconds=float(when[j]) + 3600 * 5 * a)
                    contact_rows.append((campaign, ids[members[j]], product, channel, ts))
            touched_at = np.maximum(touched_at, np.where(hit, when + 3600 * 10, 0))
        bought = rng.random(len(members)) < p
        after = 7 * 86400 + rng.uniform(3600, 20 * 86400, len(members))
        for j in np.flatnonzero(bought):
            sale_rows.append((ids[members[j]], product, start + timedelta(seconds=float(after[j]))))
        del treated
    lake.write(
        "products",
        pa.table(
            {
                "product_id": products,
                "name": products,
                "category": ["deposit"] * len(products),
                "value_per_conversion": [100.0] * len(products),
            }
        ),
    )
    lake.write(
        "campaigns",
        pa.table(
            {
                "campaign_id": [r[0] for r in rows],
                "product_id": [r[1] for r in rows],
                "start_at": pa.array([r[2] for r in rows], pa.timestamp("us")),
            }
        ),
    )
    lake.write(
        "campaign_members",
        pa.table(
            {
                "campaign_id": [r[0] for r in member_rows],
                "customer_id": [r[1] for r in member_rows],
                "group": [r[2] for r in member_rows],
            }
        ),
    )
    n = len(contact_rows)
    lake.write(
        "contacts",
        pa.table(
            {
                "contact_id": [f"K{i:08d}" for i in range(n)],
                "campaign_id": [r[0] for r in contact_rows],
                "customer_id": [r[1] for r in contact_rows],
                "product_id": [r[2] for r in contact_rows],
                "channel": [r[3] for r in contact_rows],
                "ts": pa.array([r[4] for r in contact_rows], pa.timestamp("us")),
                "group": ["treatment"] * n,
                "disposition": ["answered" if r[3] == "call" else "delivered" for r in contact_rows],
            }
        ),
    )
    lake.write(
        "conversions",
        pa.table(
            {
                "customer_id": [r[0] for r in sale_rows],
                "product_id": [r[1] for r in sale_rows],
                "ts": pa.array([r[2] for r in sale_rows], pa.timestamp("us")),
                "amount": [1000.0] * len(sale_rows),
            }
        ),
    )
    if consented is not None:
        lake.write(
            "consents",
            pa.table(
                {
                    "customer_id": np.repeat(ids, len(effects)),
                    "channel": np.tile(list(effects), customers),
                    "purpose": ["marketing"] * (customers * len(effects)),
                    "granted": np.column_stack([grants[c] for c in effects]).reshape(-1),
                    "ts": pa.array([datetime(2025, 1, 1)] * (customers * len(effects)), pa.timestamp("us")),
                    "source": ["branch"] * (customers * len(effects)),
                }
            ),
        )
    return World(lake, tuple(r[0] for r in rows), truth)
