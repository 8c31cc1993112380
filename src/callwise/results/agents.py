"""Agent performance (绩效), fairly: activity per agent and team, and a score that a good list cannot buy.

`agent_performance` counts, per agent and per team, dials, connects, contact rate, talk time, average handle
time, conversions on the call, conversion per connect and complaints — an Ibis aggregation of the calls, so
it runs on DuckDB and PySpark alike. Then the *fair score*:

1. every customer an agent reached is worth p(convert | reached), read from the customer's pre-call model
   score through a calibration fitted on all reached customers pooled (``calibration``):
   ``"logistic"`` (default) fits logit p = a + b·logit(score) — two parameters, monotone, so it can
   turn a response score into a conversion-on-the-call probability but is too stiff to soak up the
   difference between teams that were handed different score bands; ``"isotonic"`` is the flexible
   alternative (it can absorb team effects when the bands do not overlap); ``"identity"`` takes the score
   as that probability already. Without scores every reached customer is worth the pooled rate;
2. expected E = Σ of those over the agent's reached customers, observed O = those who converted on a call of
   the agent; O/E > 1 means the agent converted more than their customers' scores predicted;
3. O ~ Poisson(θ·E) with θ ~ Gamma(shape α, mean μ) across agents, α and μ by marginal maximum likelihood
   (negative binomial); the fair score is the posterior mean (α + O)/(α/μ + E), with the posterior's
   central interval. Few connects → little evidence → a score near μ (≈ 1) and a wide interval.

The raw conversion-per-connect ranking is reported beside it, so a reader sees what the adjustment changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from callwise.lake.frames import to_pandas
from callwise.results.errors import ResultsError
from callwise.schema.contract import ANSWERED_DISPOSITIONS

if TYPE_CHECKING:
    from callwise.lake import Lake

CALL_COLUMNS = ("campaign_id", "customer_id", "agent_id", "ts", "disposition", "duration_s")
CALIBRATIONS = ("logistic", "isotonic", "identity")
NO_TEAM = ""  # the team of an agent the agents table does not list


class AgentsError(ResultsError):
    """A bad input to the agents' results, said in one sentence."""


def agent_performance(
    calls: ir.Table | pd.DataFrame,
    members: pd.DataFrame | None = None,
    *,
    agents: ir.Table | pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    campaigns: Sequence[str] | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    team: str | None = None,
    calibration: str = "logistic",
    min_connects: int = 30,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Per agent and per team: activity, conversions and the fair score (see the module).

    ``calls``: the lake's contacts (only ``channel == "call"`` rows with an agent count) or a frame of calls;
    ``outcomes``: the operational DB's call_outcomes not yet in the lake (added as a memtable);
    ``members``: customer_id and score (the score at list build), with campaign_id when scores differ by
    campaign; ``agents``: agent_id and team. ``since`` is inclusive, ``until`` exclusive (a date is its
    midnight; `until_of` gives the end of a day). Returns JSON-ready dicts.
    """
    _check_options(calibration, min_connects, alpha, since, until)
    table = _calls(calls, outcomes, campaigns, since, until)
    table = _with_team(table, agents, team)
    per_agent = to_pandas(_per_agent(table))
    pairs = to_pandas(_reached(table))
    scored = _score_pairs(pairs, members)
    p, calibration_info = _calibrate(scored, calibration)
    fair = _fair(per_agent, scored.assign(p=p), min_connects, alpha)
    result: dict[str, Any] = {
        "filters": {
            "campaigns": sorted(campaigns) if campaigns else None,
            "since": None if since is None else since.isoformat(),
            "until": None if until is None else until.isoformat(),
            "team": team,
        },
        "alpha": alpha,
        "min_connects": min_connects,
        "calibration": calibration_info,
        "prior": fair.attrs["prior"],
        "agents": _records(fair),
        "teams": _records(_teams(fair, alpha)),
    }
    return result


def _check_options(
    calibration: str, min_connects: int, alpha: float, since: date | datetime | None, until: date | datetime | None
) -> None:
    if calibration not in CALIBRATIONS:
        raise AgentsError("results_agents.unknown_calibration", name=repr(calibration), choices=", ".join(CALIBRATIONS))
    if min_connects < 0:
        raise AgentsError("results_agents.bad_min_connects", value=min_connects)
    if not 0 < alpha < 1:
        raise AgentsError("results_agents.bad_alpha", value=alpha)
    if since is not None and until is not None and _instant(since) >= _instant(until):
        raise AgentsError("results_agents.bad_dates", since=since.isoformat(), until=until.isoformat())


def _instant(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _as_table(data: ir.Table | pd.DataFrame, name: str, required: Sequence[str]) -> ir.Table:
    table = ibis.memtable(data) if isinstance(data, pd.DataFrame) else data
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise AgentsError("results_agents.missing_column", table=name, column=missing[0])
    return table


def _calls(
    calls: ir.Table | pd.DataFrame,
    outcomes: pd.DataFrame | None,
    campaigns: Sequence[str] | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> ir.Table:
    table = _as_table(calls, "contacts", CALL_COLUMNS)
    if "channel" in table.columns:
        table = table.filter(table.channel == "call")
    table = table.select(*(table[c] for c in CALL_COLUMNS))
    if outcomes is not None:
        ops = _as_table(outcomes, "call_outcomes", CALL_COLUMNS)
        ops = ops.select(*(ops[c].cast(table[c].type()).name(c) for c in CALL_COLUMNS))
        table = table.union(ops, distinct=False)
    table = table.filter(table.agent_id.notnull())
    if campaigns:
        table = table.filter(table.campaign_id.isin(list(campaigns)))
    if since is not None:
        table = table.filter(table.ts >= _instant(since))
    if until is not None:
        table = table.filter(table.ts < _instant(until))
    connected = table.disposition.isin(list(ANSWERED_DISPOSITIONS))
    return table.mutate(
        connected=connected.cast("int64"),
        converted=(table.disposition == "converted").cast("int64"),
        complaint=(table.disposition == "complaint").cast("int64"),
        talk=connected.ifelse(table.duration_s.fill_null(0).cast("float64"), 0.0),
    )


def _with_team(table: ir.Table, agents: ir.Table | pd.DataFrame | None, team: str | None) -> ir.Table:
    if agents is None:
        out = table.mutate(team=ibis.literal(NO_TEAM))
    else:
        roster = _as_table(agents, "agents", ("agent_id", "team"))
        roster = roster.select(roster.agent_id.name("roster_agent"), roster.team.cast("string").name("team"))
        counts = roster.aggregate(rows=roster.count(), ids=roster.roster_agent.nunique()).to_pyarrow().to_pylist()[0]
        if counts["rows"] != counts["ids"]:
            raise AgentsError("results_agents.duplicate_agents", n=counts["rows"] - counts["ids"])
        joined = table.left_join(roster, table.agent_id == roster.roster_agent)
        out = joined.mutate(team=joined.team.fill_null(NO_TEAM)).drop("roster_agent")
    return out.filter(out.team == team) if team is not None else out


def _per_agent(table: ir.Table) -> ir.Table:
    return (
        table.group_by(["agent_id", "team"])
        .aggregate(
            dials=table.count(),
            connects=table.connected.sum(),
            talk_seconds=table.talk.sum(),
            conversions=table.converted.sum(),
            complaints=table.complaint.sum(),
            customers=table.customer_id.nunique(),
        )
        .order_by("agent_id")
    )


def _reached(table: ir.Table) -> ir.Table:
    """One row per (agent, campaign, customer) the agent reached: did the customer convert on the agent's call."""
    reached = table.filter(table.connected == 1)
    return (
        reached.group_by(["agent_id", "campaign_id", "customer_id"])
        .aggregate(converted=reached.converted.max())
        .order_by(["agent_id", "campaign_id", "customer_id"])
    )


def _score_pairs(pairs: pd.DataFrame, members: pd.DataFrame | None) -> pd.DataFrame:
    pairs = pairs.assign(converted=pairs["converted"].astype(float))
    if members is None:
        return pairs.assign(score=np.nan)
    for column in ("customer_id", "score"):
        if column not in members.columns:
            raise AgentsError("results_agents.missing_column", table="members", column=column)
    keys = ["campaign_id", "customer_id"] if "campaign_id" in members.columns else ["customer_id"]
    scores = members[[*keys, "score"]]
    twice = int(scores.duplicated(keys).sum())
    if twice:
        raise AgentsError("results_agents.duplicate_members", keys=", ".join(keys), n=twice)
    values = pd.to_numeric(scores["score"], errors="coerce").to_numpy(dtype=float)
    if np.isinf(values).any():
        raise AgentsError("results_agents.bad_score")
    scores = scores.assign(score=values)
    return pairs.merge(scores, on=keys, how="left", validate="many_to_one")


def _calibrate(pairs: pd.DataFrame, method: str) -> tuple[np.ndarray, dict[str, Any]]:
    """p(convert | reached) per reached pair from its score, fitted on all pairs with a score, pooled."""
    y = pairs["converted"].to_numpy(dtype=float)
    s = pairs["score"].to_numpy(dtype=float)
    known = np.isfinite(s)
    info: dict[str, Any] = {"method": method, "reached": len(y), "scored": int(known.sum())}
    p = np.full(len(y), np.nan)
    if known.sum() == 0:
        info["method"] = "pooled_rate"
        p[:] = y.mean() if len(y) else np.nan
        return p, info
    if method == "identity":
        if ((s[known] < 0) | (s[known] > 1)).any():
            raise AgentsError("results_agents.score_range")
        p[known] = s[known]
    elif method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        p[known] = (
            IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s[known], y[known]).predict(s[known])
        )
    else:
        x = _logit_or_standard(s[known])
        a, b = _logistic_fit(x, y[known])
        info.update(intercept=a, slope=b)
        p[known] = special.expit(a + b * x)
    return p, info


def _logit_or_standard(s: np.ndarray) -> np.ndarray:
    """logit(score) for a probability-like score, else the score standardised."""
    if ((s > 0) & (s < 1)).all():
        return np.asarray(special.logit(s), dtype=float)
    sd = s.std()
    return (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)


def _logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood logistic regression of ``y`` on ``x`` (Newton steps; a flat fit when y is constant)."""
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta = np.array([special.logit(rate), 0.0])
    if y.min() == y.max():
        return float(beta[0]), 0.0
    design = np.column_stack([np.ones_like(x), x])
    for _ in range(50):
        mu = special.expit(design @ beta)
        w = mu * (1 - mu)
        hessian = design.T @ (design * w[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, design.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])


def gamma_poisson_prior(observed: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(shape α, mean μ) of θ ~ Gamma across units with O ~ Poisson(θ·E), by marginal maximum likelihood.

    Units with E = 0 carry no information and are left out. With no spread beyond Poisson noise the shape
    runs to its upper bound (e^12): every unit is then shrunk all the way to μ.
    """
    keep = expected > 0
    o, e = observed[keep].astype(float), expected[keep].astype(float)
    if len(o) == 0:
        return float("nan"), float("nan")
    mean = max(o.sum() / e.sum(), 1e-9)

    def negative_log_likelihood(params: np.ndarray) -> float:
        shape, mu = np.exp(params)
        rate = shape / mu
        ll = (
            special.gammaln(o + shape)
            - special.gammaln(shape)
            + shape * np.log(rate / (rate + e))
            + o * np.log(e / (rate + e))
        )
        return float(-ll.sum())

    start = np.array([np.log(10.0), np.log(mean)])
    fit = optimize.minimize(
        negative_log_likelihood, start, method="L-BFGS-B", bounds=[(-5.0, 12.0), (np.log(mean) - 5, np.log(mean) + 5)]
    )
    shape, mu = np.exp(fit.x)
    return float(shape), float(mu)


def _fair(per_agent: pd.DataFrame, pairs: pd.DataFrame, min_connects: int, alpha: float) -> pd.DataFrame:
    usable = pairs[np.isfinite(pairs["p"].to_numpy(dtype=float))]
    sums = usable.groupby("agent_id")[["converted", "p"]].sum()
    frame = per_agent.copy()
    for column in ("dials", "connects", "conversions", "complaints", "customers"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["talk_seconds"] = frame["talk_seconds"].fillna(0).astype(float)
    frame["observed"] = sums["converted"].reindex(frame["agent_id"]).fillna(0).to_numpy(dtype=float)
    frame["expected"] = sums["p"].reindex(frame["agent_id"]).fillna(0).to_numpy(dtype=float)
    frame["reached"] = pairs.groupby("agent_id").size().reindex(frame["agent_id"]).fillna(0).to_numpy(dtype=int)
    frame["contact_rate"] = _ratio(frame["connects"], frame["dials"])
    frame["aht_seconds"] = _ratio(frame["talk_seconds"], frame["connects"])
    frame["conversion_per_connect"] = _ratio(frame["conversions"], frame["connects"])
    frame["ratio"] = _ratio(frame["observed"], frame["expected"])
    o, e = frame["observed"].to_numpy(dtype=float), frame["expected"].to_numpy(dtype=float)
    shape, mean = gamma_poisson_prior(o, e)
    rate = shape / mean
    post_shape, post_rate = shape + o, rate + e
    frame["fair_score"] = post_shape / post_rate
    frame["fair_lower"] = stats.gamma.ppf(alpha / 2, post_shape, scale=1 / post_rate)
    frame["fair_upper"] = stats.gamma.ppf(1 - alpha / 2, post_shape, scale=1 / post_rate)
    frame["few_connects"] = frame["connects"] < min_connects
    frame["fair_rank"] = frame["fair_score"].rank(ascending=False, method="min").astype("Int64")
    frame["raw_rank"] = frame["conversion_per_connect"].rank(ascending=False, method="min").astype("Int64")
    frame = frame.sort_values(["fair_rank", "agent_id"], kind="stable", ignore_index=True)
    frame.attrs["prior"] = {
        "shape": shape,
        "mean": mean,
        "sd": mean / np.sqrt(shape) if shape > 0 else float("nan"),
        "agents": int((e > 0).sum()),
    }
    return frame


def _teams(agents: pd.DataFrame, alpha: float) -> pd.DataFrame:
    columns = ["dials", "connects", "talk_seconds", "conversions", "complaints", "observed", "expected", "reached"]
    teams = agents.groupby("team", sort=True)[columns].sum().reset_index()
    teams.insert(1, "agents", agents.groupby("team", sort=True).size().to_numpy())
    teams["contact_rate"] = _ratio(teams["connects"], teams["dials"])
    teams["aht_seconds"] = _ratio(teams["talk_seconds"], teams["connects"])
    teams["conversion_per_connect"] = _ratio(teams["conversions"], teams["connects"])
    teams["ratio"] = _ratio(teams["observed"], teams["expected"])
    # Exact (Garwood) Poisson interval for O, divided by E: a team pools many agents, so no shrinkage.
    o, e = teams["observed"].to_numpy(dtype=float), teams["expected"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * o) / 2, 0.0) / e
        high = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2 / e
    teams["ratio_lower"] = np.where(e > 0, low, np.nan)
    teams["ratio_upper"] = np.where(e > 0, high, np.nan)
    return teams


def _ratio(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    d = denominator.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, numerator.to_numpy(dtype=float) / d, np.nan)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN as None, NumPy scalars as Python ones."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for name, value in row.items():
            key = str(name)
            if value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
                clean[key] = None
            elif isinstance(value, np.generic):
                clean[key] = value.item()
            else:
                clean[key] = value
        out.append(clean)
    return out


def until_of(day: date) -> datetime:
    """The exclusive end of a date range that includes ``day``."""
    return _instant(day) + timedelta(days=1)


def read_lake_inputs(
    lake: Lake, campaigns: Sequence[str] | None = None
) -> tuple[ir.Table, pd.DataFrame | None, ir.Table | None]:
    """The lake's calls, the members' pre-call scores (None when campaign_members has no score) and roster."""
    if not lake.has("contacts"):
        raise AgentsError("results_agents.no_lake_table", table="contacts")
    roster = lake.table("agents") if lake.has("agents") else None
    members = None
    if lake.has("campaign_members") and "score" in lake.table("campaign_members").columns:
        m = lake.table("campaign_members")
        if campaigns:
            m = m.filter(m.campaign_id.isin(list(campaigns)))
        # a member's score at the earliest assignment is the one that counts (the results contract)
        score = m.score.argmin(m.assigned_at) if "assigned_at" in m.columns else m.score.mean()
        m = m.group_by(["campaign_id", "customer_id"]).aggregate(score=score)
        members = to_pandas(m.select("campaign_id", "customer_id", "score"))
    return lake.table("contacts"), members, roster
