"""Customer features *as of* a cutoff, as Ibis expressions (DuckDB by default, Spark when configured).

Only rows strictly before the cutoff are read; labels and anything after are out of reach by construction
(every source is filtered on its time column before it is aggregated). The feature logic never names an
engine and never writes SQL strings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from callwise.lake import Lake
from callwise.schema.contract import PII_COLUMNS, PRODUCT_CATEGORIES, RISK_TOLERANCES

DAY_SECONDS = 86_400
CATEGORICAL = ("gender", "province", "occupation", "education", "marital", "last_disposition")
# Columns of the customers table that are identity, contact or policy state, never model inputs.
NOT_FEATURES = {
    "customer_id",
    *PII_COLUMNS,  # in clear only in a lake written before 0014; sealed columns below
    *(f"{name}_{part}" for name in PII_COLUMNS for part in ("token", "lookup", "masked")),
    "birth_date",
    "age",
    "city",
    "timezone",
    "risk_tolerance",
    "risk_assessed_at",
    "consent_marketing",
    "consent_updated_at",
    "profiling_opt_out",
    "dnc",
    "complaint_last_at",
    "opened_at",
    "status",
}


def _days_before(cutoff: datetime, column: ir.Value) -> ir.NumericValue:
    """Calendar days from ``column``'s day (a timestamp or date) to the cutoff's day."""
    day = ibis.literal(datetime.combine(cutoff.date(), datetime.min.time()))
    seconds = day.epoch_seconds() - column.cast("date").cast("timestamp").epoch_seconds()
    return (seconds / DAY_SECONDS).floor()


def age_on(customers: ir.Table, day: date) -> ir.IntegerValue:
    """Age in whole years on ``day``: from birth_date when known, else the age column."""
    age = None
    if "birth_date" in customers.columns:
        b = customers.birth_date
        birthday_to_come = (b.month() * 100 + b.day()) > (day.month * 100 + day.day)
        age = day.year - b.year() - birthday_to_come.ifelse(1, 0)
    if "age" in customers.columns:
        age = customers.age if age is None else age.fill_null(customers.age)
    return age if age is not None else ibis.null("int64")


def _since(table: ir.Table, column: str, cutoff: datetime, days: int | None = None) -> ir.Table:
    """Rows strictly before the cutoff (and within ``days`` of it)."""
    col = table[column].cast("timestamp")
    keep = col < ibis.literal(cutoff)
    if days is not None:
        keep &= col >= ibis.literal(cutoff - timedelta(days=days))
    return table.filter(keep)


def customer_features(
    lake: Lake, cutoff: datetime, product_id: str | None = None, customers: ir.Table | None = None
) -> ir.Table:
    """One row per customer with every feature as of ``cutoff``; product features when ``product_id`` is given.

    ``customers`` restricts the rows (a table with a ``customer_id`` column), e.g. to a campaign's members.
    """
    source = _Source(lake, customers)
    base = _demographics(source.table("customers"), cutoff)
    category = _category(lake, product_id) if product_id else None
    parts = [
        _transactions(source, cutoff),
        _holdings(source, cutoff, product_id, category),
        _events(source, cutoff, product_id, category),
        _contacts(source, cutoff),
        _conversions(source, cutoff),
    ]
    out = base
    for part in parts:
        if part is None:
            continue
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    # No row in a source means none of it: zero counts, holdings and balances (not unknown).
    counts = [n for n in out.columns if n.startswith(("n_", "holds_", "balance_"))]
    out = out.mutate(**{name: out[name].fill_null(0) for name in counts})
    return out.mutate(**_relative_to_income(out)).order_by("customer_id")


class _Source:
    """The lake's tables, each cut to the wanted customers before anything is aggregated.

    Filtering every source (not only the customers table) keeps a campaign's training rows from aggregating
    the whole bank's transactions: DuckDB and Spark do not push a semi-join through an aggregate.
    """

    def __init__(self, lake: Lake, customers: ir.Table | None) -> None:
        self.lake, self.customers = lake, customers

    def has(self, name: str) -> bool:
        return self.lake.has(name)

    def table(self, name: str) -> ir.Table:
        t = self.lake.table(name)
        if self.customers is None or "customer_id" not in t.columns:
            return t
        return t.filter(t.customer_id.isin(self.customers.customer_id))


def _relative_to_income(t: ir.Table) -> dict[str, ir.Value]:
    """Money in months of income: a 50,000 inflow means much to one customer and little to another."""
    if "income_monthly" not in t.columns:
        return {}
    income = t.income_monthly.nullif(0)
    pairs = {
        "inflow_60d_months": "max_inflow_60d",
        "net_flow_90d_months": "net_flow_90d",
        "balance_months": "balance_total",
    }
    return {name: t[source] / income for name, source in pairs.items() if source in t.columns}


def _category(lake: Lake, product_id: str) -> str | None:
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).select("category").to_pyarrow()
    return rows.column(0)[0].as_py() if rows.num_rows else None


def _demographics(c: ir.Table, cutoff: datetime) -> ir.Table:
    columns = c.columns
    values: dict[str, ir.Value] = {}
    if "birth_date" in columns or "age" in columns:
        values["age"] = age_on(c, cutoff.date())
    if "opened_at" in columns:
        values["tenure_days"] = _days_before(cutoff, c.opened_at)
    if "income_monthly" in columns:
        values["income_monthly"] = c.income_monthly
    if "risk_tolerance" in columns:
        values["risk_tolerance_level"] = c.risk_tolerance.substitute(
            {code: i + 1 for i, code in enumerate(RISK_TOLERANCES)}, else_=ibis.null()
        ).cast("int64")
    if "risk_assessed_at" in columns:
        assessed = c.risk_assessed_at.cast("timestamp") < ibis.literal(cutoff)
        values["risk_assessment_age_days"] = assessed.ifelse(_days_before(cutoff, c.risk_assessed_at), ibis.null())
    if "complaint_last_at" in columns:  # the snapshot may hold a later complaint: only one before the cutoff counts
        before = c.complaint_last_at < ibis.literal(cutoff)
        values["days_since_complaint"] = before.ifelse(_days_before(cutoff, c.complaint_last_at), ibis.null())
    for name in CATEGORICAL[:-1]:
        if name in columns:
            values[name] = c[name]
    extras = [n for n in columns if n not in NOT_FEATURES and n not in values]
    return c.select("customer_id", *extras, **values)


def _transactions(lake: _Source, cutoff: datetime) -> ir.Table | None:
    if not lake.has("transactions"):
        return None
    t = _since(lake.table("transactions"), "ts", cutoff, 365)
    days = _days_before(cutoff, t.ts)
    inflow = t.direction == "in" if "direction" in t.columns else ibis.literal(False)
    amount = t.amount.abs()
    recent30, recent90 = days < 30, days < 90
    aggregates = {
        "n_tx_30d": t.count(where=recent30),
        "n_tx_90d": t.count(where=recent90),
        "n_tx_365d": t.count(),
        "in_amount_30d": amount.sum(where=recent30 & inflow),
        "out_amount_30d": amount.sum(where=recent30 & ~inflow),
        "in_amount_90d": amount.sum(where=recent90 & inflow),
        "out_amount_90d": amount.sum(where=recent90 & ~inflow),
        "in_amount_365d": amount.sum(where=inflow),
        "out_amount_365d": amount.sum(where=~inflow),
        "max_inflow_60d": amount.max(where=(days < 60) & inflow),
        "days_since_tx": days.min(),
    }
    if "channel" in t.columns:
        aggregates["mobile_share_90d"] = (t.channel == "手机银行").cast("float64").mean(where=recent90)
    if "category" in t.columns:
        aggregates["n_salary_90d"] = t.count(where=recent90 & t.category.isin(["工资", "养老金", "salary", "pension"]))
    agg = t.group_by("customer_id").aggregate(**aggregates)
    # Trend: the last 30 days against the monthly average of the 90 days (> 1 = more active lately).
    return agg.mutate(
        out_trend=(agg.out_amount_30d / (agg.out_amount_90d / 3).nullif(0)),
        net_flow_90d=agg.in_amount_90d.fill_null(0) - agg.out_amount_90d.fill_null(0),
    )


def _holdings(lake: _Source, cutoff: datetime, product_id: str | None, category: str | None) -> ir.Table | None:
    if not lake.has("holdings"):
        return None
    h = lake.table("holdings")
    held = ibis.literal(True)
    if "opened_at" in h.columns:
        held &= h.opened_at.isnull() | (h.opened_at.cast("timestamp") < ibis.literal(cutoff))
    if "closed_at" in h.columns:
        held &= h.closed_at.isnull() | (h.closed_at.cast("timestamp") >= ibis.literal(cutoff))
    h = h.filter(held)
    if "category" not in h.columns:
        h = h.mutate(category=ibis.null("string"))
    balance = h.balance if "balance" in h.columns else ibis.literal(0.0)
    aggregates: dict[str, ir.Value] = {
        "n_products_held": h.count(),
        "balance_total": balance.sum(),
        **{f"holds_{cat}": (h.count(where=h.category == cat) > 0).cast("int64") for cat in PRODUCT_CATEGORIES},
    }
    if product_id and "product_id" in h.columns:
        aggregates["holds_this_product"] = (h.count(where=h.product_id == product_id) > 0).cast("int64")
    if category:
        aggregates["balance_same_category"] = balance.sum(where=h.category == category)
    return h.group_by("customer_id").aggregate(**aggregates)


def _events(lake: _Source, cutoff: datetime, product_id: str | None, category: str | None) -> ir.Table | None:
    if not lake.has("events"):
        return None
    e = _since(lake.table("events"), "ts", cutoff, 90)
    by_category = bool(category) and "detail" in e.columns and lake.has("products")
    if by_category:  # what the customer looked at, by the category of the product viewed
        products = lake.table("products").select(detail="product_id", viewed_category="category")
        e = e.left_join(products, "detail").drop("detail_right")
    days = _days_before(cutoff, e.ts)
    login, view = e.event == "app_login", e.event == "view_product"
    aggregates: dict[str, ir.Value] = {
        "n_logins_30d": e.count(where=login & (days < 30)),
        "n_logins_90d": e.count(where=login),
        "n_views_30d": e.count(where=view & (days < 30)),
        "days_since_app": days.min(),
    }
    if by_category:
        same = view & (e.viewed_category == category)
        aggregates["n_views_category_14d"] = e.count(where=same & (days < 14))
        aggregates["n_views_category_90d"] = e.count(where=same)
        aggregates["n_views_this_product_30d"] = e.count(where=view & (e.detail == product_id) & (days < 30))
    return e.group_by("customer_id").aggregate(**aggregates)


def _contacts(lake: _Source, cutoff: datetime) -> ir.Table | None:
    if not lake.has("contacts"):
        return None
    k = _since(lake.table("contacts"), "ts", cutoff, 730)
    calls = k.filter(k.channel == "call")
    days = _days_before(cutoff, calls.ts)
    answered = calls.disposition.isin(
        ["answered", "refused", "callback_requested", "interested", "converted", "dnc_requested", "complaint"]
    )
    agg = calls.group_by("customer_id").aggregate(
        n_calls_365d=calls.count(where=days < 365),
        n_calls_30d=calls.count(where=days < 30),
        n_answered_365d=calls.count(where=answered & (days < 365)),
        n_refused_365d=calls.count(where=(calls.disposition == "refused") & (days < 365)),
        n_interested_365d=calls.count(
            where=calls.disposition.isin(["interested", "callback_requested"]) & (days < 365)
        ),
        n_complaints_730d=calls.count(where=calls.disposition == "complaint"),
        n_call_conversions_730d=calls.count(where=calls.disposition == "converted"),
        days_since_call=days.min(),
        last_ts=calls.ts.max(),
    )
    # Two drops, not one: a drop of several columns writes them in set order, which varies between runs.
    agg = agg.left_join(_last_disposition(calls, agg), "customer_id").drop("customer_id_right").drop("last_ts")
    return agg.mutate(answer_rate_365d=agg.n_answered_365d / agg.n_calls_365d.nullif(0))


def _last_disposition(calls: ir.Table, agg: ir.Table) -> ir.Table:
    """The disposition of each customer's last call; of two calls at the same moment, the greater name.

    Not ``argmax``: DuckDB's and Spark's pick among ties in whatever order the rows arrive, so the same lake
    could give two answers (on two engines, or on one with more threads).
    """
    last = agg.select("customer_id", "last_ts")
    at_last = calls.join(last, [calls.customer_id == last.customer_id, calls.ts == last.last_ts])
    return at_last.group_by("customer_id").aggregate(last_disposition=at_last.disposition.max())


def _conversions(lake: _Source, cutoff: datetime) -> ir.Table | None:
    if not lake.has("conversions"):
        return None
    v = _since(lake.table("conversions"), "ts", cutoff, 730)
    return v.group_by("customer_id").aggregate(
        n_purchases_730d=v.count(), days_since_purchase=_days_before(cutoff, v.ts).min()
    )


def materialize(expr: ir.Table) -> pa.Table:
    """Run the expression on the lake's engine and return an Arrow table."""
    return expr.to_pyarrow()
