"""A campaign's own selection before the contact policy: its audience (a tag expression) and its segment map.

Each is a step of the list's funnel with a reason code, ahead of the policy's rules:

- ``no_live_moment``: the campaign is triggered (``trigger:``, docs/moments.md) and the customer has no live moment
  of its ids at the campaign's cutoff in the lake's moments table built as of that cutoff; a customer with one gets
  the first of the campaign's ids that is live as their ``moment_id``;
- ``not_in_audience``: the campaign's ``audience:`` expression, over the lake's tag table built as of the
  campaign's cutoff, does not select the customer;
- ``segment_not_mapped``: the campaign maps segments (``segments:``) and the customer's segment is not one of
  them, or the customer has none (the map is exhaustive: a segment the campaign does not name is not called);
- ``segment_other_product``: the customer's segment is mapped to another product than the campaign's.

Customers of a mapped segment get its script arm (instead of the hash's) and its calling hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, cast

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.clock import today_in
from callwise.i18n.errors import Translated
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.lists.campaign import Campaign, CampaignSettings, campaign_catalogue
from callwise.policy import CustomerVerdicts, Policy
from callwise.policy.customers import CUSTOMER_CODES, primary_and_reasons
from callwise.schedule.slots import Slots
from callwise.schema.contract import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from callwise.tags import Catalogue

CAMPAIGN_CODES = ("no_live_moment", "not_in_audience", "segment_not_mapped", "segment_other_product")
SEGMENTS = "segments"


class SegmentsError(Translated, ValueError):
    """A campaign that maps segments on a lake without them."""


@dataclass(frozen=True)
class SegmentPlans:
    """Per customer of a mapped segment (index customer_id): its ``arm`` and ``first_hour``/``last_hour`` (NaN:
    the campaign's own)."""

    frame: pd.DataFrame


def campaign_codes(campaign: Campaign) -> tuple[str, ...]:
    """The campaign's steps, in funnel order: only those its file asks for (other lists keep their funnel)."""
    codes: tuple[str, ...] = ("no_live_moment",) if campaign.trigger is not None else ()
    codes += ("not_in_audience",) if campaign.audience is not None else ()
    return codes + (CAMPAIGN_CODES[2:] if campaign.segments is not None else ())


def select(verdicts: CustomerVerdicts, lake: Lake, campaign: Campaign) -> tuple[CustomerVerdicts, SegmentPlans | None]:
    """The verdicts with the campaign's steps ahead of the policy's rules, and the mapped segments' plans."""
    codes = campaign_codes(campaign)
    if not codes:
        return verdicts, None
    selected = to_pandas(campaign_selection(lake, campaign)).drop_duplicates("customer_id").set_index("customer_id")
    ids = verdicts.frame["customer_id"].to_numpy()
    found = selected.reindex(ids)
    frame = verdicts.frame.copy()
    if campaign.trigger is not None:
        moment = found["moment_id"]
        frame["moment_id"] = moment.astype(object).where(moment.notna(), None).to_numpy()
        frame["no_live_moment"] = moment.isna().to_numpy()
    if campaign.audience is not None:
        frame["not_in_audience"] = ~found["in_audience"].fillna(False).to_numpy(bool)
    plans = None
    if campaign.segments is not None:
        segment = found["segment_id"]
        mapped = found["mapped"].fillna(False).to_numpy(bool)
        other = mapped & (found["product"].fillna(campaign.product_id) != campaign.product_id).to_numpy(bool)
        frame["segment"] = segment.astype(object).where(segment.notna(), None).to_numpy()
        frame["segment_not_mapped"] = ~mapped
        frame["segment_other_product"] = other
        plans = SegmentPlans(found.loc[mapped & ~other, ["arm", "first_hour", "last_hour"]])
    primary, reasons = primary_and_reasons(frame, (*codes, *CUSTOMER_CODES))
    return replace(verdicts, frame=frame, primary=primary, reasons=reasons, campaign_codes=codes), plans


def campaign_selection(lake: Lake, campaign: Campaign) -> ir.Table:
    """customer_id, the live moment picked (moment_id), in_audience and the segment's id and plan (segment_id,
    mapped, product, arm, hours)."""
    from callwise.tags import stored_audience

    people = lake.table("customers").select("customer_id")
    if campaign.trigger is not None:
        from callwise.moments import pick_moment, stored_moments

        picked = pick_moment(stored_moments(lake, campaign.cutoff), campaign.cutoff, list(campaign.trigger))
        people = people.left_join(picked, "customer_id").drop("customer_id_right")
    if campaign.audience is not None:
        audience = stored_audience(lake, campaign_catalogue(campaign), campaign.audience, campaign.cutoff)
        people = people.left_join(audience, "customer_id").drop("customer_id_right")
    if campaign.segments is not None:
        people = people.left_join(_segment_plans(lake, campaign), "customer_id").drop("customer_id_right")
    return people


def _segment_plans(lake: Lake, campaign: Campaign) -> ir.Table:
    if not lake.has(SEGMENTS):
        raise SegmentsError("lists.segments.no_table", campaign=campaign.campaign_id)
    segments = lake.table(SEGMENTS)
    if "assigned_at" in segments.columns:  # the latest assignment of each customer
        latest = segments.group_by("customer_id").aggregate(segment_id=segments.segment_id.argmax(segments.assigned_at))
    else:
        latest = segments.group_by("customer_id").aggregate(segment_id=segments.segment_id.max())
    plans = campaign.segments or {}
    ids = list(plans)
    mapping = ibis.memtable(
        pa.table(
            {
                "segment_id": pa.array(ids, pa.string()),
                "mapped": pa.array([True] * len(ids), pa.bool_()),
                "product": pa.array([plans[s].product for s in ids], pa.string()),
                "arm": pa.array([plans[s].arm for s in ids], pa.string()),
                "first_hour": pa.array([h[0] if (h := plans[s].hours) else None for s in ids], pa.int64()),
                "last_hour": pa.array([h[1] if (h := plans[s].hours) else None for s in ids], pa.int64()),
            }
        )
    )
    joined = latest.left_join(mapping, "segment_id").drop("segment_id_right")
    return joined.mutate(segment_id=joined.segment_id.cast("string"))


def segment_arms(worth: pd.DataFrame, plans: SegmentPlans | None) -> pd.DataFrame:
    """``worth`` with each called (treatment) customer of a mapped segment given that segment's arm."""
    if plans is None or plans.frame["arm"].isna().all():
        return worth
    arm = plans.frame["arm"].reindex(worth["customer_id"].to_numpy()).to_numpy(object)
    use = pd.notna(arm) & (worth["group"] == "treatment").to_numpy()
    out = worth.copy()
    out["arm"] = np.where(use, arm, out["arm"].to_numpy(object))
    return out


def segment_hours(p_answer: np.ndarray, customers: pd.DataFrame, plans: SegmentPlans | None, slots: Slots) -> None:
    """Zero ``p_answer`` (customers × slots) outside each mapped segment's hours, so no call is planned there."""
    if plans is None or plans.frame["first_hour"].isna().all():
        return
    hours = plans.frame[["first_hour", "last_hour"]].reindex(customers["customer_id"].to_numpy())
    slot_hour = pd.DatetimeIndex(slots.starts).hour.to_numpy()
    for key, rows in hours.dropna().groupby(["first_hour", "last_hour"]).groups.items():
        first, last = (int(h) for h in cast(tuple[float, float], key))
        at = np.flatnonzero(customers["customer_id"].isin(rows).to_numpy())
        outside = (slot_hour < first) | (slot_hour >= last)
        p_answer[np.ix_(at, np.flatnonzero(outside))] = 0.0


def preview(
    lake: Lake,
    expression: str,
    cutoff: datetime | None = None,
    permissions: Iterable[str] | None = None,
    catalogue: Catalogue | None = None,
    campaign: CampaignSettings | None = None,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """An audience before any list is built: size, share of the bank, profile, and — given a campaign — how
    many of it the contact policy would let the campaign call (``eligible``).

    ``permissions`` (None: all) decide whether sensitive tags may be named and appear in the profile. The cutoff
    is the campaign's, else the tag table's, else the start of today in the bank's clock.
    """
    from callwise.tags import check_audience, check_permitted, default_catalogue, preview_audience
    from callwise.tags.audience import tags_cutoff

    catalogue = catalogue or (campaign_catalogue(campaign) if campaign is not None else default_catalogue())
    check_permitted(catalogue, check_audience(lake, catalogue, expression), permissions)
    seen = catalogue.visible(permissions) if permissions is not None else catalogue
    if cutoff is None:
        cutoff = campaign.cutoff if campaign is not None else tags_cutoff(lake)
    if cutoff is None:
        cutoff = datetime.combine(today_in(DEFAULT_TIMEZONE), time.min)
    out = {"cutoff": cutoff.date().isoformat(), **preview_audience(lake, seen, expression, cutoff), "eligible": None}
    if campaign is not None:
        out["campaign_id"] = campaign.campaign_id
        out["eligible"] = _eligible(lake, seen, expression, cutoff, campaign, policy)
    return out


def audience_size(
    lake: Lake,
    expression: str,
    cutoff: datetime,
    permissions: Iterable[str] | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """How many customers the expression selects, and the bank's size, in one query (the form's live size).

    Read from the tag table when it was built as of ``cutoff`` (what the build will read), else computed."""
    from callwise.tags import check_audience, check_permitted, default_catalogue, stored_audience
    from callwise.tags.audience import AUDIENCE, audience_table, tags_cutoff

    catalogue = catalogue or default_catalogue()
    check_permitted(catalogue, check_audience(lake, catalogue, expression), permissions)
    stored = tags_cutoff(lake) == cutoff
    if stored:
        table = stored_audience(lake, catalogue, expression, cutoff)
        inside = table["in_audience"]
    else:
        table = audience_table(lake, catalogue, expression, cutoff, [])
        inside = table[AUDIENCE]
    row = table.aggregate(size=table.count(where=inside), bank=table.count()).to_pyarrow().to_pylist()[0]
    size, bank = int(row["size"]), int(row["bank"])
    share = round(size / bank, 6) if bank else 0.0
    return {"size": size, "bank": bank, "share": share, "cutoff": cutoff.date().isoformat(), "from_tag_table": stored}


def _eligible(
    lake: Lake,
    catalogue: Catalogue,
    expression: str,
    cutoff: datetime,
    campaign: CampaignSettings,
    policy: Policy | None,
) -> int:
    """How many of the audience no customer rule of the policy leaves out for the campaign's product and days."""
    from callwise.lists.build import calling_slots, load_product
    from callwise.policy import default_policy, evaluate_customers
    from callwise.tags import audience_filter

    policy = policy or default_policy()
    product = load_product(lake, campaign.product_id)
    days = calling_slots(campaign, policy).days
    verdicts = evaluate_customers(lake, policy, product, campaign.campaign_id, days[0], days[-1])
    ids = audience_filter(lake, catalogue, expression, cutoff).to_pyarrow().column("customer_id")
    eligible = verdicts.eligible["customer_id"]
    return int(eligible.isin(ids.to_pylist()).sum())
