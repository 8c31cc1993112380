"""The training set: past campaign members, features as of each campaign's start, label from after it.

A row is one treatment-group member of one past campaign (the control group was never called, so it says
nothing about what a call achieves). The label is whether the member bought the campaign's product within
``horizon_days`` of the start. Campaigns whose label window is not over yet in the data are left out.

The uplift training set (:func:`uplift_training_set`) is the same query over the treatment AND the control
members, with ``treated`` saying which: the randomised control group is what makes the increment learnable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from callwise.features.asof import (
    ASOF_CAMPAIGN,
    ASOF_CATEGORY,
    ASOF_CUTOFF,
    ASOF_PRODUCT,
    RowCutoffs,
    Source,
    category_of,
    features_as_of,
    join_on_keys,
)
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


def training_set(lake: Lake, horizon_days: int = 30) -> ir.Table:
    """Features and label for every treatment member of every finished past campaign.

    One query for all campaigns: each member row carries its campaign's start, product and category
    (:class:`RowCutoffs`), so every source table is read once, not once per campaign. When a campaign's product
    has no category, no row gets the features by category (a training set has one set of columns).
    """
    campaigns = _finished(lake, horizon_days)
    return _labelled(lake, campaigns, _all_members(lake, campaigns), horizon_days)


def uplift_training_set(lake: Lake, horizon_days: int = 30) -> ir.Table:
    """Features and label for every treatment and control member of every finished past campaign.

    The columns of :func:`training_set` plus ``treated`` (1: treatment, called; 0: randomised control, never
    called), so the model learns the effect of being on the list. Needs the member list (``campaign_members``):
    the calls alone say nothing of whom a campaign held out.
    """
    campaigns = _finished(lake, horizon_days)
    if not lake.has("campaign_members"):
        raise TrainingDataError("train.uplift.no_members")
    m = lake.table("campaign_members")
    m = m.filter(m.campaign_id.isin([c["campaign_id"] for c in campaigns]) & m.group.isin(["treatment", "control"]))
    groups = m.select(
        **{ASOF_CAMPAIGN: m.campaign_id}, customer_id=m.customer_id, treated=(m.group == "treatment").cast("int64")
    ).distinct()
    labelled = _labelled(lake, campaigns, groups.select(*RowCutoffs.keys).distinct(), horizon_days)
    flags = groups.rename(campaign_id=ASOF_CAMPAIGN)
    return labelled.join(flags, ["campaign_id", "customer_id"])


def _finished(lake: Lake, horizon_days: int) -> list[dict]:
    campaigns = past_campaigns(lake, horizon_days)
    if not campaigns:
        raise TrainingDataError("train.no_label_window", days=horizon_days)
    return campaigns


def _labelled(lake: Lake, campaigns: list[dict], members: ir.Table, horizon_days: int) -> ir.Table:
    """Features as of each campaign's start and the label after it, for ``members`` ((campaign, customer) rows)."""
    categories = {p: category_of(lake, p) for p in sorted({c["product_id"] for c in campaigns})}
    cuts = _cutoffs(campaigns, categories)
    source = Source(lake, None, members=members.join(cuts, ASOF_CAMPAIGN))
    features = features_as_of(source, RowCutoffs(with_category=all(categories.values())))
    conversions = source.table("conversions")
    cutoff = conversions[ASOF_CUTOFF]
    window = conversions.filter(
        (conversions.product_id == conversions[ASOF_PRODUCT])
        & (conversions.ts >= cutoff)
        & (conversions.ts < cutoff + ibis.interval(days=horizon_days))
    )
    bought = window.select(*RowCutoffs.keys).distinct().mutate(bought=ibis.literal(1, "int64"))
    labelled = join_on_keys(features, bought, RowCutoffs.keys)
    labelled = labelled.join(cuts.drop(ASOF_CATEGORY), ASOF_CAMPAIGN)
    names = [n for n in labelled.columns if n not in (*RowCutoffs.columns, "bought")]
    return labelled.select(
        *names,
        converted=labelled.bought.fill_null(0),
        campaign_id=labelled[ASOF_CAMPAIGN],
        product_id=labelled[ASOF_PRODUCT],
        cutoff=labelled[ASOF_CUTOFF],
    )


def _cutoffs(campaigns: list[dict], categories: dict[str, str | None]) -> ir.Table:
    """A row per campaign: its id, start, product and the product's category (a small in-memory table)."""
    return ibis.memtable(
        pa.table(
            {
                ASOF_CAMPAIGN: pa.array([c["campaign_id"] for c in campaigns], pa.string()),
                ASOF_CUTOFF: pa.array([c["start_at"] for c in campaigns], pa.timestamp("us")),
                ASOF_PRODUCT: pa.array([c["product_id"] for c in campaigns], pa.string()),
                ASOF_CATEGORY: pa.array([categories[c["product_id"]] for c in campaigns], pa.string()),
            }
        )
    )


def _all_members(lake: Lake, campaigns: list[dict]) -> ir.Table:
    """(campaign, customer) once per treatment member of each campaign; without a member list, each customer the
    campaign called."""
    ids = [c["campaign_id"] for c in campaigns]
    if lake.has("campaign_members"):
        m = lake.table("campaign_members")
        m = m.filter(m.campaign_id.isin(ids) & (m.group == "treatment"))
    else:
        m = lake.table("contacts")  # no member list: everyone the campaign called
        m = m.filter(m.campaign_id.isin(ids))
    return m.select(**{ASOF_CAMPAIGN: m.campaign_id}, customer_id=m.customer_id).distinct()
