"""Agent performance: aggregates a person can check by hand, the empirical-Bayes fair score, bad inputs."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from callwise.i18n.errors import Translated
from callwise.results.agents import AgentsError, agent_performance, gamma_poisson_prior, until_of


def _calls() -> pd.DataFrame:
    rows = [
        # campaign, customer, agent, day, disposition, duration
        ("K1", "C1", "A1", 1, "no_answer", 10.0),
        ("K1", "C1", "A1", 2, "converted", 300.0),
        ("K1", "C2", "A1", 1, "refused", 60.0),
        ("K1", "C3", "A1", 3, "busy", 5.0),
        ("K1", "C4", "A2", 1, "complaint", 40.0),
        ("K1", "C5", "A2", 2, "answered", None),
        ("K2", "C6", "A2", 4, "converted", 200.0),
        ("K2", "C7", "A3", 5, "no_answer", 20.0),
        ("K2", "C8", None, 5, "answered", 99.0),  # no agent: not an agent's call
    ]
    frame = pd.DataFrame(rows, columns=["campaign_id", "customer_id", "agent_id", "day", "disposition", "duration_s"])
    frame["ts"] = pd.to_datetime("2026-05-01") + pd.to_timedelta(frame.pop("day"), unit="D")
    frame["channel"] = "call"
    sms = frame.iloc[[0]].assign(channel="sms", disposition="converted", agent_id="A1")
    return pd.concat([frame, sms], ignore_index=True)


ROSTER = pd.DataFrame({"agent_id": ["A1", "A2", "A3"], "team": ["T1", "T1", "T2"]})


def _by(result: dict, key: str, part: str = "agents") -> dict:
    return {row[key]: row for row in result[part]}


def test_aggregates_by_hand():
    result = agent_performance(_calls(), agents=ROSTER, min_connects=2)
    a = _by(result, "agent_id")
    assert set(a) == {"A1", "A2", "A3"}
    # A1: 4 calls (the SMS is not a call), 2 answered (converted 300 s, refused 60 s), 1 conversion
    assert (a["A1"]["dials"], a["A1"]["connects"], a["A1"]["conversions"], a["A1"]["complaints"]) == (4, 2, 1, 0)
    assert a["A1"]["talk_seconds"] == 360.0 and a["A1"]["aht_seconds"] == 180.0
    assert a["A1"]["contact_rate"] == 0.5 and a["A1"]["conversion_per_connect"] == 0.5
    # A2: 3 calls all answered (one without a duration counts 0 s), a complaint, a conversion
    assert (a["A2"]["dials"], a["A2"]["connects"], a["A2"]["complaints"]) == (3, 3, 1)
    assert a["A2"]["talk_seconds"] == 240.0 and a["A2"]["aht_seconds"] == 80.0
    assert a["A3"]["connects"] == 0 and a["A3"]["aht_seconds"] is None and a["A3"]["few_connects"]
    assert not a["A1"]["few_connects"]
    t = _by(result, "team", "teams")
    assert (t["T1"]["agents"], t["T1"]["dials"], t["T1"]["connects"], t["T1"]["conversions"]) == (2, 7, 5, 2)
    assert t["T2"]["dials"] == 1
    # without scores each reached customer is worth the pooled rate: 2 conversions / 5 reached
    assert result["calibration"]["method"] == "pooled_rate"
    assert a["A1"]["expected"] == pytest.approx(2 * 2 / 5) and a["A1"]["observed"] == 1


def test_filters_and_ops_outcomes():
    calls = _calls()
    only_k2 = agent_performance(calls, agents=ROSTER, campaigns=["K2"])
    assert {r["agent_id"]: r["dials"] for r in only_k2["agents"]} == {"A2": 1, "A3": 1}
    window = agent_performance(calls, since=date(2026, 5, 2), until=until_of(date(2026, 5, 3)))
    # day 1 is 2026-05-02: days 1 and 2 are in, A1's busy call on day 3 is out
    assert {r["agent_id"]: r["dials"] for r in window["agents"]} == {"A1": 3, "A2": 2}
    team = agent_performance(calls, agents=ROSTER, team="T2")
    assert [r["agent_id"] for r in team["agents"]] == ["A3"]
    ops = pd.DataFrame(
        {
            "campaign_id": ["K2"],
            "customer_id": ["C9"],
            "agent_id": ["A3"],
            "ts": [datetime(2026, 5, 9, 10)],
            "disposition": ["converted"],
            "duration_s": [30.0],
        }
    )
    more = _by(agent_performance(calls, agents=ROSTER, outcomes=ops), "agent_id")
    assert (more["A3"]["dials"], more["A3"]["connects"], more["A3"]["conversions"]) == (2, 1, 1)
    none = agent_performance(calls, campaigns=["K9"])
    assert none["agents"] == [] and none["teams"] == []


def _poisson_agents(rng, shape, exposures, mean=1.0):
    theta = rng.gamma(shape, mean / shape, len(exposures))
    return theta, rng.poisson(theta * exposures)


def test_prior_is_recovered_and_intervals_cover():
    rng = np.random.default_rng(4)
    exposures = rng.uniform(5, 80, 3_000)
    theta, observed = _poisson_agents(rng, 11.0, exposures)
    shape, mean = gamma_poisson_prior(observed, exposures)
    assert 8 < shape < 15 and abs(mean - 1) < 0.03
    # Coverage of the 95% posterior interval, computed through agent_performance from call rows.
    covered = []
    for _ in range(4):
        theta, observed = _poisson_agents(rng, 11.0, np.full(150, 25.0))
        calls, members = _reached_rows(observed, np.full(150, 25.0), rng)
        result = agent_performance(calls, members, calibration="identity")
        fair = pd.DataFrame(result["agents"]).set_index("agent_id")
        truth = pd.Series(theta, index=[f"A{i:03d}" for i in range(150)]).reindex(fair.index)
        covered.append(((fair.fair_lower <= truth) & (truth <= fair.fair_upper)).to_numpy())
    assert 0.91 <= np.concatenate(covered).mean() <= 0.99


def _reached_rows(observed, expected, rng, per=250):
    """Each agent reaches ``per`` customers with p = expected/per each; ``observed`` of them convert."""
    rows = []
    for i, (o, e) in enumerate(zip(observed, expected, strict=True)):
        converted = np.zeros(per, bool)
        converted[: min(int(o), per)] = True
        rows.append(
            pd.DataFrame(
                {
                    "campaign_id": "K",
                    "customer_id": [f"C{i:03d}_{j:04d}" for j in range(per)],
                    "agent_id": f"A{i:03d}",
                    "ts": datetime(2026, 5, 1),
                    "disposition": np.where(converted, "converted", "refused"),
                    "duration_s": 60.0,
                    "score": e / per,
                }
            )
        )
    calls = pd.concat(rows, ignore_index=True)
    return calls.drop(columns="score"), calls[["customer_id", "score"]]


def test_small_sample_agent_is_shrunk_towards_the_prior():
    rng = np.random.default_rng(8)
    exposures = np.full(60, 40.0)
    _, observed = _poisson_agents(rng, 8.0, exposures)
    calls, members = _reached_rows(observed, exposures, rng)
    lucky = pd.DataFrame(
        {
            "campaign_id": "K",
            "customer_id": ["L1", "L2", "L3"],
            "agent_id": "LUCKY",
            "ts": datetime(2026, 5, 1),
            "disposition": ["converted", "converted", "refused"],
            "duration_s": 60.0,
        }
    )
    members = pd.concat([members, pd.DataFrame({"customer_id": ["L1", "L2", "L3"], "score": [0.16] * 3})])
    result = agent_performance(pd.concat([calls, lucky]), members, calibration="identity", min_connects=30)
    row = _by(result, "agent_id")["LUCKY"]
    mean = result["prior"]["mean"]
    assert row["ratio"] == pytest.approx(2 / 0.48)  # observed over expected, before shrinkage
    assert abs(row["fair_score"] - mean) < 0.2 * abs(row["ratio"] - mean)
    assert row["few_connects"] and row["raw_rank"] == 1 and row["fair_rank"] > 1
    widths = [r["fair_upper"] - r["fair_lower"] for r in result["agents"] if r["agent_id"] != "LUCKY"]
    assert row["fair_upper"] - row["fair_lower"] > np.median(widths)
    assert row["fair_lower"] < 1 < row["fair_upper"]


def test_fair_score_is_not_fooled_by_list_quality(small_bank):
    """Weak agents on the best leads out-convert strong agents on the worst per connect; the fair score sees
    through it."""
    from callwise.synth.simulate import simulate_campaign
    from callwise.synth.truth import load_truth

    bank = small_bank["bank"]
    truth = load_truth(bank / "_truth")
    ids = truth.conversion.index.to_numpy()
    members = pd.DataFrame(
        {"customer_id": ids, "group": "treatment", "score": truth.conversion["p_knowable__P_WM01"].to_numpy()}
    )
    crew = pd.DataFrame(
        {"agent_id": ["W1", "W2", "S1", "S2"], "team": ["1-best-leads"] * 2 + ["2-worst-leads"] * 2,
         "skill": [0.7, 0.7, 1.4, 1.4]}
    )  # fmt: skip
    calls = pd.concat(
        [simulate_campaign(bank, "P_WM01", members, crew, campaign_id=f"S{s}", seed=s).contacts for s in range(3)]
    )
    result = agent_performance(calls, members.drop(columns="group"), agents=crew.drop(columns="skill"))
    a = pd.DataFrame(result["agents"]).set_index("agent_id")
    weak, strong = a.loc[["W1", "W2"]], a.loc[["S1", "S2"]]
    assert weak.conversion_per_connect.min() > strong.conversion_per_connect.max()  # the raw rate is fooled
    assert strong.fair_score.min() > weak.fair_score.max()
    assert set(a.index[a.fair_rank <= 2]) == {"S1", "S2"}


def test_calibrations_on_a_simulated_campaign(small_bank):
    """Every calibration puts the sum of expected near the observed total, and ranks skill better than raw."""
    from callwise.synth.simulate import simulate_campaign
    from callwise.synth.truth import load_truth

    bank = small_bank["bank"]
    truth = load_truth(bank / "_truth")
    ids = truth.conversion.index.to_numpy()
    members = pd.DataFrame(
        {"customer_id": ids, "group": "treatment", "score": truth.conversion["p_knowable__P_WM01"].to_numpy()}
    )
    rng = np.random.default_rng(0)
    crew = pd.DataFrame(
        {"agent_id": [f"A{i}" for i in range(12)], "team": [f"T{i % 3}" for i in range(12)],
         "skill": rng.lognormal(-0.045, 0.3, 12)}
    )  # fmt: skip
    calls = pd.concat(
        [simulate_campaign(bank, "P_WM01", members, crew, campaign_id=f"S{s}", seed=s).contacts for s in range(8)]
    )
    for method in ("logistic", "isotonic"):
        result = agent_performance(calls, members.drop(columns="group"), agents=crew, calibration=method)
        a = pd.DataFrame(result["agents"]).set_index("agent_id")
        assert a.expected.sum() == pytest.approx(a.observed.sum(), rel=0.02)
    fair = spearmanr(a.fair_score, crew.set_index("agent_id").skill.reindex(a.index))[0]
    raw = spearmanr(a.conversion_per_connect, crew.set_index("agent_id").skill.reindex(a.index))[0]
    assert fair > raw


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"calibration": "magic"}, "results_agents.unknown_calibration"),
        ({"min_connects": -1}, "results_agents.bad_min_connects"),
        ({"alpha": 1.5}, "results_agents.bad_alpha"),
        ({"since": date(2026, 6, 1), "until": date(2026, 5, 1)}, "results_agents.bad_dates"),
        ({"calls": _calls().drop(columns="disposition")}, "results_agents.missing_column"),
        ({"members": pd.DataFrame({"customer_id": ["C1", "C1"], "score": [0.1, 0.2]})},
         "results_agents.duplicate_members"),
        ({"members": pd.DataFrame({"customer_id": ["C1"]})}, "results_agents.missing_column"),
        ({"members": pd.DataFrame({"customer_id": ["C1"], "score": [np.inf]})}, "results_agents.bad_score"),
        ({"members": pd.DataFrame({"customer_id": ["C1"], "score": [3.0]}), "calibration": "identity"},
         "results_agents.score_range"),
        ({"agents": pd.DataFrame({"agent_id": ["A1", "A1"], "team": ["T1", "T2"]})}, "results_agents.duplicate_agents"),
        ({"agents": pd.DataFrame({"agent_id": ["A1"]})}, "results_agents.missing_column"),
    ],
)  # fmt: skip
def test_bad_inputs_are_one_translated_sentence(kwargs, key):
    calls = kwargs.pop("calls", _calls())
    with pytest.raises(AgentsError) as caught:
        agent_performance(calls, **kwargs)
    error = caught.value
    assert isinstance(error, Translated) and error.key == key
    assert error.message("zh") != error.message("en") and "C1" not in str(error)


def test_nan_scores_leave_those_customers_out_of_the_fair_score():
    members = pd.DataFrame({"customer_id": ["C1", "C2", "C4", "C5", "C6"], "score": [0.5, 0.2, np.nan, 0.3, 0.4]})
    result = agent_performance(_calls(), members, calibration="identity")
    a = _by(result, "agent_id")
    assert a["A1"]["expected"] == pytest.approx(0.7) and a["A1"]["observed"] == 1
    assert a["A2"]["expected"] == pytest.approx(0.7) and a["A2"]["reached"] == 3  # C4's NaN is left out
    assert result["calibration"]["scored"] == 4


def test_cli_on_a_lake(small_bank, monkeypatch):
    from callwise.cli import app

    monkeypatch.setenv("CALLWISE_LANG", "en")
    lake = str(small_bank["lake"].root)
    runner = CliRunner()
    out = runner.invoke(app, ["results", "agents", "--lake", lake, "--json", "--campaign", "CMP2605W"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    contacts = pd.read_parquet(small_bank["bank"] / "contacts.parquet")
    calls = contacts[contacts.campaign_id == "CMP2605W"]
    assert sum(r["dials"] for r in result["agents"]) == len(calls)
    assert sum(r["dials"] for r in result["teams"]) == len(calls)
    assert result["filters"]["campaigns"] == ["CMP2605W"]
    text = runner.invoke(app, ["results", "agents", "--lake", lake, "--until", "2026-06-30"])
    assert text.exit_code == 0 and "Agent performance" in text.stdout and "Teams:" in text.stdout
    zh = runner.invoke(app, ["results", "agents", "--lake", lake], env={"CALLWISE_LANG": "zh"})
    assert "坐席绩效" in zh.stdout
    bad = runner.invoke(app, ["results", "agents", "--lake", lake, "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since is not a date" in bad.stderr
    wrong = runner.invoke(app, ["results", "agents", "--lake", lake, "--calibration", "magic"])
    assert wrong.exit_code == 2 and "unknown calibration 'magic'" in wrong.stderr
