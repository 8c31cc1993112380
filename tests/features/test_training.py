"""The training set in one query (each member row with its campaign's cutoff) against one query per campaign."""

import shutil
from datetime import timedelta
from pathlib import Path

import ibis
import pyarrow.compute as pc
import pytest

from callwise.features import customer_features, materialize
from callwise.features.training import TrainingDataError, past_campaigns, training_set, uplift_training_set
from callwise.i18n.errors import message
from callwise.lake import Lake
from tests.parity.compare import assert_same

CATEGORY_FEATURES = {"balance_same_category", "n_views_category_14d", "n_views_category_90d"}


def training_set_by_campaign(lake: Lake, campaigns: list[dict], horizon_days: int) -> ibis.Table:
    """The reference: the list's own features query once per campaign, its treatment members, a union."""
    conversions, members = lake.table("conversions"), lake.table("campaign_members")
    parts = []
    for c in campaigns:
        start, product = c["start_at"], c["product_id"]
        treated = members.filter((members.campaign_id == c["campaign_id"]) & (members.group == "treatment"))
        features = customer_features(lake, start, product, customers=treated.select("customer_id"))
        window = conversions.filter(
            (conversions.product_id == product)
            & (conversions.ts >= ibis.literal(start))
            & (conversions.ts < ibis.literal(start + timedelta(days=horizon_days)))
        )
        parts.append(
            features.mutate(
                converted=features.customer_id.isin(window.customer_id).cast("int64"),
                campaign_id=ibis.literal(c["campaign_id"]),
                product_id=ibis.literal(product),
                cutoff=ibis.literal(start),
            )
        )
    return ibis.union(*parts)


def test_one_query_for_all_campaigns_gives_the_rows_of_one_query_per_campaign(small_bank):
    lake = small_bank["lake"]
    campaigns = past_campaigns(lake, 30)
    assert len(campaigns) >= 3 and len({c["product_id"] for c in campaigns}) >= 2
    by_campaign = materialize(training_set_by_campaign(lake, campaigns, 30))
    at_once = materialize(training_set(lake, horizon_days=30))
    assert at_once.schema == by_campaign.schema
    frame = at_once.to_pandas()
    in_several = frame.groupby("customer_id").campaign_id.nunique()
    assert (in_several > 1).sum() > 100, "customers in two campaigns: each has a row as of each campaign's start"
    assert frame.converted.sum() > 0
    # Sums of the same amounts in another order may differ in the last bits (as between two runs of one engine).
    assert_same(by_campaign, at_once, ["campaign_id", "customer_id"], rel=1e-12)


def test_a_product_without_a_category_leaves_the_category_features_out_for_every_campaign(small_bank, tmp_path):
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    lake = Lake(tmp_path / "lake")
    products = lake.table("products").to_pyarrow()
    first = past_campaigns(lake, 30)[0]["product_id"]
    category = products.column("category")
    blank = pc.if_else(pc.equal(products.column("product_id"), first), None, category)
    lake.write("products", products.set_column(products.schema.get_field_index("category"), "category", blank))
    mixed = materialize(training_set(lake, horizon_days=30))
    full = materialize(training_set(small_bank["lake"], horizon_days=30))
    assert set(full.column_names) >= CATEGORY_FEATURES and not CATEGORY_FEATURES & set(mixed.column_names)
    assert_same(full.select(mixed.column_names), mixed, ["campaign_id", "customer_id"], rel=1e-12)


def test_the_uplift_training_set_is_the_treatment_rows_plus_the_control_members(small_bank):
    lake = small_bank["lake"]
    treated_only = materialize(training_set(lake, horizon_days=30)).to_pandas()
    both = materialize(uplift_training_set(lake, horizon_days=30)).to_pandas()
    assert list(both.columns) == [*treated_only.columns, "treated"]
    members = lake.table("campaign_members").to_pandas()
    ids = set(both.campaign_id)
    control = members[members.campaign_id.isin(ids) & (members.group == "control")]
    assert (both.treated == 0).sum() == len(control) > 100
    assert 0.05 < (both.treated == 0).mean() < 0.15, "the synthetic campaigns hold out about a tenth"
    # The treatment rows are the response model's training set, row for row.
    treated = both[both.treated == 1].drop(columns="treated")
    assert_same(treated_only, treated.reset_index(drop=True), ["campaign_id", "customer_id"], rel=1e-12)
    buyers = both.groupby("treated").converted.sum()
    assert buyers[0] > 0 and buyers[1] > 0, "both groups have buyers: the increment is learnable"
    assert not both.duplicated(["campaign_id", "customer_id"]).any()


def test_the_uplift_training_set_needs_the_member_list(small_bank, tmp_path):
    shutil.copytree(small_bank["lake"].root, tmp_path / "lake")
    lake = Lake(tmp_path / "lake")
    for path in lake.files("campaign_members"):
        Path(path).unlink()
    assert not lake.has("campaign_members")
    assert training_set(lake, horizon_days=30) is not None  # the response model falls back to the calls
    with pytest.raises(TrainingDataError) as refused:
        uplift_training_set(lake, horizon_days=30)
    assert "campaign_members" in message(refused.value, "en") and "campaign_members" in message(refused.value, "zh")
