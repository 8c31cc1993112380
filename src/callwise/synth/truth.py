"""Read the synthetic bank's ground truth (``_truth/``): what a perfect model would know.

Only evaluation code reads this; nothing that builds a list may (the truth is never in the tables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Truth:
    customers: pd.DataFrame  # index customer_id: segment, answer_scale, response_type, p_answer_any_attempt
    conversion: pd.DataFrame  # index customer_id: p_<kind>__<product> for every kind in KINDS
    profiles: pd.DataFrame  # index segment, columns hour_of_week 0..167: p(answer) before the customer's scale
    meta: dict[str, Any]
    # Written by banks made since the agents' truth was added (None in an older _truth directory):
    agents: pd.DataFrame | None = None  # index agent_id: skill (multiplier on p(buy | answered), mean 1)
    campaigns: pd.DataFrame | None = None  # index campaign_id: members, treatment, expected conversions


def _optional(path: Path, index: str) -> pd.DataFrame | None:
    return pd.read_parquet(path).set_index(index) if path.exists() else None


def load_truth(truth_dir: str | Path) -> Truth:
    truth_dir = Path(truth_dir)
    if not (truth_dir / "meta.json").exists():
        raise FileNotFoundError(f"{truth_dir}: not a synthetic bank's _truth directory (no meta.json)")
    profiles = pd.read_parquet(truth_dir / "answer_profiles.parquet")
    return Truth(
        customers=pd.read_parquet(truth_dir / "customers.parquet").set_index("customer_id"),
        conversion=pd.read_parquet(truth_dir / "conversion.parquet").set_index("customer_id"),
        profiles=profiles.pivot(index="segment", columns="hour_of_week", values="p_answer"),
        meta=json.loads((truth_dir / "meta.json").read_text(encoding="utf-8")),
        agents=_optional(truth_dir / "agents.parquet", "agent_id"),
        campaigns=_optional(truth_dir / "campaigns.parquet", "campaign_id"),
    )


KINDS = {
    "call": "p(buy) if called: up to 3 attempts at random legal hours",
    "nocall": "p(buy) if not called",
    "answered": "p(buy) if a call is answered",
    "knowable": "the best estimate of p(buy | answered) from the tables: the posterior over the hidden traits",
    "knowable_nocall": "the best estimate of p(buy | not called) from the tables, from the same posterior",
}


def conversion_probability(truth: Truth, customer_ids: Any, product_id: str, kind: str = "call") -> np.ndarray:
    """True p(buy within the horizon) on the list date; ``kind`` is one of ``KINDS``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    column = f"p_{kind}__{product_id}"
    if column not in truth.conversion.columns:
        raise KeyError(f"the truth has no product {product_id!r}")
    return truth.conversion[column].reindex(pd.Index(customer_ids)).to_numpy(dtype=float)


def answer_probability(truth: Truth, customer_ids: Any, hours_of_week: Any) -> np.ndarray:
    """True p(answer) per customer (rows) and hour-of-week (columns, Monday 00:00 = 0)."""
    people = truth.customers.reindex(pd.Index(customer_ids))
    hours = np.atleast_1d(np.asarray(hours_of_week))
    base = truth.profiles.reindex(people["segment"]).to_numpy()[:, hours]
    return np.clip(base * people["answer_scale"].to_numpy()[:, None], 0.0, 0.95)


@dataclass(frozen=True)
class ChannelTruth:
    """The channel world's truth (banks made with ``channels=True``; see docs/synth.md)."""

    channels: pd.DataFrame  # index customer_id: reach__<channel>, inc__<channel>__<product>, moment_boost
    moments: pd.DataFrame  # customer_id, moment_id, starts_at, ends_at, boost: every planted moment
    attribution: dict[str, Any]  # true incremental conversions and shares per channel of the past campaigns
    meta: dict[str, Any]  # the effect model in words and numbers, boosts, windows, suggested costs


def load_channel_truth(truth_dir: str | Path) -> ChannelTruth:
    truth_dir = Path(truth_dir)
    if not (truth_dir / "channels_meta.json").exists():
        raise FileNotFoundError(f"{truth_dir}: no channel truth (the bank was made without channels)")
    return ChannelTruth(
        channels=pd.read_parquet(truth_dir / "channels.parquet").set_index("customer_id"),
        moments=pd.read_parquet(truth_dir / "moments.parquet"),
        attribution=json.loads((truth_dir / "attribution.json").read_text(encoding="utf-8")),
        meta=json.loads((truth_dir / "channels_meta.json").read_text(encoding="utf-8")),
    )


def channel_increment(truth: ChannelTruth, customer_ids: Any, channel: str, product_id: str) -> np.ndarray:
    """True increment of p(buy within 30 days) from one touch of ``channel`` at the list date (boost included)."""
    column = f"inc__{channel}__{product_id}"
    if column not in truth.channels.columns:
        raise KeyError(f"the channel truth has no channel {channel!r} and product {product_id!r}")
    return truth.channels[column].reindex(pd.Index(customer_ids)).to_numpy(dtype=float)
