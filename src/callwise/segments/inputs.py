"""The customer × feature matrix segments are fitted on, as of a cutoff, as an Ibis table.

Columns come from the as-of feature table (callwise.features), a few segment features computed here from the
lake (salary and pension credits, when in the day the customer answers calls), and chosen columns of the lake
table ``tags``. ``occupation`` is never an input: in the synthetic bank it *is* the hidden life situation the
segments are judged against, and in a real bank it is a free-text field of uneven quality; a segment found on it
would only repeat it (decision 0043).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir

from callwise.features.asof import customer_features, join_on_keys
from callwise.lake import Lake
from callwise.segments.errors import SegmentError

FORBIDDEN = frozenset({"occupation"})
TAGS_TABLE = "tags"
# Segment features computed here (documented in docs/segments.md).
SALARY = ("工资", "salary")
PENSION = ("养老金", "pension")
ANSWERED = ("answered", "refused", "callback_requested", "interested", "converted", "dnc_requested", "complaint")
DAYTIME_HOURS = (9, 10, 11, 14, 15, 16)  # weekday hours when people at work rarely answer
EVENING_HOURS = (12, 13, 17, 18, 19, 20)  # weekday lunch and evening
OWN = ("salary_credits_365d", "pension_credits_365d", "answer_daytime_minus_evening")
# The default inputs: life stage, income and how it arrives, schooling, and when the customer answers.
DEFAULT_FEATURES = ("age", "income_monthly", "education", *OWN)
# Weights on standardised columns: a salary or pension credit is a fact of a customer's life situation.
DEFAULT_WEIGHTS = {"salary_credits_365d": 2.0, "pension_credits_365d": 2.0}


def segment_features(lake: Lake, cutoff: datetime) -> ir.Table:
    """customer_id and the segment features computed here (:data:`OWN`), for every customer."""
    base = lake.table("customers").select("customer_id")
    if lake.has("transactions"):
        t = lake.table("transactions")
        t = t.filter((t.ts.cast("timestamp") < cutoff) & (t.ts.cast("timestamp") >= cutoff - timedelta(days=365)))
        inflow = t.direction == "in" if "direction" in t.columns else ibis.literal(True)
        category = t.category if "category" in t.columns else ibis.literal("", "string")
        credits = t.group_by("customer_id").aggregate(
            salary_credits_365d=t.count(where=inflow & category.isin(SALARY)),
            pension_credits_365d=t.count(where=inflow & category.isin(PENSION)),
        )
        base = join_on_keys(base, credits, ("customer_id",))
    else:
        base = base.mutate(salary_credits_365d=ibis.literal(0, "int64"), pension_credits_365d=ibis.literal(0, "int64"))
    base = base.mutate(
        salary_credits_365d=base.salary_credits_365d.fill_null(0),
        pension_credits_365d=base.pension_credits_365d.fill_null(0),
    )
    if lake.has("contacts"):
        k = lake.table("contacts")
        k = k.filter((k.channel == "call") & (k.ts.cast("timestamp") < cutoff))
        ts = k.ts.cast("timestamp")
        weekday = ts.day_of_week.index() < 5  # Monday = 0
        answered = k.disposition.isin(ANSWERED).cast("float64")
        day = weekday & ts.hour().isin(DAYTIME_HOURS)
        evening = weekday & ts.hour().isin(EVENING_HOURS)
        rates = k.group_by("customer_id").aggregate(a_day=answered.mean(where=day), a_eve=answered.mean(where=evening))
        rates = rates.select("customer_id", answer_daytime_minus_evening=rates.a_day - rates.a_eve)
        base = join_on_keys(base, rates, ("customer_id",))
    else:
        base = base.mutate(answer_daytime_minus_evening=ibis.null("float64"))
    return base


def input_table(lake: Lake, cutoff: datetime, features: tuple[str, ...], tags: tuple[str, ...] = ()) -> ir.Table:
    """customer_id and the columns asked for (features, then tags ``tag__<id>``), every customer, in id order.

    A name that is no column is a :class:`SegmentError` naming it; so is ``occupation`` and a tag not in the
    lake table ``tags``."""
    if not lake.has("customers"):
        raise SegmentError("segments.no_customers", lake=str(lake.root))
    for name in (*features, *tags):
        if name in FORBIDDEN:
            raise SegmentError("segments.forbidden_input", name=name)
    table = lake.table("customers").select("customer_id")
    wanted_own = [f for f in features if f in OWN]
    if wanted_own:
        own = segment_features(lake, cutoff)
        table = join_on_keys(table, own.select("customer_id", *wanted_own), ("customer_id",))
    rest = [f for f in features if f not in OWN]
    if rest:
        feats = customer_features(lake, cutoff)
        missing = [f for f in rest if f not in feats.columns]
        if missing:
            raise SegmentError("segments.unknown_feature", name=missing[0], known=", ".join(_known(feats)))
        table = join_on_keys(table, feats.select("customer_id", *rest), ("customer_id",))
    if tags:
        if not lake.has(TAGS_TABLE):
            raise SegmentError("segments.no_tags_table")
        built = lake.table(TAGS_TABLE)
        unknown = [x for x in tags if x not in built.columns or x == "customer_id"]
        if unknown:
            raise SegmentError("segments.unknown_tag", name=unknown[0])
        chosen = built.select("customer_id", **{f"tag__{x}": built[x] for x in tags})
        table = join_on_keys(table, chosen, ("customer_id",))
    return table.order_by("customer_id")


def _known(features: ir.Table) -> list[str]:
    return sorted({*features.columns, *OWN} - {"customer_id", *FORBIDDEN})
