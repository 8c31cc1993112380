"""What an experiment records of each member besides its assignment: province, age band and segment.

These are the breakdowns a campaign's results are cut by. They are taken from the lake's customers as they are
on the campaign's first day, so a member keeps the band it was assigned in even when it has a birthday later.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from callwise.features.asof import age_on

AGE_BANDS = ("18-29", "30-39", "40-49", "50-59", "60+")
# The segment field a member is recorded with: the customer's occupation, the one segment-like field of the contract.
SEGMENT_COLUMN = "occupation"
TRAIT_COLUMNS = ("province", "age_band", "segment")


def age_band(age: ir.IntegerValue) -> ir.StringValue:
    """``age`` in whole years as its band (missing under 18 or when the age is unknown)."""
    return ibis.cases(
        (age >= 60, "60+"),
        (age >= 50, "50-59"),
        (age >= 40, "40-49"),
        (age >= 30, "30-39"),
        (age >= 18, "18-29"),
        else_=ibis.null("string"),
    )


def member_traits(customers: ir.Table, day: date) -> ir.Table:
    """customer_id, province, age_band (age on ``day``) and segment of every customer; missing where the table
    lacks the column."""
    columns = customers.columns
    nothing = ibis.null("string")
    return customers.select(
        customer_id=customers.customer_id.cast("string"),
        province=customers.province.cast("string") if "province" in columns else nothing,
        age_band=age_band(age_on(customers, day)) if {"birth_date", "age"} & set(columns) else nothing,
        segment=customers[SEGMENT_COLUMN].cast("string") if SEGMENT_COLUMN in columns else nothing,
    )
