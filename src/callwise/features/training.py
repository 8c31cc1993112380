"""The training set: past campaign members, features as of each campaign's start, label from after it.

A row is one treatment-group member of one past campaign (the control group was never called, so it says
nothing about what a call achieves). The label is whether the member bought the campaign's product within
``horizon_days`` of the start. Campaigns whose label window is not over yet in the data are left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from callwise.features.asof import customer_features
from callwise.i18n.errors import Translated
from callwise.lake import Lake


class TrainingDataError(Translated, ValueError):
    """The lake cannot yield a training set (no past campaigns, no members …)."""


def past_campaigns(lake: Lake, horizon_days: int) -> list[dict]:
    """Campaigns whose whole label window lies inside the data."""
    if not lake.has("campaigns"):
        raise TrainingDataError("train.no_campaigns")
    campaigns = lake.table("campaigns").order_by("start_at").to_pyarrow().to_pylist()
    data_end = _data_end(lake)
    return [c for c in campaigns if c["start_at"] + timedelta(days=horizon_days) <= data_end]


def _data_end(lake: Lake) -> datetime:
    ends = []
    for name in ("transactions", "contacts", "conversions"):
        if lake.has(name):
            ends.append(lake.table(name).ts.max().to_pyarrow().as_py())
    ends = [e for e in ends if e is not None]
    if not ends:
        raise TrainingDataError("train.no_activity")
    return max(ends)


def _members(lake: Lake, campaign_id: str) -> ir.Table:
    if lake.has("campaign_members"):
        m = lake.table("campaign_members")
        return m.filter((m.campaign_id == campaign_id) & (m.group == "treatment")).select("customer_id")
    k = lake.table("contacts")  # no member list: everyone the campaign called
    return k.filter(k.campaign_id == campaign_id).select("customer_id").distinct()


def training_set(lake: Lake, horizon_days: int = 30) -> ir.Table:
    """Features and label for every treatment member of every finished past campaign."""
    campaigns = past_campaigns(lake, horizon_days)
    if not campaigns:
        raise TrainingDataError("train.no_label_window", days=horizon_days)
    conversions = lake.table("conversions")
    parts = []
    for c in campaigns:
        start, product = c["start_at"], c["product_id"]
        members = _members(lake, c["campaign_id"])
        features = customer_features(lake, start, product, customers=members)
        window = conversions.filter(
            (conversions.product_id == product)
            & (conversions.ts >= ibis.literal(start))
            & (conversions.ts < ibis.literal(start + timedelta(days=horizon_days)))
        )
        labelled = features.mutate(
            converted=features.customer_id.isin(window.customer_id).cast("int64"),
            campaign_id=ibis.literal(c["campaign_id"]),
            product_id=ibis.literal(product),
            cutoff=ibis.literal(start),
        )
        parts.append(labelled)
    return ibis.union(*parts) if len(parts) > 1 else parts[0]
