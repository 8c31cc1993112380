"""The synthetic bank: deterministic, contract-exact, and with the structure the issue asks for."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from callwise.schema.contract import TABLES
from callwise.synth import synthesize
from callwise.synth.truth import answer_probability, conversion_probability, load_truth


def digests(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_same_seed_same_bytes_other_seed_other_bank(tmp_path):
    synthesize(tmp_path / "a", customers=1_500, seed=3)
    synthesize(tmp_path / "b", customers=1_500, seed=3)
    synthesize(tmp_path / "c", customers=1_500, seed=4)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert digests(tmp_path / "a")["customers.parquet"] != digests(tmp_path / "c")["customers.parquet"]


def test_every_contract_table_is_written_and_ingests_without_quarantine(small_bank):
    # consents come with the channel world (synthesize(..., channels=True), tests/synth/test_channels.py)
    assert set(small_bank["manifest"]["rows"]) == set(TABLES) - {"consents"}
    summary = small_bank["ingest"]
    assert summary["quarantined"] == 0
    assert summary["accepted"] == sum(small_bank["manifest"]["rows"].values())


def test_csv_format_is_gbk_with_messy_phones_and_still_ingests(tmp_path):
    from callwise.ingest import ingest_directory
    from callwise.lake import Lake

    synthesize(tmp_path / "bank", customers=800, seed=5, fmt="csv")
    raw = (tmp_path / "bank" / "customers.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "+86 " in raw.decode("gb18030")
    summary = ingest_directory(tmp_path / "bank", Lake(tmp_path / "lake"), tmp_path / "q").to_dict()
    assert summary["quarantined"] == 0
    lake = pd.read_parquet(tmp_path / "lake" / "customers.parquet")
    assert "phone" not in lake  # only its token, look-up hash and masked form
    assert lake["phone_masked"].str.fullmatch(r"1[3-9]\d\*{4}\d{4}").all()


def test_volumes_and_realism(small_bank):
    bank = small_bank["bank"]
    customers = pd.read_parquet(bank / "customers.parquet")
    tx = pd.read_parquet(bank / "transactions.parquet")
    per_month = len(tx) / len(customers) / 12
    assert 4 <= per_month <= 7, "about five transactions per customer per month"
    assert customers["risk_tolerance"].isin(["C1", "C2", "C3", "C4", "C5"]).all()
    assert customers["id_number"].str.fullmatch(r"\d{17}[\dX]").all()
    contacts = pd.read_parquet(bank / "contacts.parquet")
    assert contacts["campaign_id"].nunique() >= 3
    members = pd.read_parquet(bank / "campaign_members.parquet")
    share = (members["group"] == "control").mean()
    assert 0.07 < share < 0.13, "a randomised 10% control group"
    called = set(zip(contacts["campaign_id"], contacts["customer_id"], strict=True))
    control = members[members["group"] == "control"]
    assert not called & set(zip(control["campaign_id"], control["customer_id"], strict=True)), "control is never called"


def test_truth_is_never_in_the_tables_but_beside_them(small_bank):
    bank = small_bank["bank"]
    for table in small_bank["manifest"]["rows"]:  # every table it wrote (consents only come with channels)
        path = bank / f"{table}.parquet"
        columns = set(pd.read_parquet(path).columns)
        assert not columns & {"response_type", "answer_scale", "segment"}
    truth = load_truth(bank / "_truth")
    ids = truth.customers.index[:100]
    p = conversion_probability(truth, ids, "P_WM01", "call")
    assert ((p >= 0) & (p <= 1)).all()


def test_behaviour_has_structure(small_bank):
    truth = load_truth(small_bank["bank"] / "_truth")
    people = truth.customers
    ids = people.index
    # Answering depends on hour-of-week and life situation: retirees on a weekday morning, workers at lunch.
    monday_10, monday_12 = 10, 12
    p = answer_probability(truth, ids, [monday_10, monday_12])
    retiree, worker = (people["segment"] == "retiree").to_numpy(), (people["segment"] == "office_worker").to_numpy()
    assert p[retiree, 0].mean() > 2 * p[worker, 0].mean()
    assert p[worker, 1].mean() > p[worker, 0].mean()
    # A call persuades some, annoys others, and changes little for the rest.
    uplift = conversion_probability(truth, ids, "P_WM01") - conversion_probability(truth, ids, "P_WM01", "nocall")
    by_type = pd.Series(uplift, index=ids).groupby(people["response_type"]).mean()
    assert by_type["persuadable"] > 3 * abs(by_type["lost_cause"])
    assert by_type["sleeping_dog"] < 0
    assert by_type["sure_thing"] < by_type["persuadable"]


def test_complaints_rise_with_call_frequency(small_bank):
    contacts = pd.read_parquet(small_bank["bank"] / "contacts.parquet").sort_values(["customer_id", "ts"])
    answered = contacts[contacts["disposition"] != "no_answer"].copy()
    answered["attempt"] = contacts.groupby(["campaign_id", "customer_id"]).cumcount().loc[answered.index]
    rate = answered.groupby(answered["attempt"] > 0)["disposition"].apply(lambda d: (d == "complaint").mean())
    assert rate[True] > rate[False]


def test_too_small_or_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 100"):
        synthesize(tmp_path, customers=10)
    with pytest.raises(ValueError, match="unknown format"):
        synthesize(tmp_path, customers=200, fmt="xml")


def test_knowable_estimate_is_calibrated_and_between_prior_and_truth(small_bank):
    """The posterior mean given the tables is calibrated against the truth and ranks better than a coin."""
    import numpy as np

    truth = load_truth(small_bank["bank"] / "_truth")
    ids = truth.customers.index
    true = conversion_probability(truth, ids, "P_WM01", "answered")
    knowable = conversion_probability(truth, ids, "P_WM01", "knowable")
    assert ((knowable > 0) & (knowable < 1)).all()
    # A posterior mean is calibrated: in every quintile of the estimate the truth averages the same.
    quintile = pd.qcut(knowable, 5, labels=False)
    by_quintile = pd.DataFrame({"true": true, "knowable": knowable}).groupby(quintile).mean()
    assert np.allclose(by_quintile["true"], by_quintile["knowable"], rtol=0.15)
    assert by_quintile["true"].is_monotonic_increasing
    # It knows less than the truth: the spread of the estimate is smaller than the spread of the truth.
    assert knowable.std() < true.std()
    with pytest.raises(ValueError, match="unknown kind"):
        conversion_probability(truth, ids, "P_WM01", "perfect")


def test_knowable_increment_is_calibrated_and_knows_less_than_the_truth(small_bank):
    """p(buy | not called) from the same posterior is calibrated, and so is the increment of an answered call."""
    import numpy as np

    truth = load_truth(small_bank["bank"] / "_truth")
    ids = truth.customers.index
    nocall = conversion_probability(truth, ids, "P_WM01", "nocall")
    knowable_nocall = conversion_probability(truth, ids, "P_WM01", "knowable_nocall")
    assert ((knowable_nocall > 0) & (knowable_nocall < 1)).all()
    quintile = pd.qcut(knowable_nocall, 5, labels=False)
    by_quintile = pd.DataFrame({"true": nocall, "knowable": knowable_nocall}).groupby(quintile).mean()
    assert np.allclose(by_quintile["true"], by_quintile["knowable"], rtol=0.15)

    true_increment = conversion_probability(truth, ids, "P_WM01", "answered") - nocall
    increment = conversion_probability(truth, ids, "P_WM01", "knowable") - knowable_nocall
    quintile = pd.qcut(increment, 5, labels=False)
    by_quintile = pd.DataFrame({"true": true_increment, "knowable": increment}).groupby(quintile).mean()
    assert np.allclose(by_quintile["true"], by_quintile["knowable"], rtol=0.2, atol=5e-4)
    assert by_quintile["true"].iloc[-1] > 2 * by_quintile["true"].iloc[0]
    # Sleeping dogs lose by a call in truth; the tables can only say some customers are likelier to be one.
    assert true_increment.min() < 0 and increment.std() < true_increment.std()
