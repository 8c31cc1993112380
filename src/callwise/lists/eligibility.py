"""Who may be on a call list at all (v1 rules), with a reason code for everyone left out.

Each rule is a boolean Ibis column that is true when the customer must be excluded. Rules are listed in the
order the funnel reports them; a customer's primary reason is the first rule that excludes them, and all
reasons that apply are kept. Missing optional inputs are treated conservatively: no recorded consent is a
refusal, an unknown age cannot be shown to be adult.
"""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd

from callwise.features.asof import age_on
from callwise.lake import Lake

# Rule order = funnel order. Each code has an `exclusion.<code>` message in zh and en.
RULES: tuple[str, ...] = (
    "inactive_status",
    "dnc",
    "no_consent",
    "age_unknown",
    "under_18",
    "product_age_limit",
    "profiling_opt_out",
    "holds_product",
)


def _flag(customers: ibis.Table, column: str, default: bool) -> ibis.Value:
    if column not in customers.columns:
        return ibis.literal(default)
    return customers[column].fill_null(default)


def exclusion_flags(lake: Lake, product: dict, on: date) -> pd.DataFrame:
    """One row per customer: ``customer_id`` and one boolean column per rule in :data:`RULES`."""
    c = lake.table("customers")
    age = age_on(c, on)
    inactive = c.status.isin(["frozen", "deceased"]).fill_null(False) if "status" in c.columns else ibis.literal(False)
    min_age, max_age = product.get("min_age"), product.get("max_age")
    outside_product_ages = ibis.literal(False)
    if _present(min_age):
        outside_product_ages |= age < int(min_age)
    if _present(max_age):
        outside_product_ages |= age > int(max_age)

    held = _holders(lake, product, on)
    flags = c.select(
        "customer_id",
        inactive_status=inactive,
        dnc=_flag(c, "dnc", False),
        no_consent=~_flag(c, "consent_marketing", False),
        age_unknown=age.isnull(),
        under_18=(age < 18).fill_null(False),
        product_age_limit=outside_product_ages.fill_null(False),
        profiling_opt_out=_flag(c, "profiling_opt_out", False),
        holds_product=c.customer_id.isin(held) if held is not None else ibis.literal(False),
    )
    return flags.order_by("customer_id").to_pandas()


def _holders(lake: Lake, product: dict, on: date) -> ibis.Value | None:
    """Customers holding the product on ``on`` (opened before it, not closed by then)."""
    if not lake.has("holdings"):
        return None
    h = lake.table("holdings")
    if "product_id" not in h.columns:
        return None
    open_on = h.product_id == product["product_id"]
    if "opened_at" in h.columns:
        open_on &= h.opened_at.isnull() | (h.opened_at < on)
    if "closed_at" in h.columns:
        open_on &= h.closed_at.isnull() | (h.closed_at > on)
    return h.filter(open_on).customer_id


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def primary_reasons(flags: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The first rule that excludes each customer (None if eligible) and all rules that do, "|"-joined."""
    matrix = flags[list(RULES)].to_numpy(dtype=bool)
    excluded = matrix.any(axis=1)
    codes = np.array(RULES, dtype=object)
    primary = pd.Series(np.where(excluded, codes[matrix.argmax(axis=1)], None), index=flags.index, dtype=object)
    # All reasons: join the codes of the true flags, column by column (vectorised, no per-row loop).
    joined = pd.Series("", index=flags.index, dtype=object)
    for i, code in enumerate(RULES):
        hit = matrix[:, i]
        joined = joined.where(~hit, joined + np.where(joined == "", code, "|" + code))
    return primary, joined.where(excluded, None)
