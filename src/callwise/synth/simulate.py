"""Simulate a campaign on a synthetic bank: who answers, who buys on the call, who buys alone, by which agent.

`simulate_campaign` takes a bank directory (its tables and ``_truth/``), a product and the campaign's
members, and returns the rows a dialler and the bank would have recorded — contacts and conversions in the
data contract's format — together with what no table shows: each agent's skill and the campaign's true
expected incremental conversions. Outcomes are drawn from the truth the bank was made from:

- each treatment member is handled by one agent; agents are NOT assigned at random: by default the best
  scores go to the first team, the next block to the next team, and so on (as supervisors hand their
  strongest team the best leads), so agents face lists of different quality;
- up to ``attempts`` calls spread over ``days`` days, at random legal hours, each answered with the true
  p(answer) of that customer and hour (``callwise.synth.truth.answer_probability``); an answer ends the
  calls, as does an attempt logged as a wrong number;
- an answered call converts with ``min(p_answered × skill(agent), skill_cap)``; otherwise the member may buy
  alone (``p_nocall``) on a random day of the window; control members are never called and buy only alone.

Everything is vectorised NumPy; the same seed gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from callwise.synth import behaviour as bh
from callwise.synth.campaigns import ANSWERED_OUTCOMES, BUSY, WRONG_NUMBER, dispositions
from callwise.synth.truth import Truth, load_truth

ASSIGNMENTS = ("by_team_score", "random")


@dataclass(frozen=True)
class Simulation:
    """What a simulated campaign recorded, and the truth behind it."""

    contacts: pd.DataFrame  # contact_id, campaign_id, customer_id, product_id, channel, ts, agent_id, ...
    conversions: pd.DataFrame  # customer_id, product_id, ts, amount
    skills: pd.Series  # index agent_id: the true skill of every agent that could take calls
    handler: pd.Series  # index customer_id (treatment members): the agent who handled the member
    expected_conversions: float  # among treatment members, with the calls (from the probabilities used)
    expected_incremental: float  # expected conversions among treatment members the calls added


def simulate_campaign(
    bank_dir: str | Path,
    product_id: str,
    members: pd.DataFrame,
    agents: pd.DataFrame | None = None,
    *,
    campaign_id: str = "SIM",
    start: date | None = None,
    days: int = 10,
    attempts: int = bh.ATTEMPTS,
    window_days: int = 30,
    assignment: str = "by_team_score",
    skill_cap: float = 0.95,
    seed: int = 0,
    truth: Truth | None = None,
) -> Simulation:
    """Simulate the calls of ``members`` (customer_id, group, optional arm and score) for ``product_id``.

    ``agents`` has agent_id, team and skill (default: the bank's agents table with ``_truth/agents.parquet``).
    ``assignment="by_team_score"`` needs a ``score`` column (higher = better lead); ``"random"`` spreads the
    members over all agents. ``start`` defaults to the bank's list date (the day the truth holds for).
    """
    bank = Path(bank_dir)
    truth = truth if truth is not None else load_truth(bank / "_truth")
    members = _check_members(members, assignment)
    agents = _agents(bank, truth) if agents is None else _check_agents(agents)
    if days < 1 or attempts < 1 or window_days < days:
        raise ValueError("need days ≥ 1, attempts ≥ 1 and window_days ≥ days")
    start = start if start is not None else date.fromisoformat(truth.meta["list_date"])
    rng = np.random.default_rng(seed)
    ids = members["customer_id"].to_numpy(dtype=object)
    known = truth.customers.index
    if not pd.Index(ids).isin(known).all():
        raise ValueError("some members are not customers of this bank")
    p_answered = _column(truth, ids, f"p_answered__{product_id}")
    p_alone = _column(truth, ids, f"p_nocall__{product_id}")
    treated = (members["group"] == "treatment").to_numpy()

    handler = _assign(members, treated, agents, assignment, rng)
    skill = agents["skill"].to_numpy(dtype=float)[handler]
    p_buy_call = np.minimum(p_answered * skill, skill_cap)
    people = truth.customers.reindex(pd.Index(ids))
    segment = pd.Index(truth.profiles.index).get_indexer(people["segment"])
    scale = people["answer_scale"].to_numpy(dtype=float)
    profiles = truth.profiles.to_numpy(dtype=float)
    sleeping = (people["response_type"] == "sleeping_dog").to_numpy()
    first_day = start.toordinal()

    rows: list[dict[str, np.ndarray]] = []
    bought = np.zeros(len(ids), bool)
    p_reach = np.zeros(len(ids))
    still = np.ones(len(ids))
    pending = np.flatnonzero(treated)
    gap = max(days // attempts, 1)
    hours = np.array(bh.LEGAL_HOURS)
    for attempt in range(attempts):
        offset = min(attempt * gap, days - 1)
        width = max(min(gap, days - offset), 1)
        # expected p(answer) of this attempt over its random day and hour (the truth; no draw)
        options = first_day + offset + np.arange(width)
        how = (((options + 6) % 7)[:, None] * 24 + hours[None, :]).ravel()
        q = np.clip(profiles[segment[:, None], how[None, :]] * scale[:, None], 0, 0.95).mean(axis=1)
        p_reach += still * q
        still *= (1 - q) * (1 - WRONG_NUMBER)
        if len(pending) == 0:
            continue
        n = len(pending)
        day = first_day + offset + rng.integers(0, width, n)
        hour = rng.choice(hours, n)
        p_answer = np.clip(profiles[segment[pending], ((day + 6) % 7) * 24 + hour] * scale[pending], 0, 0.95)
        answered = rng.random(n) < p_answer
        buy = answered & (rng.random(n) < p_buy_call[pending])
        p_complain = np.where(sleeping[pending], 0.05, 0.006) * (1 + 0.9 * attempt)
        complain = answered & ~buy & (rng.random(n) < p_complain)
        dnc = answered & ~buy & ~complain & (rng.random(n) < 0.01)
        other = rng.choice(len(ANSWERED_OUTCOMES), n, p=[s for _, s in ANSWERED_OUTCOMES])
        wrong = ~answered & (rng.random(n) < WRONG_NUMBER)
        busy = rng.random(n) < BUSY
        disposition = dispositions(buy, complain, dnc, answered, other, wrong, busy)
        seconds = (day - 719_163) * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)  # 719163: 1970-01-01
        duration = np.where(answered, rng.gamma(2, 60 + 120 * buy, n), rng.uniform(0, 35, n))
        rows.append(
            {"member": pending, "seconds": seconds, "disposition": disposition, "duration": np.round(duration, 1)}
        )
        bought[pending[buy]] = True
        pending = pending[~(answered | wrong)]

    alone = ~bought & (rng.random(len(ids)) < p_alone)
    when = (first_day - 719_163 + rng.integers(0, window_days, len(ids))) * 86_400 + rng.integers(
        9 * 3_600, 21 * 3_600, len(ids)
    )
    contacts = _contacts(rows, members, handler, agents, campaign_id, product_id)
    on_call = contacts[contacts["disposition"] == "converted"]
    conversions = pd.concat(
        [
            pd.DataFrame({"customer_id": on_call["customer_id"].to_numpy(), "ts": on_call["ts"].to_numpy()}),
            pd.DataFrame({"customer_id": ids[alone], "ts": when[alone].astype("datetime64[s]")}),
        ],
        ignore_index=True,
    ).sort_values(["ts", "customer_id"], kind="stable", ignore_index=True)
    conversions.insert(1, "product_id", product_id)
    conversions["amount"] = _value(bank, product_id)
    p_call = p_reach * p_buy_call
    return Simulation(
        contacts=contacts,
        conversions=conversions,
        skills=agents.set_index("agent_id")["skill"],
        handler=pd.Series(agents["agent_id"].to_numpy()[handler[treated]], index=ids[treated], name="agent_id"),
        expected_conversions=float(np.sum((p_call + (1 - p_call) * p_alone)[treated])),
        expected_incremental=float(np.sum((p_call * (1 - p_alone))[treated])),
    )


def _check_members(members: pd.DataFrame, assignment: str) -> pd.DataFrame:
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}")
    need = {"customer_id", "group"} | ({"score"} if assignment == "by_team_score" else set())
    missing = sorted(need - set(members.columns))
    if missing:
        raise ValueError(f"members have no column {', '.join(missing)}")
    if members["customer_id"].duplicated().any():
        raise ValueError("a customer is a member twice")
    if not members["group"].isin(["treatment", "control"]).all():
        raise ValueError("group must be treatment or control")
    out = members.reset_index(drop=True)
    if "arm" not in out.columns:
        out = out.assign(arm=None)
    return out


def _check_agents(agents: pd.DataFrame) -> pd.DataFrame:
    missing = sorted({"agent_id", "team", "skill"} - set(agents.columns))
    if missing:
        raise ValueError(f"agents have no column {', '.join(missing)}")
    if len(agents) == 0 or agents["agent_id"].duplicated().any():
        raise ValueError("agents must be non-empty with distinct agent_id")
    skill = agents["skill"].to_numpy(dtype=float)
    if not (np.isfinite(skill) & (skill >= 0)).all():
        raise ValueError("skills must be finite and non-negative")
    return agents.sort_values("agent_id", ignore_index=True)


def _agents(bank: Path, truth: Truth) -> pd.DataFrame:
    if truth.agents is None:
        raise ValueError(f"{bank}: the bank's truth has no agents.parquet (made before agents had a skill)")
    table = pd.read_parquet(bank / "agents.parquet", columns=["agent_id", "team"])
    return _check_agents(table.merge(truth.agents["skill"], left_on="agent_id", right_index=True))


def _column(truth: Truth, ids: np.ndarray, column: str) -> np.ndarray:
    if column not in truth.conversion.columns:
        raise ValueError(f"the truth has no column {column}")
    return truth.conversion[column].reindex(pd.Index(ids)).to_numpy(dtype=float)


def _assign(
    members: pd.DataFrame, treated: np.ndarray, agents: pd.DataFrame, how: str, rng: np.random.Generator
) -> np.ndarray:
    """Row of ``agents`` handling each member (control rows get 0, unused)."""
    handler = np.zeros(len(members), np.int64)
    rows = np.flatnonzero(treated)
    if how == "random":
        handler[rows] = rng.integers(0, len(agents), len(rows))
        return handler
    teams = sorted(agents["team"].unique())
    score = members["score"].to_numpy(dtype=float)[rows]
    order = rows[np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")]
    for block, team in zip(np.array_split(order, len(teams)), teams, strict=True):
        own = np.flatnonzero((agents["team"] == team).to_numpy())
        handler[block] = own[rng.integers(0, len(own), len(block))]
    return handler


def _contacts(
    rows: list[dict[str, np.ndarray]],
    members: pd.DataFrame,
    handler: np.ndarray,
    agents: pd.DataFrame,
    campaign_id: str,
    product_id: str,
) -> pd.DataFrame:
    if rows:
        calls = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    else:
        calls = {
            "member": np.zeros(0, np.int64),
            "seconds": np.zeros(0, np.int64),
            "disposition": np.zeros(0, str),
            "duration": np.zeros(0),
        }
    order = np.lexsort((calls["member"], calls["seconds"]))
    member = calls["member"][order]
    n = len(member)
    frame = pd.DataFrame(
        {
            "contact_id": [f"{campaign_id}-{i:09d}" for i in range(1, n + 1)],
            "campaign_id": campaign_id,
            "customer_id": members["customer_id"].to_numpy(dtype=object)[member],
            "product_id": product_id,
            "channel": "call",
            "ts": calls["seconds"][order].astype("datetime64[s]"),
            "agent_id": agents["agent_id"].to_numpy(dtype=object)[handler[member]],
            "script_variant": members["arm"].to_numpy(dtype=object)[member],
            "group": "treatment",
            "disposition": calls["disposition"][order].astype(str),
            "duration_s": calls["duration"][order].astype(float),
        }
    )
    return frame


def _value(bank: Path, product_id: str) -> float:
    path = bank / "products.parquet"
    products = pd.read_parquet(path) if path.exists() else pd.read_csv(bank / "products.csv")
    value = products.loc[products["product_id"] == product_id, "value_per_conversion"]
    return float(value.iloc[0]) if len(value) else float("nan")
