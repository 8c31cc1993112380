"""A drift scenario for model health: weekly campaigns over a synthetic population that may shift at a month.

The default synthetic bank is not touched (its tables and RNG stream stay as published): this draws its own
population from an independent generator. Each week a campaign calls ``weekly`` members; a member converts
with the true probability of the week's regime. From ``drift_month`` on (4 weekly campaigns a month, month 0
first) the population shifts — higher incomes, more app views, a different province mix — and the relation to
conversion changes (app views matter less, age matters). Without ``drift_month`` nothing changes: a null run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from callwise.monitor.decay import AUC_MARGIN, monitor_weeks
from callwise.monitor.stability import build_profile

WEEKS_PER_MONTH = 4
PROVINCES = ("广东", "北京", "上海", "浙江", "四川", "湖北", "新疆", "西藏")
BASE_MIX = np.array([0.25, 0.2, 0.2, 0.15, 0.1, 0.08, 0.015, 0.005])
DRIFT_MIX = np.array([0.15, 0.15, 0.15, 0.15, 0.2, 0.17, 0.025, 0.005])
FEATURES = ["age", "income", "balance", "views", "province"]


@dataclass(frozen=True)
class Scenario:
    drift_month: int | None = None  # None: no drift
    strength: float = 1.0  # 1 = the documented shift; 0 = none even after drift_month


def population(n: int, rng: np.random.Generator, drifted: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` members' features and their true conversion probability; ``drifted`` in [0, 1] blends the regimes."""
    age = np.clip(rng.normal(42 + 4 * drifted, 12, n), 18, 85).round()
    income = np.exp(rng.normal(np.log(8_000) + 0.3 * drifted, 0.55, n)).round(-1)
    balance = np.where(rng.random(n) < 0.1, np.nan, np.exp(rng.normal(10, 1, n)))
    views = rng.poisson(1.0 + 0.8 * drifted, n).astype(float)
    mix = (1 - drifted) * BASE_MIX + drifted * DRIFT_MIX
    province = np.asarray(PROVINCES, dtype=object)[rng.choice(len(PROVINCES), n, p=mix / mix.sum())]
    logit = (
        -3.0
        + 0.6 * np.log(income / 8_000)
        + (0.5 - 0.4 * drifted) * np.minimum(views, 4)
        + 0.3 * np.nan_to_num(np.log(balance) - 10)
        + 0.02 * drifted * (age - 42)
        + 0.4 * np.isin(province, ["上海", "北京"])
    )
    frame = pd.DataFrame(
        {"age": age, "income": income, "balance": balance, "views": views, "province": pd.array(province, "str")}
    )
    return frame, 1 / (1 + np.exp(-logit))


def monitoring_run(
    seed: int,
    scenario: Scenario = Scenario(),
    train_rows: int = 20_000,
    weekly: int = 3_000,
    weeks: int = 12,
    model: str = "logistic",
    margin: float = AUC_MARGIN,
) -> dict[str, Any]:
    """Train on a pre-period, then check ``weeks`` weekly campaigns; the first flagged week (0-based) or None."""
    from callwise.models import make_model

    rng = np.random.default_rng(np.random.SeedSequence([seed, 20_261_201]))
    X, p = population(train_rows, rng)
    y = (rng.random(train_rows) < p).astype(int)
    split = int(train_rows * 0.75)
    fitted = make_model(model, random_state=seed).fit(X.iloc[:split], y[:split])
    card_auc = float(roc_auc_score(y[split:], fitted.predict_proba(X.iloc[split:])[:, 1]))
    profile = build_profile(X.iloc[:split], fitted.predict_proba(X.iloc[:split])[:, 1])
    drift_week = None if scenario.drift_month is None else scenario.drift_month * WEEKS_PER_MONTH
    frames = []
    for w in range(weeks):
        drifted = scenario.strength if drift_week is not None and w >= drift_week else 0.0
        Xw, pw = population(weekly, rng, drifted)
        Xw["score"] = fitted.predict_proba(Xw)[:, 1]
        Xw["converted"] = (rng.random(weekly) < pw).astype(int)
        Xw["week"] = w
        frames.append(Xw)
    result = monitor_weeks(
        profile, pd.concat(frames, ignore_index=True), card_auc, FEATURES, checks=weeks, margin=margin
    )
    first = result["first_flagged_week"]
    flagged = None if first is None else int(first)
    return {
        "seed": seed,
        "drift_week": drift_week,
        "card_auc": round(card_auc, 6),
        "first_flagged_week": flagged,
        "false_alarm": flagged is not None and (drift_week is None or flagged < drift_week),
        "checks_to_flag": None
        if flagged is None or drift_week is None or flagged < drift_week
        else flagged - drift_week + 1,
        "reasons": [] if flagged is None else result["weeks"][flagged]["reasons"],
    }
