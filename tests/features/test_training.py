"""The training set in one query (each member row with its campaign's cutoff) against one query per campaign."""

from callwise.features import materialize
from callwise.features.training import past_campaigns, training_set, training_set_by_campaign
from tests.parity.compare import assert_same


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
