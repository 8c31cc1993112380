"""The few strata channel effects are measured in: age band × digitally active (an app login lately).

Both are read as of a moment, from rows strictly before it: ``stratum_of`` for the customers of a plan (as of its
cutoff), and the same expressions for past campaign members (as of their assignment), so history and plan agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir

from callwise.features.asof import age_on
from callwise.lake import Lake

AGE_BANDS = (35, 55)  # under 35, 35–54, 55 and over
ACTIVE_DAYS = 90  # an app login in the 90 days before counts as digitally active
DIGITAL_EVENT = "app_login"
STRATA = tuple(
    f"{band}_{'digital' if active else 'offline'}" for band in ("young", "middle", "senior") for active in (1, 0)
)


def age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(
        (age < AGE_BANDS[0], "young"), (age < AGE_BANDS[1], "middle"), else_="senior"
    )  # unknown age: senior, the band that answers messages least (the cautious guess)


def stratum(band: ir.StringValue, active: ir.BooleanValue) -> ir.StringValue:
    return band.concat(active.fill_null(False).ifelse("_digital", "_offline"))


def customer_strata(lake: Lake, ids: ir.Table, at: datetime) -> ir.Table:
    """customer_id, stratum for the customers ``ids`` (a table with customer_id), as of ``at``."""
    c = lake.table("customers")
    c = c.select(customer_id=c.customer_id.cast("string"), band=age_band(age_on(c, _day(at))))
    c = c.semi_join(ids, "customer_id")
    if lake.has("events"):
        e = lake.table("events")
        e = e.filter((e.event == DIGITAL_EVENT) & (e.ts < at) & (e.ts >= at - timedelta(days=ACTIVE_DAYS)))
        active = e.select(customer_id=e.customer_id.cast("string")).distinct().mutate(active=ibis.literal(True))
        c = c.left_join(active, "customer_id").drop("customer_id_right")
    else:
        c = c.mutate(active=ibis.literal(False))
    return c.select("customer_id", stratum=stratum(c.band, c.active))


def member_strata(lake: Lake, members: ir.Table, day: date) -> ir.Table:
    """``members`` (customer_id, assigned_at, …) with a stratum each: age band on ``day``, active before assignment."""
    c = lake.table("customers")
    bands = c.select(customer_id=c.customer_id.cast("string"), band=age_band(age_on(c, day)))
    m = members.left_join(bands, "customer_id").drop("customer_id_right")
    if lake.has("events"):
        e = lake.table("events")
        e = e.filter(e.event == DIGITAL_EVENT).select(eid=e.customer_id.cast("string"), ets=e.ts.cast("timestamp"))
        hit = m.join(e, (m.customer_id == e.eid) & (e.ets < m.assigned_at))
        hit = hit.filter(hit.ets >= hit.assigned_at - ibis.interval(days=ACTIVE_DAYS))
        active = hit.select("campaign_id", "customer_id").distinct().mutate(active=ibis.literal(True))
        m = m.left_join(active, ["campaign_id", "customer_id"]).drop("campaign_id_right", "customer_id_right")
    else:
        m = m.mutate(active=ibis.literal(False))
    return m.mutate(stratum=stratum(m.band.fill_null("senior"), m.active)).drop("band", "active")


def _day(at: datetime) -> date:
    return at.date()
