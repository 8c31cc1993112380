"""Per-member frames built by hand for the results tests (the contract's columns, no real customer)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def hand_frame(conv_t: int, n_t: int, conv_c: int, n_c: int) -> pd.DataFrame:
    """n_t treatment members of whom the first conv_t converted (revenue 100 each), n_c control (conv_c converted).
    Every treatment member was dialled twice; the first half of them was reached for 60 seconds."""
    n = n_t + n_c
    score = ((np.arange(n) * 7919) % n + 0.5) / n  # spread over both groups, as a random assignment would
    group = ["treatment"] * n_t + ["control"] * n_c
    converted = [1] * conv_t + [0] * (n_t - conv_t) + [1] * conv_c + [0] * (n_c - conv_c)
    reached = [1 if i < n_t // 2 else 0 for i in range(n_t)] + [0] * n_c
    dials = [2] * n_t + [0] * n_c
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "group": group,
            "arm": ["A" if i % 2 else "B" for i in range(n_t)] + [None] * n_c,
            "score": score,
            "score_decile": pd.array(np.minimum((1 - score) * 10, 9).astype(int) + 1, dtype="Int64"),
            "product_id": "P_WM01",
            "province": ["北京" if i % 3 else "上海" for i in range(n)],
            "age_band": ["30-39"] * n,
            "segment": ["教师"] * n,
            "team": ["T1" if r else None for r in reached[:n_t]] + [None] * n_c,
            "agent_id": [None] * n,
            "converted": converted,
            "revenue": [100.0 * c for c in converted],
            "conversion_day": [1.0 if c else np.nan for c in converted],
            "dials": dials,
            "connects": reached,
            "reached": reached,
            "talk_seconds": [60.0 * r for r in reached],
            "sms": [1] * n_t + [0] * n_c,
            "complaint": [1 if i == 0 else 0 for i in range(n)],
            "dnc": [0] * n,
            "opt_out": [0] * n,
            "past_purchases": [i % 3 for i in range(n)],
        }
    )


def simulated_frame(n: int, rng: np.random.Generator, effect: float = 0.02, control_share: float = 0.1) -> pd.DataFrame:
    """A campaign whose members' conversion depends on a known covariate; stratified control by score decile."""
    score = rng.random(n)
    decile = np.minimum((1 - score) * 10, 9).astype(int) + 1
    u = rng.random(n)
    control = np.zeros(n, dtype=bool)
    for d in range(1, 11):  # stratified: the share of each decile with the smallest u
        idx = np.flatnonzero(decile == d)
        k = int(np.floor(len(idx) * control_share + 0.5))
        control[idx[np.argsort(u[idx])[:k]]] = True
    p = 0.01 + 0.1 * score**2 + np.where(control, 0.0, effect)
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame(
        {
            "group": np.where(control, "control", "treatment"),
            "score": score,
            "score_decile": decile,
            "converted": y,
            "revenue": y * 500.0,
            "past_purchases": rng.poisson(0.2 + score),
        }
    )
