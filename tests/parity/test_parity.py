"""Every lake stage gives the same result on DuckDB and on PySpark (see conftest.py for the bank)."""

from __future__ import annotations

import pandas as pd
import pytest

from callwise.features import customer_features, materialize
from callwise.features.training import training_set, uplift_training_set
from callwise.lake.frames import to_pandas
from callwise.policy.config import default_policy
from callwise.policy.customers import evaluate_customers
from callwise.policy.gate import load_call_history
from callwise.policy.live import all_contacts, live_customers
from callwise.timing.fit import read_contacts, read_customers

from .compare import assert_same
from .conftest import CAMPAIGN, CUTOFF, PLAN_END, PLAN_START, PRODUCT, TIES

SEGMENTS = ("occupation", "age_band")


def test_customer_features_without_product(features):
    duck, spark = features
    assert duck.num_rows == 20_000
    assert duck.schema.names == spark.schema.names
    assert_same(duck, spark, ["customer_id"])


def test_customer_features_with_product(features_product):
    duck, spark = features_product
    assert {"holds_this_product", "n_views_category_90d", "balance_same_category"} <= set(duck.schema.names)
    assert_same(duck, spark, ["customer_id"])


def test_last_disposition_of_same_second_calls_is_defined(lakes, features):
    """TIES customers have two calls logged at their last second with two outcomes: the greater name is the last."""
    duck, spark = (f.select(["customer_id", "last_disposition"]).to_pandas() for f in features)
    assert_same(duck, spark, ["customer_id"])
    contacts = pd.read_parquet(
        lakes.duckdb.path("contacts"), columns=["customer_id", "ts", "disposition", "contact_id"]
    )
    tied = set(contacts.loc[contacts.contact_id.str.startswith("TIE"), "customer_id"])
    assert len(tied) == TIES
    calls = contacts[contacts.customer_id.isin(tied) & (contacts.ts < CUTOFF)]
    at_last = calls[calls.ts == calls.groupby("customer_id").ts.transform("max")]
    assert (at_last.groupby("customer_id").disposition.nunique() == 2).all()
    expected = at_last.groupby("customer_id").disposition.max()
    got = duck.set_index("customer_id").loc[expected.index, "last_disposition"]
    assert (got == expected).all()


def test_training_set(lakes, training):
    duck, spark = training
    assert len(duck) > 1_000 and duck.converted.sum() > 0
    assert_same(duck, spark, ["campaign_id", "customer_id"])


@pytest.mark.parametrize("campaign", [None, CAMPAIGN])
def test_evaluate_customers(lakes, campaign):
    product = _product(lakes.duckdb)
    duck, spark = (
        evaluate_customers(lake, default_policy(), product, campaign, PLAN_START, PLAN_END) for lake in lakes.both()
    )
    assert_same(duck.frame, spark.frame, ["customer_id"])
    for a, b in ((duck.primary, spark.primary), (duck.reasons, spark.reasons)):
        assert_same(
            pd.DataFrame({"customer_id": duck.frame.customer_id, "code": a}),
            pd.DataFrame({"customer_id": spark.frame.customer_id, "code": b}),
            ["customer_id"],
        )
    assert duck.funnel() == spark.funnel()
    assert duck.frame.dnc.any() and duck.primary.notna().any() and duck.primary.isna().any()


def test_live_customers_and_contacts(lakes):
    duck, spark = (to_pandas(live_customers(lake)) for lake in lakes.both())
    assert_same(duck, spark, ["customer_id"])
    assert duck.dnc.sum() > 0
    contacts = [all_contacts(lake) for lake in lakes.both()]
    duck_k, spark_k = (to_pandas(k.mutate(n=k.customer_id.length())) for k in contacts if k is not None)
    keys = ["customer_id", "ts", "disposition", "campaign_id", "channel"]
    assert_same(duck_k.drop_duplicates(keys), spark_k.drop_duplicates(keys), keys)
    assert len(duck_k) == len(spark_k)


def test_load_call_history(lakes):
    duck, spark = (load_call_history(lake, PLAN_START.replace(month=3)) for lake in lakes.both())
    assert len(duck) > 1_000
    assert list(duck.itertuples(index=False)) == list(spark.itertuples(index=False))  # the same order, too
    assert str(duck.ts.dtype) == "datetime64[us]"


def test_timing_fit_inputs(lakes):
    duck, spark = (read_contacts(lake, CUTOFF) for lake in lakes.both())
    assert list(duck.columns) == list(spark.columns)
    assert duck.equals(spark)  # a full order: the fit reads the attempts in the same order on both
    duck_c, spark_c = (read_customers(lake, SEGMENTS, CUTOFF) for lake in lakes.both())
    assert_same(duck_c, spark_c, ["customer_id"])
    assert duck_c.customer_id.is_monotonic_increasing and duck_c.equals(spark_c)


def test_score_on_lake(lakes, training, features_product):
    from callwise.models import make_model
    from callwise.models.lake_score import score_on_lake

    frame, _ = training
    X = frame.drop(columns=["customer_id", "campaign_id", "product_id", "cutoff", "converted"])
    model = make_model("lightgbm", n_estimators=20, calibration=False).fit(X, frame.converted)
    # Scored from a lake table (the features' own parity is tested above), so the scoring alone is compared.
    lakes.duckdb.write("parity_features", features_product[0])
    duck, spark = (score_on_lake(lake, lake.table("parity_features"), model).to_pyarrow() for lake in lakes.both())
    assert duck.num_rows == spark.num_rows == 20_000
    assert_same(duck, spark, ["customer_id"])
    direct = features_product[0].to_pandas()
    expected = pd.DataFrame({"customer_id": direct.customer_id, "score": model.predict_proba(direct[X.columns])[:, 1]})
    assert_same(expected, duck.to_pandas(), ["customer_id"])


@pytest.fixture(scope="module")
def features(lakes):
    """Features as of the cutoff, without a product, on each engine (two tests read them)."""
    return tuple(materialize(customer_features(lake, CUTOFF)) for lake in lakes.both())


@pytest.fixture(scope="module")
def features_product(lakes):
    """Features as of the cutoff for the product, on each engine (two tests read them)."""
    return tuple(materialize(customer_features(lake, CUTOFF, PRODUCT)) for lake in lakes.both())


@pytest.fixture(scope="module")
def training(lakes):
    """The training set on each engine (two stages use it)."""
    return tuple(materialize(training_set(lake)).to_pandas() for lake in lakes.both())


def _product(lake) -> dict:
    from callwise.lists.build import load_product

    return load_product(lake, PRODUCT)


def test_uplift_training_set(lakes):
    duck, spark = (materialize(uplift_training_set(lake)).to_pandas() for lake in lakes.both())
    assert set(duck.treated) == {0, 1} and duck.groupby("treated").converted.sum().min() > 0
    assert_same(duck, spark, ["campaign_id", "customer_id"])
