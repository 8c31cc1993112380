"""The agents' and campaigns' truth, and the campaign simulator that draws outcomes from a bank's truth."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callwise.schema.contract import ANSWERED_DISPOSITIONS
from callwise.synth import synthesize
from callwise.synth.simulate import simulate_campaign
from callwise.synth.truth import load_truth

# Content hashes (Arrow IPC stream of each table) of the 2,000-customer bank of seed 7, taken with the code
# BEFORE the agents' and campaigns' truth was added: adding truth must not change a single table or draw.
# The truth files may grow columns (``NEWER_TRUTH``); the columns they had keep their bytes.
BEFORE = {
    "agents": "d779aaa6cd500d049e2ff0f95f9cd0baa63c6a5ce47ae02ac6943075a355f89e",
    "campaign_members": "2ef14a6cc870ab0e78745656256d87fccfb2aa9a9d1855479b099855ebbaca07",
    "campaigns": "2ed762f6a25c0b6b8a4a6e13c0096570c8598e4bfc507b02b11574d05ce075d5",
    "contacts": "9d00d662c2bca05dd21dfd3a67cecec6882e2a90210219ab26ed735a5f10f514",
    "conversions": "75d63bd997933201e8425720f5d7a2f7a6bb6fd8c79044938c6fe11579aedb5b",
    "customers": "a8773a370a72e1de8674e29c5b433a48ebb2a9ea3b5811d90bf7746bdd42108a",
    "events": "2ac1d9f9f2c2d8cbd16f8317222cd1b1986ea77809ae79e22f06b038bf53e80e",
    "holdings": "5f6775d62885ab7c0be13615f441e39c085d1e90d024deaca350224651273bb1",
    "products": "aa4f9308f29529734cfa816ca299dd63cf49b8de0d64bcb8d9b71b284fb3b04c",
    "transactions": "8ab5d9dd83b00af3fce850417cb6a50d2914da96544fc73e8b560b0c3c542bf2",
    "transcripts": "b09f34f6e9091aeff425d85efcaa85df3d9e5bbbcc15e0e598691a1d75ed9ee8",
    "_truth/answer_profiles": "e30a044b028aefcc1181f7bcadc8c5f87e299da456ebafdf95878cf6bc855e4e",
    "_truth/conversion": "cdd2d8acb7084b2b9fdcb98f109e4e8a4b6857b79cdb2b985dacadb15bdd3f92",
    "_truth/customers": "78094991a47978ea160f67c921861e36f0e5e200a4a9a87fefd49cc2ab441ab0",
}


NEWER_TRUTH = ("p_knowable_nocall__",)  # truth columns added since the hashes were taken


def _content_hash(path) -> str:
    table = pq.read_table(path).combine_chunks()
    table = table.drop_columns([c for c in table.column_names if c.startswith(NEWER_TRUTH)])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


@pytest.fixture(scope="module")
def bank7(tmp_path_factory):
    out = tmp_path_factory.mktemp("bank7")
    synthesize(out, customers=2_000, seed=7)
    return out


def test_tables_and_old_truth_are_unchanged_by_the_new_truth(bank7):
    got = {name: _content_hash(bank7 / f"{name}.parquet") for name in BEFORE}
    assert got == BEFORE


def test_agents_truth_is_a_mean_one_lognormal_per_agent(bank7, small_bank):
    for bank in (bank7, small_bank["bank"]):
        truth = load_truth(bank / "_truth")
        roster = pd.read_parquet(bank / "agents.parquet")
        assert list(truth.agents.index) == list(roster.agent_id)
        assert (truth.agents.skill > 0).all() and truth.agents.skill.std() > 0.05
    from callwise.synth.bank import agent_skills

    many = agent_skills(200_000, seed=3)
    assert abs(many.mean() - 1) < 0.005 and abs(np.log(many).std() - 0.3) < 0.005


def test_campaign_truth_matches_the_conversions_the_tables_show(small_bank):
    bank = small_bank["bank"]
    truth = load_truth(bank / "_truth").campaigns
    members = pd.read_parquet(bank / "campaign_members.parquet")
    conversions = pd.read_parquet(bank / "conversions.parquet")
    campaigns = pd.read_parquet(bank / "campaigns.parquet").set_index("campaign_id")
    observed = expected = 0.0
    for campaign_id, row in truth.iterrows():
        treated = members[(members.campaign_id == campaign_id) & (members.group == "treatment")]
        assert row.treatment == len(treated) and row.members == (members.campaign_id == campaign_id).sum()
        start = campaigns.loc[campaign_id, "start_at"]
        window = conversions[
            (conversions.product_id == row.product_id)
            & (conversions.ts >= start.normalize())
            & (conversions.ts < start.normalize() + pd.Timedelta(days=31))
        ]
        observed += window.customer_id.isin(treated.customer_id).sum()
        expected += row.expected_conversions
        assert row.true_incremental_conversions == pytest.approx(
            row.expected_conversions - row.expected_conversions_without_calls
        )
        assert 0 < row.true_incremental_conversions < row.expected_conversions
    assert abs(observed - expected) < 4 * np.sqrt(expected)  # a sum of Bernoullis: variance below the mean


def test_an_old_truth_directory_still_loads(small_bank, tmp_path):
    old = tmp_path / "_truth"
    shutil.copytree(small_bank["bank"] / "_truth", old)
    (old / "agents.parquet").unlink()
    (old / "campaigns.parquet").unlink()
    truth = load_truth(old)
    assert truth.agents is None and truth.campaigns is None and len(truth.conversion) == 4_000


def _members(bank, product="P_WM01", control=0.2, seed=1):
    truth = load_truth(bank / "_truth")
    ids = truth.conversion.index.to_numpy()
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "group": np.where(rng.random(len(ids)) < control, "control", "treatment"),
            "score": truth.conversion[f"p_knowable__{product}"].to_numpy(),
        }
    )


def test_simulated_calls_follow_the_contract_and_the_rules(small_bank):
    bank = small_bank["bank"]
    members = _members(bank)
    sim = simulate_campaign(bank, "P_WM01", members, campaign_id="S1", seed=5)
    k = sim.contacts
    assert list(k.columns) == [
        "contact_id", "campaign_id", "customer_id", "product_id", "channel", "ts", "agent_id",
        "script_variant", "group", "disposition", "duration_s",
    ]  # fmt: skip
    assert k.contact_id.is_unique and (k.channel == "call").all() and (k.campaign_id == "S1").all()
    control = set(members.customer_id[members.group == "control"])
    assert not set(k.customer_id) & control
    per = k.groupby("customer_id")
    assert per.size().max() <= 3
    assert (per.agent_id.nunique() == 1).all()  # one agent handles a member
    answered = k.disposition.isin(ANSWERED_DISPOSITIONS)
    last = k.sort_values("ts").groupby("customer_id").tail(1)
    # an answer ends the calls: every answered call is the member's last one
    assert set(k.index[answered]) <= set(last.index)
    assert (k.ts.dt.hour.between(9, 20)).all()
    on_call = k[k.disposition == "converted"]
    conv = sim.conversions
    assert set(on_call.customer_id) <= set(conv.customer_id) and conv.customer_id.is_unique
    assert list(conv.columns) == ["customer_id", "product_id", "ts", "amount"]
    assert (conv.amount == 800.0).all()  # P_WM01's value per conversion
    again = simulate_campaign(bank, "P_WM01", members, campaign_id="S1", seed=5)
    pd.testing.assert_frame_equal(again.contacts, k)


def test_better_scores_go_to_the_first_team(small_bank):
    bank = small_bank["bank"]
    members = _members(bank)
    sim = simulate_campaign(bank, "P_WM01", members, seed=2)
    roster = pd.read_parquet(bank / "agents.parquet").set_index("agent_id").team
    scores = members.set_index("customer_id").score
    by_team = scores.reindex(sim.handler.index).groupby(roster.reindex(sim.handler.to_numpy()).to_numpy()).mean()
    teams = sorted(roster.unique())
    assert list(by_team.sort_values(ascending=False).index) == teams


def test_expected_incremental_matches_what_the_draws_give_on_average(small_bank):
    """Averaged over seeds, treated-minus-scaled-control conversions equal the reported truth."""
    bank = small_bank["bank"]
    members = _members(bank, control=0.5)
    treated = members.customer_id[members.group == "treatment"]
    control = members.customer_id[members.group == "control"]
    gains, truths = [], []
    for seed in range(12):
        sim = simulate_campaign(bank, "P_WM01", members, seed=seed)
        bought = set(sim.conversions.customer_id)
        p_alone = load_truth(bank / "_truth").conversion["p_nocall__P_WM01"].reindex(treated).sum()
        gains.append(treated.isin(bought).sum() - p_alone)  # the treated's own no-call expectation
        truths.append(sim.expected_incremental)
        assert control.isin(bought).sum() < treated.isin(bought).sum()
    se = np.std(gains) / np.sqrt(len(gains))
    assert abs(np.mean(gains) - np.mean(truths)) < 4 * se + 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.drop(columns="score"), "no column score"),
        (lambda m: pd.concat([m, m.head(1)]), "twice"),
        (lambda m: m.assign(group="maybe"), "treatment or control"),
        (lambda m: m.assign(customer_id="NOBODY"), "twice"),
    ],
)
def test_bad_members_are_refused(small_bank, change, words):
    with pytest.raises(ValueError, match=words):
        simulate_campaign(small_bank["bank"], "P_WM01", change(_members(small_bank["bank"])))


def test_bad_agents_and_products_are_refused(small_bank):
    bank = small_bank["bank"]
    members = _members(bank)
    with pytest.raises(ValueError, match="no column skill"):
        simulate_campaign(bank, "P_WM01", members, agents=pd.DataFrame({"agent_id": ["A"], "team": ["t"]}))
    with pytest.raises(ValueError, match="non-negative"):
        crew = pd.DataFrame({"agent_id": ["A"], "team": ["t"], "skill": [-1]})
        simulate_campaign(bank, "P_WM01", members, agents=crew)
    with pytest.raises(ValueError, match="no column p_answered__P_NONE"):
        simulate_campaign(bank, "P_NONE", members)
    with pytest.raises(ValueError, match="not customers"):
        simulate_campaign(bank, "P_WM01", members.assign(customer_id=[f"X{i}" for i in range(len(members))]))
