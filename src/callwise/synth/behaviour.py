"""The hidden behaviour of the synthetic bank: who answers when, who buys what, whom a call persuades.

Everything a model could learn is caused here and shows only indirectly in the tables: answering depends
on hour-of-week and life situation; buying depends on needs that show in transactions (a windfall inflow),
app browsing and holdings; and each customer has a response type (persuadable, sure thing, lost cause,
sleeping dog) that decides what a call changes. The same functions produce the past campaigns and the
ground truth in ``_truth/``, so the truth is exactly what generated the data.
"""

from __future__ import annotations

import numpy as np

from callwise.synth.people import SEGMENTS

HOURS_OF_WEEK = 168
LEGAL_HOURS = tuple(range(9, 21))  # 09:00–20:59, the default policy window
TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
# What a call adds to the log-odds of buying, by response type (sleeping dogs are put off).
CALL_EFFECT = np.array([1.6, 0.15, 0.1, -0.8])
TYPE_OFFSET = np.array([-0.3, 1.6, -1.4, -0.2])  # log-odds without a call
CATEGORY_BASE = {"deposit": -4.2, "wealth": -4.6, "fund": -5.2, "insurance": -5.6, "credit_card": -5.0, "loan": -5.4}
ATTEMPTS = 3  # attempts per customer per campaign, at random legal hours (how past campaigns were dialled)


def _hour_curve(weekday: dict[range, float], weekend: dict[range, float], rest: float = 0.04) -> np.ndarray:
    curve = np.full(HOURS_OF_WEEK, rest)
    for day in range(7):
        for hours, p in (weekday if day < 5 else weekend).items():
            curve[day * 24 + np.array(hours)] = p
    return curve


# Probability of answering by hour-of-week (Monday 00:00 = 0) for each life situation.
ANSWER_PROFILES = {
    "retiree": _hour_curve(
        {range(9, 12): 0.55, range(12, 14): 0.25, range(14, 18): 0.5, range(18, 21): 0.3},
        {range(9, 12): 0.45, range(12, 18): 0.4, range(18, 21): 0.25},
    ),
    "office_worker": _hour_curve(
        {range(9, 12): 0.1, range(12, 14): 0.42, range(14, 18): 0.1, range(18, 21): 0.5},
        {range(9, 11): 0.25, range(11, 21): 0.45},
    ),
    "self_employed": _hour_curve(
        {range(9, 12): 0.3, range(12, 14): 0.18, range(14, 18): 0.35, range(18, 21): 0.25}, {range(9, 21): 0.28}
    ),
    "civil_servant": _hour_curve(
        {range(9, 12): 0.12, range(12, 14): 0.38, range(14, 17): 0.1, range(17, 21): 0.5}, {range(9, 21): 0.42}
    ),
    "student": _hour_curve({range(9, 17): 0.08, range(17, 21): 0.42}, {range(9, 12): 0.15, range(12, 21): 0.38}),
    "homemaker": _hour_curve(
        {range(9, 12): 0.48, range(12, 14): 0.2, range(14, 17): 0.46, range(17, 21): 0.2}, {range(9, 21): 0.3}
    ),
    "farmer": _hour_curve(
        {range(9, 12): 0.15, range(12, 14): 0.4, range(14, 18): 0.15, range(18, 21): 0.45},
        {range(9, 12): 0.15, range(12, 14): 0.4, range(14, 18): 0.15, range(18, 21): 0.45},
    ),
}
PROFILE_MATRIX = np.stack([ANSWER_PROFILES[s[0]] for s in SEGMENTS])  # segments × 168


def legal_hours_of_week() -> np.ndarray:
    return np.array([d * 24 + h for d in range(7) for h in LEGAL_HOURS])


TASTE_SD = 0.45  # spread of the taste for financial products that no table records


def type_logits(traits: dict[str, np.ndarray]) -> np.ndarray:
    """The visible part of each customer's log-odds of being each response type (customers × 4).

    Middle-aged, mid-income customers are more often persuadable; older customers more often sleeping dogs.
    The type itself adds Gumbel noise to these, so ``softmax(type_logits)`` is its exact prior.
    """
    seg, age = traits["segment"], traits["age"]
    log_income = np.log(np.maximum(traits["income"], 500) / 8_000)
    mid_age = np.exp(-(((age - 42) / 14) ** 2))
    return np.stack(
        [
            0.2 + 0.9 * mid_age + 0.3 * (log_income > 0),
            -0.9 + 0.6 * log_income,
            0.7 - 0.6 * mid_age + 0.4 * (seg == 4),
            -1.0 + 0.6 * (age > 65) + 0.4 * (seg == 1),
        ],
        axis=1,
    )


def visible_appetite(traits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Appetite for each product category from what the tables show (age, income, risk), before taste."""
    age, risk = traits["age"], traits["risk"]
    log_income = np.log(np.maximum(traits["income"], 500) / 8_000)
    return {
        "deposit": 0.35 * (age > 50) + 0.2 * log_income,
        "wealth": 0.55 * log_income + 0.5 * np.exp(-(((age - 48) / 15) ** 2)) + 0.15 * (risk >= 2),
        "fund": 0.5 * log_income + 0.35 * (risk - 3) - 0.02 * np.maximum(age - 45, 0),
        "insurance": 0.3 * ((age > 30) & (age < 55)) + 0.2 * log_income,
        "credit_card": 0.4 * ((age > 22) & (age < 40)) + 0.2 * log_income,
        "loan": 0.3 * ((age > 25) & (age < 45)) - 0.1 * log_income,
    }


def draw_latent(traits: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Hidden per-customer traits: answer scale, response type, taste, category appetites, digital affinity."""
    n = len(traits["age"])
    kind = (type_logits(traits) + rng.gumbel(size=(n, 4))).argmax(axis=1)
    taste = rng.normal(0, TASTE_SD, n)
    return {
        "answer_scale": 2 * rng.beta(5, 5, n),
        "type": kind,
        "taste": taste,
        "appetite": {k: v + taste for k, v in visible_appetite(traits).items()},
        "digital": np.clip(rng.beta(2, 2, n) * (1.6 - 0.015 * np.maximum(traits["age"] - 30, 0)), 0.02, 1.5),
        "windfall_day": np.where(rng.random(n) < 0.4, rng.integers(0, 365, n), -10_000),
        "risk": traits["risk"],
    }


def answer_probability(segment: np.ndarray, scale: np.ndarray, hour_of_week: np.ndarray) -> np.ndarray:
    """p(answer) for each customer at the given hour-of-week (arrays of the same length, or broadcast)."""
    return np.clip(PROFILE_MATRIX[segment, hour_of_week] * scale, 0.0, 0.95)


def mean_legal_answer(segment: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Average p(answer) over legal hours: a dialler that picks hours at random."""
    legal = legal_hours_of_week()
    return np.clip(PROFILE_MATRIX[:, legal][segment] * scale[:, None], 0, 0.95).mean(axis=1)


def buy_logit(
    latent: dict, category: str, windfall_recent: np.ndarray, views_recent: np.ndarray, holds_related: np.ndarray
) -> np.ndarray:
    """Log-odds of buying a product of ``category`` in the next 30 days without a call."""
    return (
        CATEGORY_BASE[category]
        + latent["appetite"][category]
        + TYPE_OFFSET[latent["type"]]
        + windfall_effect(category, latent["risk"]) * windfall_recent
        + 0.55 * np.minimum(views_recent, 3)
        + 0.35 * holds_related
    )


def windfall_effect(category: str, risk: np.ndarray) -> np.ndarray:
    """Where a windfall goes depends on risk appetite: the cautious into deposits, the bold into funds.

    An interaction no additive model (scorecard, logistic) can express, and trees can.
    """
    if category == "deposit":
        return np.where(risk <= 2, 1.6, 0.4)
    if category == "wealth":
        return np.where((risk >= 2) & (risk <= 4), 1.8, 0.3)
    if category == "fund":
        return np.where(risk >= 4, 2.0, 0.1)
    return np.full(len(risk), 0.2)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def conversion_probabilities(logit_nocall: np.ndarray, latent: dict) -> tuple[np.ndarray, np.ndarray]:
    """(p buy if the call is answered, p buy with no call)."""
    return sigmoid(logit_nocall + CALL_EFFECT[latent["type"]]), sigmoid(logit_nocall)


def complaint_probability(latent: dict, attempts_so_far: np.ndarray) -> np.ndarray:
    """Chance an answered call ends in a complaint: sleeping dogs, and everyone called too often."""
    base = np.where(latent["type"] == 3, 0.05, 0.006)
    return np.clip(base * (1 + 0.9 * attempts_so_far), 0, 0.5)
