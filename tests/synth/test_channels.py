"""The synthetic bank's multi-channel world: what it adds, what it leaves alone, and that its truth is consistent."""

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from callwise.schema.contract import TABLES
from callwise.synth import synthesize
from callwise.synth.channels import BOOSTS, CHANNELS, MOMENT_IDS
from callwise.synth.truth import channel_increment, load_channel_truth

LIST_DATE = pd.Timestamp("2026-07-01")
CHANNEL_TRUTH = ("channels.parquet", "moments.parquet", "attribution.json", "channels_meta.json")


@pytest.fixture(scope="module")
def channel_bank(tmp_path_factory, small_bank) -> dict:
    """The small bank's customers and seed, made with channels, ingested into a lake."""
    from callwise.ingest import ingest_directory
    from callwise.lake import Lake

    root = tmp_path_factory.mktemp("channel_bank")
    manifest = synthesize(root / "bank", customers=4_000, seed=11, channels=True)
    summary = ingest_directory(root / "bank", Lake(root / "lake", threads=2), root / "quarantine").to_dict()
    return {"bank": root / "bank", "lake": root / "lake", "manifest": manifest, "ingest": summary}


@pytest.fixture(scope="module")
def big_channel_bank(tmp_path_factory) -> dict:
    """Enough customers for the past campaigns' conversions to say something about each channel."""
    root = tmp_path_factory.mktemp("big_channel_bank")
    manifest = synthesize(root / "bank", customers=60_000, seed=5, channels=True)
    return {"bank": root / "bank", "manifest": manifest}


def read(bank, name: str) -> pd.DataFrame:
    return pd.read_parquet(bank / f"{name}.parquet")


def test_without_channels_the_bank_has_none_of_it(small_bank):
    bank = small_bank["bank"]
    assert not (bank / "consents.parquet").exists()
    assert "matures_at" not in pq.read_schema(bank / "holdings.parquet").names
    assert not any((bank / "_truth" / name).exists() for name in CHANNEL_TRUTH)
    with pytest.raises(FileNotFoundError, match="without channels"):
        load_channel_truth(bank / "_truth")
    assert "channels" not in small_bank["manifest"]
    assert read(bank, "contacts")["channel"].eq("call").all()
    events = read(bank, "events")["event"]
    assert not events.eq("card_bill").any()


def test_with_channels_the_shared_tables_and_the_call_history_are_unchanged(small_bank, channel_bank):
    plain, rich = small_bank["bank"], channel_bank["bank"]
    for name in ("customers", "products", "agents", "transcripts", "_truth/customers", "_truth/campaigns"):
        assert (plain / f"{name}.parquet").read_bytes() == (rich / f"{name}.parquet").read_bytes(), name
    for name, n in small_bank["manifest"]["rows"].items():  # the old rows come first, exactly as they were
        if name in ("customers", "products", "agents", "transcripts"):
            continue
        old, new = read(plain, name), read(rich, name)
        shared = [c for c in old.columns if c != "closed_at"]
        if name == "holdings":  # the campaigns' purchases add rows; every old row is still there
            keys = ["customer_id", "product_id", "opened_at", "balance"]
            assert len(old.merge(new[keys].drop_duplicates(), on=keys)) == n
            continue
        pd.testing.assert_frame_equal(old[shared], new[shared].head(n), check_dtype=False)
    contacts = read(rich, "contacts")
    assert set(contacts["channel"]) == set(CHANNELS)
    assert contacts.loc[contacts["contact_id"].str.startswith("K"), "channel"].eq("call").all()


def test_same_seed_same_bytes_with_channels(tmp_path):
    def digests(directory):
        return {
            str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        }

    synthesize(tmp_path / "a", customers=1_500, seed=3, channels=True)
    synthesize(tmp_path / "b", customers=1_500, seed=3, channels=True)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert {f"_truth/{name}" for name in CHANNEL_TRUTH} <= set(digests(tmp_path / "a"))


def test_every_contract_table_is_written_and_ingests_without_quarantine(channel_bank):
    assert set(channel_bank["manifest"]["rows"]) == set(TABLES)
    summary = channel_bank["ingest"]
    assert summary["quarantined"] == 0
    assert summary["accepted"] == sum(channel_bank["manifest"]["rows"].values())


def test_consents_agree_with_the_customers_and_some_are_withdrawn_later(channel_bank):
    bank = channel_bank["bank"]
    consents, customers = read(bank, "consents"), read(bank, "customers").set_index("customer_id")
    assert set(consents["channel"]) == set(CHANNELS) and consents["purpose"].eq("marketing").all()
    per_customer = consents.groupby("customer_id")["channel"].nunique()
    assert per_customer.eq(len(CHANNELS)).all() and len(per_customer) == len(customers)
    call = consents[consents["channel"] == "call"].set_index("customer_id")
    assert call.index.is_unique
    assert (call["granted"] == customers.loc[call.index, "consent_marketing"]).all()
    assert (call["ts"] == customers.loc[call.index, "consent_updated_at"]).all()
    newest = (
        consents.sort_values("ts").groupby(["customer_id", "channel"]).tail(1).set_index(["customer_id", "channel"])
    )
    rows = consents.groupby(["customer_id", "channel"]).size()
    withdrawn = rows[rows == 2].index
    assert len(withdrawn) > 50, "later withdrawals: a second, newer row"
    assert not newest.loc[withdrawn, "granted"].any()
    opened = pd.to_datetime(consents["customer_id"].map(customers["opened_at"]))
    messages = consents["channel"] != "call"
    assert (consents.loc[messages, "ts"] > opened[messages]).all(), "no consent before the account was opened"
    granted = newest["granted"].groupby(level="channel").mean()
    assert granted["sms"] > granted["email"] and granted["app_push"] > granted["email"]


def test_channel_truth_is_the_effect_model(channel_bank):
    truth = channel_bank["bank"] / "_truth"
    channels = pd.read_parquet(truth / "channels.parquet").set_index("customer_id")
    conversion = pd.read_parquet(truth / "conversion.parquet").set_index("customer_id").loc[channels.index]
    boost = channels["moment_boost"].to_numpy(float)
    for product in ("P_WM01", "P_DEP01", "P_CC01"):
        call = (conversion[f"p_call__{product}"] - conversion[f"p_nocall__{product}"]).to_numpy(float) * boost
        assert np.allclose(channels[f"inc__call__{product}"], call, atol=1e-6)
        answered = (conversion[f"p_answered__{product}"] - conversion[f"p_nocall__{product}"]).to_numpy(float)
        for c in CHANNELS[1:]:
            inc = channels[f"inc__{c}__{product}"].to_numpy(float)
            reach = channels[f"reach__{c}"].to_numpy()
            assert (inc[~reach] == 0).all()
            ratio = inc[reach] / (answered[reach] * boost[reach])
            assert ratio.min() >= 0.02 - 1e-4 and ratio.max() <= 0.30 + 1e-4
    assert channels["reach__call"].all()
    for c in CHANNELS[1:]:
        assert 0.05 < channels[f"reach__{c}"].mean() < 1, f"{c} cannot reach everyone"
    meta = json.loads((truth / "channels_meta.json").read_text(encoding="utf-8"))
    assert meta["boosts"] == BOOSTS and meta["suggested_costs_cny"]["sms"] == 0.05
    loaded = load_channel_truth(truth)
    ids = channels.index[:50]
    assert np.array_equal(channel_increment(loaded, ids, "sms", "P_WM01"), channels.loc[ids, "inc__sms__P_WM01"])
    with pytest.raises(KeyError, match="fax"):
        channel_increment(loaded, ids, "fax", "P_WM01")

    # moment_boost is the largest boost of the planted moments live at the list date.
    moments = pd.read_parquet(truth / "moments.parquet")
    assert set(moments["moment_id"]) == set(MOMENT_IDS)
    live = moments[(moments["starts_at"] <= LIST_DATE) & (moments["ends_at"] > LIST_DATE)]
    expected = live.groupby("customer_id")["boost"].max().reindex(channels.index).fillna(1.0)
    assert np.allclose(expected, channels["moment_boost"])
    assert 0.12 < (channels["moment_boost"] > 1).mean() < 0.3
    assert live["moment_id"].nunique() >= 6, "moments that vary by customer are live at the list date"


def test_every_planted_moment_shows_in_the_tables(channel_bank):
    bank = channel_bank["bank"]
    moments = pd.read_parquet(bank / "_truth" / "moments.parquet")
    tx, events = read(bank, "transactions"), read(bank, "events")
    holdings, customers = read(bank, "holdings"), read(bank, "customers")

    def shown(moment_id, table, on):
        planted = moments[moments["moment_id"] == moment_id]
        found = planted.merge(table.drop_duplicates(on), left_on=["customer_id", "starts_at"], right_on=on[:1] + on[1:])
        return len(planted), len(found)

    for moment_id, categories in (
        ("salary_arrived", ["工资", "养老金"]),
        ("large_inflow", ["理财到期"]),
        ("competitor_transfer_out", ["他行转出"]),
    ):
        rows = tx[tx["category"].isin(categories)].rename(columns={"ts": "starts_at"})
        planted, found = shown(moment_id, rows[["customer_id", "starts_at"]], ["customer_id", "starts_at"])
        assert planted > 0 and planted == found, moment_id
    assert tx.loc[tx["category"] == "他行转出", "direction"].eq("out").all()

    for moment_id, category in (("deposit_maturing", "deposit"), ("wealth_maturing", "wealth")):
        rows = holdings[holdings["category"] == category].dropna(subset=["matures_at"])
        rows = rows.assign(starts_at=pd.to_datetime(rows["matures_at"]) - pd.Timedelta(days=21))
        planted, found = shown(moment_id, rows[["customer_id", "starts_at"]], ["customer_id", "starts_at"])
        assert planted > 0 and planted == found, moment_id
    future = pd.to_datetime(holdings["matures_at"])
    assert ((future >= LIST_DATE) & (future < LIST_DATE + pd.Timedelta(days=60))).sum() > 20

    bills = events[events["event"] == "card_bill"]
    bills = bills.assign(starts_at=pd.to_datetime(bills["detail"], format="%Y-%m-%d") - pd.Timedelta(days=10))
    planted, found = shown("card_bill_due", bills[["customer_id", "starts_at"]], ["customer_id", "starts_at"])
    assert planted > 0 and planted == found
    card = holdings.loc[holdings["product_id"] == "P_CC01", "customer_id"]
    assert bills["customer_id"].isin(card).all()

    birthdays = moments[moments["moment_id"] == "birthday"].merge(customers[["customer_id", "birth_date"]])
    day = birthdays["starts_at"] + pd.Timedelta(days=3)
    born = pd.to_datetime(birthdays["birth_date"])
    leap = (born.dt.month == 2) & (born.dt.day == 29)
    same = (day.dt.month == born.dt.month) & (day.dt.day == born.dt.day)
    assert len(birthdays) > 0 and (same | leap).all()

    views = events[events["event"] == "view_product"]
    planted = moments[moments["moment_id"] == "repeated_product_views"].reset_index(drop=True)
    pairs = planted.merge(views, on="customer_id")
    pairs = pairs[(pairs["ts"] > pairs["starts_at"] - pd.Timedelta(days=7)) & (pairs["ts"] <= pairs["starts_at"])]
    most = pairs.groupby(["customer_id", "starts_at", "detail"]).size().groupby(level=[0, 1]).max()
    assert len(planted) > 0 and len(most) == len(planted) and (most >= 3).all()


def test_past_multichannel_campaigns_touch_only_treatment_members_through_their_arm(channel_bank):
    bank = channel_bank["bank"]
    members, contacts = read(bank, "campaign_members"), read(bank, "contacts")
    mc = members[members["campaign_id"].str.startswith("MC")]
    assert mc["campaign_id"].nunique() >= 3
    assert 0.07 < (mc["group"] == "control").mean() < 0.13
    touches = contacts[contacts["campaign_id"].str.startswith("MC")].merge(mc, on=["campaign_id", "customer_id"])
    assert touches["group_y"].eq("treatment").all(), "control members are never touched"
    assert touches.apply(lambda r: r["channel"] in r["arm"].split("+"), axis=1).all()
    messages = touches[touches["channel"] != "call"]
    assert messages["disposition"].isin(["sent", "delivered", "failed", "opened", "clicked"]).all()
    assert messages["agent_id"].isna().all() and touches.loc[touches["channel"] == "call", "agent_id"].notna().all()
    assert {"call+sms", "sms", "call"} <= set(mc["arm"].dropna())
    # Messages went only to customers whose consent to that channel was in force on the campaign's day.
    consents = read(bank, "consents")
    start = read(bank, "campaigns").set_index("campaign_id")["start_at"].dt.normalize()
    sent = messages.assign(day=messages["campaign_id"].map(start))
    rows = sent[["campaign_id", "customer_id", "channel", "day"]].merge(consents, on=["customer_id", "channel"])
    rows = rows[rows["ts"] <= rows["day"]].sort_values("ts").groupby(["campaign_id", "customer_id", "channel"]).tail(1)
    assert len(rows) == len(sent.drop_duplicates(["campaign_id", "customer_id", "channel"]))
    assert rows["granted"].all()
    # Every conversion of a touched member (the campaign's product, from its start) comes after their last touch.
    campaigns = read(bank, "campaigns").set_index("campaign_id")
    last = touches.groupby(["campaign_id", "customer_id"])["ts"].max().rename("last").reset_index()
    last = last.assign(product_id=last["campaign_id"].map(campaigns["product_id"]))
    last = last.assign(start=last["campaign_id"].map(campaigns["start_at"]))
    bought = last.merge(read(bank, "conversions"), on=["customer_id", "product_id"])
    bought = bought[bought["ts"] >= bought["start"]]
    assert len(bought) > 10 and (bought["ts"] > bought["last"]).all()
    assert (bought["ts"] < bought["last"] + pd.Timedelta(days=30)).all()


def _channel_estimates(bank) -> pd.DataFrame:
    """Per channel: the realised incremental conversions (randomised use of each channel) and their s.e."""
    members = read(bank, "campaign_members")
    campaigns = read(bank, "campaigns").set_index("campaign_id")
    conversions = read(bank, "conversions")
    consents = read(bank, "consents").sort_values("ts")
    customers = read(bank, "customers").set_index("customer_id")
    reach = pd.read_parquet(bank / "_truth" / "channels.parquet").set_index("customer_id")
    rows = []
    for campaign_id, campaign in campaigns[campaigns.index.str.startswith("MC")].iterrows():
        treated = members[(members["campaign_id"] == campaign_id) & (members["group"] == "treatment")]
        ids = pd.Index(treated["customer_id"])
        window = conversions[
            (conversions["product_id"] == campaign["product_id"]) & (conversions["ts"] >= campaign["start_at"])
        ]
        converted = ids.isin(window["customer_id"]).astype(float)
        day = campaign["start_at"].normalize()
        for c in set("+".join(treated["arm"].dropna()).split("+")) - {"none"}:
            got = treated["arm"].str.split("+").apply(lambda arm, c=c: c in arm).to_numpy()
            if c == "call":
                ok = (customers.loc[ids, "consent_marketing"] & ~customers.loc[ids, "profiling_opt_out"]).to_numpy()
            else:
                valid = consents[(consents["channel"] == c) & (consents["ts"] <= day)]
                newest = valid.groupby("customer_id")["granted"].last()
                ok = newest.reindex(ids).fillna(False).to_numpy(bool)
                ok &= reach.loc[ids, f"reach__{c}"].to_numpy() | (c == "sms")
            yes, no = converted[got & ok], converted[~got & ok]
            if len(yes) < 20 or len(no) < 20:
                continue
            effect = yes.mean() - no.mean()
            se = np.sqrt(yes.var(ddof=1) / len(yes) + no.var(ddof=1) / len(no))
            rows.append({"campaign": campaign_id, "channel": c, "realised": effect * len(yes), "se": se * len(yes)})
    return pd.DataFrame(rows)


def test_realised_incremental_conversions_per_channel_match_the_truth(big_channel_bank):
    bank = big_channel_bank["bank"]
    attribution = json.loads((bank / "_truth" / "attribution.json").read_text(encoding="utf-8"))
    truth = {
        (c["campaign_id"], channel): v
        for c in attribution["campaigns"]
        for channel, v in c["expected_incremental_conversions"].items()
    }
    estimates = _channel_estimates(bank)
    estimates["expected"] = [truth[(r.campaign, r.channel)] for r in estimates.itertuples()]
    by_channel = estimates.groupby("channel").agg(
        realised=("realised", "sum"), expected=("expected", "sum"), se=("se", lambda s: np.sqrt((s**2).sum()))
    )
    assert {"call", "sms", "app_push", "wechat"} <= set(by_channel.index)
    assert (abs(by_channel["realised"] - by_channel["expected"]) < 4 * by_channel["se"]).all(), by_channel
    assert by_channel.loc["call", "realised"] > 2 * by_channel.loc["call", "se"], "the calls' effect is visible"
    overall = attribution["overall"]
    assert abs(sum(overall["true_share"].values()) - 1) < 1e-9
    assert overall["true_share"]["call"] > overall["true_share"]["email"]
    for campaign in attribution["campaigns"]:  # treatment conversions: within sampling error of their expectation
        expected, realised = campaign["expected_conversions_treatment"], campaign["realised_conversions_treatment"]
        assert abs(realised - expected) < 4 * np.sqrt(expected) + 2, campaign["campaign_id"]
        expected, realised = campaign["expected_conversions_control"], campaign["realised_conversions_control"]
        assert abs(realised - expected) < 4 * np.sqrt(expected) + 2, campaign["campaign_id"]


def test_cli_writes_a_channel_bank(tmp_path):
    from callwise.cli import app

    result = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path / "bank"), "--customers", "300", "--channels", "--json"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    assert manifest["channels"] is True and manifest["rows"]["consents"] >= 300 * len(CHANNELS)
    assert all((tmp_path / "bank" / "_truth" / name).exists() for name in CHANNEL_TRUTH)


def test_code_that_reads_calls_ignores_the_messages(channel_bank, tmp_path):
    """Features, the answer-time model's attempts and the policy's call history of the channel lake are those of
    the same lake with its message rows removed."""
    import shutil
    from datetime import datetime

    from callwise.features.asof import customer_features
    from callwise.lake import Lake
    from callwise.lake.frames import to_pandas
    from callwise.policy.gate import load_call_history
    from callwise.timing.fit import read_contacts

    full = Lake(channel_bank["lake"], threads=2)
    shutil.copytree(channel_bank["lake"], tmp_path / "calls_only")
    calls_only = Lake(tmp_path / "calls_only", threads=2)
    contacts = calls_only.table("contacts")
    assert to_pandas(contacts)["channel"].ne("call").sum() > 100
    calls_only.write("contacts", contacts.filter(contacts.channel == "call").to_pyarrow())
    cutoff = datetime(2026, 7, 1)
    columns = ["customer_id", "n_calls_365d", "n_calls_30d", "n_answered_365d", "answer_rate_365d", "last_disposition"]
    pd.testing.assert_frame_equal(
        to_pandas(customer_features(full, cutoff, "P_WM01").select(*columns)),
        to_pandas(customer_features(calls_only, cutoff, "P_WM01").select(*columns)),
    )
    pd.testing.assert_frame_equal(read_contacts(full), read_contacts(calls_only))
    since = datetime(2026, 1, 1).date()
    pd.testing.assert_frame_equal(load_call_history(full, since), load_call_history(calls_only, since))


def test_csv_channel_bank_ingests_without_quarantine(tmp_path):
    from callwise.ingest import ingest_directory
    from callwise.lake import Lake

    manifest = synthesize(tmp_path / "bank", customers=600, seed=2, fmt="csv", channels=True)
    assert (tmp_path / "bank" / "consents.csv").exists()
    summary = ingest_directory(tmp_path / "bank", Lake(tmp_path / "lake"), tmp_path / "q").to_dict()
    assert summary["quarantined"] == 0 and summary["accepted"] == sum(manifest["rows"].values())
