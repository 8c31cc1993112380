"""The lake side of attribution: touches, the paths they make, and the small tables the methods read.

Everything here is Ibis (DuckDB or Spark, tests/parity/test_attribution_parity.py); only aggregates come back.

- A **touch** is one channel reaching one customer in one campaign: the contacts of a (customer, campaign, channel)
  are one touch at the first contact's time, so a call's several attempts to a list member are one touch, as the
  call's increment is defined for a list place (docs/decisions/0052-attribution.md). Every disposition counts
  (intention to treat: a call not answered is still the touch the list paid for); control contacts do not.
- A touch's **product** is the contact's product, else its campaign's.
- A **path** ends in the customer's earliest conversion of the touch's product after the touch and within
  ``lookback_days`` after the later of the touch and its campaign's end (the window the control members are
  watched over, so treated and control customers have the same time to buy), or in null when there is none: every
  touch belongs to exactly one path, keyed (customer, product, conversion time or none). A path's **campaign** is
  its last touch's.
- The control members of each campaign are the **empty path** (no touch), converted when they bought the campaign's
  product from its start to ``lookback_days`` after its end: the baseline the causal methods subtract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
import pandas as pd

from callwise.attribution.errors import AttributionError
from callwise.features.asof import age_on
from callwise.features.members import SEGMENT_COLUMN, age_band
from callwise.lake import Lake
from callwise.lake.frames import to_pandas
from callwise.schema.contract import CHANNELS

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
MAX_LOOKBACK_DAYS = 365
MAX_CHANNELS = 62  # a channel set is a bitmask in a 64-bit integer
CONTROLS = ("age_band", "income_band", "segment")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class PathTables:
    """The aggregates every method reads (pandas frames of a few hundred rows at most)."""

    channels: tuple[str, ...]  # bit i of a mask is channels[i]
    transitions: pd.DataFrame  # campaign_id, source, target, n (first order: states are channels)
    set_transitions: pd.DataFrame  # campaign_id, eligible, source, target, n (states: the sets seen so far; −1, −2 end)
    sets: pd.DataFrame  # campaign_id, eligible, mask, age_band, income_band, segment, converted, n (mask 0: control)
    credits: pd.DataFrame  # campaign_id, channel, touches, first, last, linear (the last three over converted paths)
    groups: pd.DataFrame  # campaign_id, group, members, conversions (the randomised comparison)
    lookback_days: int


def path_tables(lake: Lake, campaign_id: str | None = None, lookback_days: int = 30) -> PathTables:
    """The aggregates of the paths of ``campaign_id``'s touches (every campaign's when None)."""
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int):
        raise AttributionError("attribution.error.lookback", value=repr(lookback_days), most=MAX_LOOKBACK_DAYS)
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise AttributionError("attribution.error.lookback", value=repr(lookback_days), most=MAX_LOOKBACK_DAYS)
    for name in ("contacts", "conversions"):
        if not lake.has(name):
            raise AttributionError("attribution.error.no_table", table=name)
    campaigns = _campaigns(lake)
    touch = touches(lake, campaigns, campaign_id)
    found = touch.select("channel").distinct().to_pyarrow()["channel"].to_pylist()
    if not found:
        if campaign_id is not None:
            raise AttributionError("attribution.error.no_touches_campaign", campaign=campaign_id)
        raise AttributionError("attribution.error.no_touches")
    channels = _ordered(found)
    if len(channels) > MAX_CHANNELS:
        raise AttributionError("attribution.error.too_many_channels", n=len(channels), most=MAX_CHANNELS)
    day = touch.ts.max().to_pyarrow().as_py().date()
    paths = _paths(touch, _conversions(lake), lookback_days, channels)
    traits = _traits(lake, day)
    members = _members(lake, campaigns, campaign_id, lookback_days)
    eligible = _eligibility(lake, campaigns, channels, campaign_id)
    return PathTables(
        channels=channels,
        transitions=_transitions(paths),
        set_transitions=_set_transitions(_with_eligible(paths, eligible, channels, "path_campaign")),
        sets=_sets(paths, channels, traits, members, eligible),
        credits=_credits(paths),
        groups=_groups(members),
        lookback_days=lookback_days,
    )


def _ordered(found: list[str]) -> tuple[str, ...]:
    """The contract's channels in its order, then any other a bank records, alphabetically."""
    known = [c for c in CHANNELS if c in found]
    return tuple(known + sorted(set(found) - set(known)))


def _campaigns(lake: Lake) -> ir.Table | None:
    """campaign_id, product_id, start_at of the lake's campaigns (None without the table)."""
    if not lake.has("campaigns"):
        return None
    table = lake.table("campaigns")
    if "campaign_id" not in table.columns:
        return None
    return table.select(
        campaign_id=table.campaign_id.cast("string"),
        c_product=table.product_id.cast("string") if "product_id" in table.columns else ibis.null("string"),
        c_start=table.start_at.cast("timestamp(6)") if "start_at" in table.columns else ibis.null("timestamp(6)"),
        c_end=table.end_at.cast("timestamp(6)") if "end_at" in table.columns else ibis.null("timestamp(6)"),
    ).distinct(on="campaign_id", keep="first")


def touches(lake: Lake, campaigns: ir.Table | None, campaign_id: str | None = None) -> ir.Table:
    """customer_id, campaign_id ('' for none), product_id, channel, ts, watched_from: one row per touch (see the
    module)."""
    contacts = lake.table("contacts")
    columns = contacts.columns
    keep = contacts.channel.notnull() & contacts.ts.notnull() & contacts.customer_id.notnull()
    if "group" in columns:
        keep &= contacts.group.isnull() | (contacts.group.cast("string") != "control")
    rows = contacts.filter(keep).select(
        customer_id=contacts.customer_id.cast("string"),
        campaign_id=contacts.campaign_id.cast("string").fill_null("") if "campaign_id" in columns else ibis.literal(""),
        product_id=contacts.product_id.cast("string") if "product_id" in columns else ibis.null("string"),
        channel=contacts.channel.cast("string"),
        ts=contacts.ts.cast("timestamp(6)"),
    )
    if campaign_id is not None:
        rows = rows.filter(rows.campaign_id == campaign_id)
    if campaigns is not None:
        rows = rows.left_join(campaigns, "campaign_id")
        rows = rows.mutate(product_id=rows.product_id.fill_null(rows.c_product), ends=rows.c_end).drop(
            "campaign_id_right", "c_product", "c_start", "c_end"
        )
    else:
        rows = rows.mutate(ends=ibis.null("timestamp(6)"))
    rows = rows.filter(rows.product_id.notnull())
    grouped = rows.group_by("customer_id", "campaign_id", "product_id", "channel").agg(
        ts=rows.ts.min(), ends=rows.ends.max()
    )
    # the touch's window opens at the touch and closes lookback days after the later of it and the campaign's end
    return grouped.mutate(watched_from=ibis.greatest(grouped.ts, grouped.ends.fill_null(grouped.ts))).drop("ends")


def _conversions(lake: Lake) -> ir.Table:
    table = lake.table("conversions")
    return table.filter(table.ts.notnull() & table.product_id.notnull()).select(
        customer_id=table.customer_id.cast("string"),
        product_id=table.product_id.cast("string"),
        conv_ts=table.ts.cast("timestamp(6)"),
    )


def _paths(touch: ir.Table, conversions: ir.Table, lookback_days: int, channels: tuple[str, ...]) -> ir.Table:
    """Each touch with its path (customer, product, conversion time or ''), its place in it, the path's campaign and
    the set of channels seen up to it (``seen``, a mask)."""
    joined = touch.left_join(
        conversions,
        [
            touch.customer_id == conversions.customer_id,
            touch.product_id == conversions.product_id,
            conversions.conv_ts > touch.ts,
            conversions.conv_ts <= touch.watched_from + ibis.interval(days=lookback_days),
        ],
    )
    keys = ["customer_id", "campaign_id", "product_id", "channel", "ts"]
    ended = joined.group_by(keys).agg(conv_ts=joined.conv_ts.min())
    ended = ended.mutate(
        converted=ended.conv_ts.notnull(),
        path=ended.conv_ts.cast("string").fill_null(""),
    )
    by_path = ["customer_id", "product_id", "path"]
    order = ibis.window(group_by=by_path, order_by=[ended.ts, ended.channel, ended.campaign_id])
    backwards = ibis.window(
        group_by=by_path, order_by=[ended.ts.desc(), ended.channel.desc(), ended.campaign_id.desc()]
    )
    so_far = ibis.window(
        group_by=by_path, order_by=[ended.ts, ended.channel, ended.campaign_id], preceding=None, following=0
    )
    seen = sum(
        (ibis.ifelse(ended.channel == c, 1 << i, 0).cast("int64").max().over(so_far) for i, c in enumerate(channels)),
        ibis.literal(0, "int64"),
    )
    return ended.mutate(
        seen=seen,
        pos=ibis.row_number().over(order),
        length=ended.channel.count().over(ibis.window(group_by=by_path)),
        previous=ended.channel.lag().over(order),
        path_campaign=ended.campaign_id.first().over(backwards),
    )


def _transitions(paths: ir.Table) -> pd.DataFrame:
    """First-order transitions: (start)→channel, channel→channel, last channel→(conversion) or (null)."""
    steps = paths.select(campaign_id=paths.path_campaign, source=paths.previous.fill_null(START), target=paths.channel)
    last = paths.filter(paths.pos == paths.length - 1)
    ends = last.select(
        campaign_id=last.path_campaign,
        source=last.channel,
        target=ibis.ifelse(last.converted, CONVERSION, NULL),
    )
    both = steps.union(ends)
    counted = both.group_by("campaign_id", "source", "target").agg(n=both.count())
    frame = to_pandas(counted)
    return frame.sort_values(["campaign_id", "source", "target"]).reset_index(drop=True)


def _set_transitions(paths: ir.Table) -> pd.DataFrame:
    """Transitions between the sets of channels seen so far (mask → mask), and from the last to −1 (conversion) or
    −2 (null): the chain whose state remembers which channels a customer has had, not their order."""
    order = ibis.window(
        group_by=["customer_id", "product_id", "path"], order_by=[paths.ts, paths.channel, paths.campaign_id]
    )
    stepped = paths.mutate(before=paths.seen.lag().over(order).fill_null(0))
    steps = stepped.select(
        campaign_id=stepped.path_campaign, eligible=stepped.eligible, source=stepped.before, target=stepped.seen
    )
    last = paths.filter(paths.pos == paths.length - 1)
    ends = last.select(
        campaign_id=last.path_campaign,
        eligible=last.eligible,
        source=last.seen,
        target=ibis.ifelse(last.converted, -1, -2).cast("int64"),
    )
    both = steps.union(ends)
    counted = both.group_by("campaign_id", "eligible", "source", "target").agg(n=both.count())
    frame = to_pandas(counted)
    return frame.sort_values(["campaign_id", "eligible", "source", "target"]).reset_index(drop=True)


def _credits(paths: ir.Table) -> pd.DataFrame:
    """Per campaign and channel: touches, and the first-, last- and linear-touch credit of converted paths."""
    won = paths.converted
    agg = paths.group_by(campaign_id=paths.path_campaign, channel=paths.channel).agg(
        touches=paths.count(),
        first=ibis.ifelse(won & (paths.pos == 0), 1, 0).sum(),
        last=ibis.ifelse(won & (paths.pos == paths.length - 1), 1, 0).sum(),
        linear=ibis.ifelse(won, 1.0 / paths.length.cast("float64"), 0.0).sum(),
    )
    frame = to_pandas(agg)
    return frame.sort_values(["campaign_id", "channel"]).reset_index(drop=True)


def _traits(lake: Lake, day: date) -> ir.Table | None:
    """customer_id and the controls of the regression (age band, income band, segment); None without customers."""
    if not lake.has("customers"):
        return None
    customers = lake.table("customers")
    columns = set(customers.columns)
    nothing = ibis.null("string")
    income = customers.income_monthly.cast("float64") if "income_monthly" in columns else None
    return customers.select(
        customer_id=customers.customer_id.cast("string"),
        age_band=age_band(age_on(customers, day)) if {"birth_date", "age"} & columns else nothing,
        income_band=_income_band(income) if income is not None else nothing,
        segment=customers[SEGMENT_COLUMN].cast("string") if SEGMENT_COLUMN in columns else nothing,
    ).distinct(on="customer_id", keep="first")


def _income_band(income: ir.FloatingValue) -> ir.StringValue:
    return ibis.cases(
        (income >= 30_000, "30k+"),
        (income >= 15_000, "15k-30k"),
        (income >= 8_000, "8k-15k"),
        (income >= 0, "<8k"),
        else_=ibis.null("string"),
    )


def _with_traits(table: ir.Table, traits: ir.Table | None) -> ir.Table:
    if traits is None:
        return table.mutate(**{name: ibis.literal(UNKNOWN) for name in CONTROLS})
    joined = table.left_join(traits, "customer_id").drop("customer_id_right")
    return joined.mutate(**{name: joined[name].fill_null(UNKNOWN) for name in CONTROLS})


def _sets(
    paths: ir.Table,
    channels: tuple[str, ...],
    traits: ir.Table | None,
    members: ir.Table | None,
    eligible: ir.Table | None,
) -> pd.DataFrame:
    """Per path its channel set as a bitmask, grouped with the controls and the outcome; control members as mask 0."""
    bits = {f"b{i}": ibis.ifelse(paths.channel == c, 1 << i, 0).max() for i, c in enumerate(channels)}
    per_path = paths.group_by("customer_id", "product_id", "path").agg(
        campaign_id=paths.path_campaign.max(), converted=paths.converted.max(), **bits
    )
    mask = sum((per_path[f"b{i}"].cast("int64") for i in range(len(channels))), ibis.literal(0, "int64"))
    treated = per_path.select("customer_id", "campaign_id", "converted", mask=mask)
    rows = treated
    if members is not None:
        control = members.filter(members.group == "control")
        rows = treated.union(control.select("customer_id", "campaign_id", "converted", mask=ibis.literal(0, "int64")))
    rows = _with_traits(_with_eligible(rows, eligible, channels, "campaign_id"), traits)
    keys = ["campaign_id", "eligible", "mask", *CONTROLS, "converted"]
    grouped = rows.group_by(*keys).agg(n=rows.count())
    frame = to_pandas(grouped)
    frame["converted"] = frame["converted"].astype(bool)
    return frame.sort_values(keys).reset_index(drop=True)


def _eligibility(
    lake: Lake, campaigns: ir.Table | None, channels: tuple[str, ...], campaign_id: str | None
) -> ir.Table | None:
    """campaign_id, customer_id, eligible: the channels whose marketing consent was in force and granted at the
    campaign's start (the newest consents row at or before it; a call's also from customers.consent_marketing), as
    a mask. None without a consents table: every
    channel counts as open to everyone. A touch is randomised among the customers a channel may reach, so the
    causal methods compare customers of the same eligibility (docs/decisions/0052-attribution.md)."""
    if campaigns is None or not lake.has("consents"):
        return None
    consents = lake.table("consents")
    if not {"customer_id", "channel", "purpose", "granted", "ts"} <= set(consents.columns):
        return None
    rows = consents.filter((consents.purpose.cast("string") == "marketing") & consents.ts.notnull()).select(
        customer_id=consents.customer_id.cast("string"),
        channel=consents.channel.cast("string"),
        granted=consents.granted.cast("boolean"),
        ts=consents.ts.cast("timestamp(6)"),
    )
    if "call" in channels and lake.has("customers"):
        rows = rows.union(_call_consent_rows(lake.table("customers")))
    known = campaigns.filter(campaigns.c_start.notnull()).select("campaign_id", "c_start")
    if campaign_id is not None:
        known = known.filter(known.campaign_id == campaign_id)
    joined = rows.cross_join(known)
    joined = joined.filter(joined.ts <= joined.c_start)
    newest = ibis.window(
        group_by=[joined.campaign_id, joined.customer_id, joined.channel],
        order_by=[joined.ts.desc(), joined.granted.cast("int8")],
    )
    ranked = joined.mutate(_rank=ibis.row_number().over(newest))
    in_force = ranked.filter((ranked._rank == 0) & ranked.granted)
    bits = sum(
        (ibis.ifelse(in_force.channel == c, 1 << i, 0).cast("int64").max() for i, c in enumerate(channels)),
        ibis.literal(0, "int64"),
    )
    return in_force.group_by("campaign_id", "customer_id").agg(eligible=bits)


def _call_consent_rows(customers: ir.Table) -> ir.Table:
    """A call's consent as the policy reads it, ``customers.consent_marketing``, as one more consents row (dated
    ``consent_updated_at``, else long ago): the newest row still wins, so a consents table need not repeat calls."""
    updated = (
        customers.consent_updated_at.cast("timestamp(6)")
        if "consent_updated_at" in customers.columns
        else ibis.null("timestamp(6)")
    )
    return customers.select(
        customer_id=customers.customer_id.cast("string"),
        channel=ibis.literal("call"),
        granted=customers.consent_marketing.cast("boolean").fill_null(False),
        ts=updated.fill_null(ibis.literal("1900-01-01 00:00:00").cast("timestamp(6)")),
    )


def _with_eligible(
    table: ir.Table, eligible: ir.Table | None, channels: tuple[str, ...], campaign_column: str
) -> ir.Table:
    """``table`` with its customer's eligibility mask in its campaign (0 for a customer with no consent in force);
    every channel's bit without a consents table."""
    if eligible is None:
        return table.mutate(eligible=ibis.literal((1 << len(channels)) - 1, "int64"))
    right = eligible.rename(_campaign="campaign_id", _customer="customer_id")
    joined = table.left_join(right, [table[campaign_column] == right._campaign, table.customer_id == right._customer])
    return joined.drop("_campaign", "_customer").mutate(eligible=joined.eligible.fill_null(0))


def _members(lake: Lake, campaigns: ir.Table | None, campaign_id: str | None, lookback_days: int) -> ir.Table | None:
    """campaign_id, customer_id, group, converted of every member of a campaign with a known product and start:
    converted when the member bought the product from the campaign's start to ``lookback_days`` after its end
    (``end_at``; its start when it has none), since a path's last touch may be on the campaign's last day."""
    if not lake.has("campaign_members") or campaigns is None:
        return None
    table = lake.table("campaign_members")
    if not {"campaign_id", "customer_id", "group"} <= set(table.columns):
        return None
    rows = table.filter(table.group.isin(["treatment", "control"])).select(
        campaign_id=table.campaign_id.cast("string"),
        customer_id=table.customer_id.cast("string"),
        group=table.group.cast("string"),
    )
    if campaign_id is not None:
        rows = rows.filter(rows.campaign_id == campaign_id)
    rows = rows.distinct(on=["campaign_id", "customer_id"], keep="first")
    known = campaigns.filter(campaigns.c_product.notnull() & campaigns.c_start.notnull())
    rows = rows.join(known, "campaign_id")
    sales = _conversions(lake)
    bought = rows.join(
        sales,
        [
            rows.customer_id == sales.customer_id,
            rows.c_product == sales.product_id,
            sales.conv_ts >= rows.c_start,
            sales.conv_ts < rows.c_end.fill_null(rows.c_start) + ibis.interval(days=lookback_days),
        ],
    )
    who = bought.select(rows.campaign_id, rows.customer_id).distinct().mutate(bought=ibis.literal(True))
    joined = rows.left_join(who, ["campaign_id", "customer_id"])
    return joined.select("campaign_id", "customer_id", "group", converted=joined.bought.fill_null(False))


def _groups(members: ir.Table | None) -> pd.DataFrame:
    columns = ["campaign_id", "group", "members", "conversions"]
    if members is None:
        return pd.DataFrame(columns=columns)
    agg = members.group_by("campaign_id", "group").agg(
        members=members.count(), conversions=ibis.ifelse(members.converted, 1, 0).sum()
    )
    frame = to_pandas(agg)
    return frame[columns].sort_values(["campaign_id", "group"]).reset_index(drop=True)
