"""The agents' aggregation gives the same figures on DuckDB and on PySpark (see conftest.py for the bank)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow.parquet as pq

from callwise.lake.frames import to_pandas
from callwise.results.agents import _calls, _per_agent, _reached, _with_team, agent_performance

from .compare import assert_same
from .conftest import CAMPAIGN


def _scores(lake) -> pd.DataFrame:
    """A pre-call score per member (the bank's campaign_members has none): a stable function of the id."""
    members = pq.ParquetDataset(lake.files("campaign_members")).read().to_pandas()
    members = members.drop_duplicates(["campaign_id", "customer_id"])
    digits = members.customer_id.str[-4:].astype(int)
    return members[["campaign_id", "customer_id"]].assign(score=0.02 + (digits % 97) / 400)


def test_agent_aggregation_is_the_same_on_both_engines(lakes):
    ops = pd.DataFrame(
        {
            "campaign_id": [CAMPAIGN, CAMPAIGN],
            "customer_id": ["C00000001", "C00000002"],
            "agent_id": ["A0001", "A0002"],
            "ts": pd.to_datetime(["2026-06-01 10:00", "2026-06-01 11:00"]),
            "disposition": ["converted", "no_answer"],
            "duration_s": [120.0, None],
        }
    )
    frames = []
    for lake in lakes.both():
        calls = _calls(lake.table("contacts"), ops, None, date(2025, 1, 1), None)
        calls = _with_team(calls, lake.table("agents"), None)
        frames.append((to_pandas(_per_agent(calls)), to_pandas(_reached(calls))))
    (duck_agents, duck_pairs), (spark_agents, spark_pairs) = frames
    assert len(duck_agents) >= 8 and duck_agents.connects.sum() > 0
    assert_same(duck_agents, spark_agents, ["agent_id"])
    assert_same(duck_pairs, spark_pairs, ["agent_id", "campaign_id", "customer_id"])


def test_agent_performance_is_the_same_on_both_engines(lakes):
    scores = _scores(lakes.duckdb)
    duck, spark = (
        agent_performance(lake.table("contacts"), scores, agents=lake.table("agents"), campaigns=[CAMPAIGN])
        for lake in lakes.both()
    )
    assert duck["calibration"]["method"] == "logistic" and duck["calibration"]["scored"] > 100
    assert_same(pd.DataFrame(duck["agents"]), pd.DataFrame(spark["agents"]), ["agent_id"], rel=1e-7)
    assert_same(pd.DataFrame(duck["teams"]), pd.DataFrame(spark["teams"]), ["team"], rel=1e-7)
