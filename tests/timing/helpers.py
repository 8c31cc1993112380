"""Small, controlled call histories for the answer-model tests (built in memory, no lake needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

MONDAY = pd.Timestamp("2026-03-02")  # a Monday
# Two occupations with opposite habits: early birds answer in the morning, night owls in the evening.
PROFILES = {"early": (0.6, 0.1), "night": (0.1, 0.6)}


def simulate(
    customers: int = 400, attempts: int = 6, seed: int = 0, scale_spread: float = 0.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(contacts, customers): attempts at random legal hours; p = profile(occupation, hour) × own scale."""
    rng = np.random.default_rng(seed)
    occupation = np.where(np.arange(customers) % 2 == 0, "early", "night")
    scale = np.clip(rng.normal(1.0, scale_spread, customers), 0.05, 3) if scale_spread else np.ones(customers)
    people = pd.DataFrame(
        {
            "customer_id": pd.array([f"C{i:05d}" for i in range(customers)], dtype="str"),
            "occupation": pd.array(occupation, dtype="str"),
            "age": 25 + (np.arange(customers) % 50),
        }
    )
    cust = np.repeat(np.arange(customers), attempts)
    day = rng.integers(0, 28, len(cust))
    hour = rng.integers(9, 21, len(cust))
    morning, evening = np.array([PROFILES[o] for o in occupation]).T
    base = np.where(hour < 15, morning[cust], evening[cust])
    answered = rng.random(len(cust)) < np.minimum(base * scale[cust], 0.95)
    contacts = pd.DataFrame(
        {
            "contact_id": pd.array([f"K{i:07d}" for i in range(len(cust))], dtype="str"),
            "customer_id": people["customer_id"].to_numpy()[cust],
            "channel": "call",
            "ts": MONDAY + pd.to_timedelta(day, "D") + pd.to_timedelta(hour, "h") + pd.to_timedelta(7, "min"),
            "disposition": pd.array(np.where(answered, "answered", "no_answer"), dtype="str"),
        }
    )
    return contacts, people


def attempts_of(customer_id: str, answered: list[bool], hour: int = 10, day0: int = 0) -> pd.DataFrame:
    """Attempts of one customer at ``hour`` on consecutive days, answered as given."""
    n = len(answered)
    return pd.DataFrame(
        {
            "contact_id": pd.array([f"X{customer_id}{i}" for i in range(n)], dtype="str"),
            "customer_id": pd.array([customer_id] * n, dtype="str"),
            "channel": "call",
            "ts": MONDAY + pd.to_timedelta(day0 + np.arange(n), "D") + pd.Timedelta(hours=hour),
            "disposition": pd.array(["answered" if a else "no_answer" for a in answered], dtype="str"),
        }
    )
