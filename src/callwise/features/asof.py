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
# The columns each row's campaign adds when features are computed for many cutoffs at once (RowCutoffs).
ASOF_CAMPAIGN, ASOF_CUTOFF, ASOF_PRODUCT, ASOF_CATEGORY = (
    "asof_campaign",
    "asof_cutoff",
    "asof_product",
    "asof_category",
)
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


class Cutoff:
    """One moment for every row: the cutoff, its product and the product's category as literals.

    :class:`RowCutoffs` is the same with each row's own campaign (columns), so the training set of every past
    campaign is one query; every feature is written once, against this interface.
    """

    keys: tuple[str, ...] = ("customer_id",)  # what a feature row is of
    columns: tuple[str, ...] = ()  # columns the cutoffs add to every source table (never features)

    def __init__(self, moment: datetime, product_id: str | None = None, category: str | None = None) -> None:
        self.moment, self.product_id, self.category = moment, product_id, category
        self.has_product, self.has_category = bool(product_id), bool(category)

    def at(self, t: ir.Table) -> ir.TimestampValue:
        return ibis.literal(self.moment)

    def days_ago(self, t: ir.Table, days: int) -> ir.TimestampValue:
        return ibis.literal(self.moment - timedelta(days=days))

    def day_seconds(self, t: ir.Table) -> ir.NumericValue:
        """Epoch seconds of the cutoff's day at midnight."""
        return ibis.literal(datetime.combine(self.moment.date(), datetime.min.time())).epoch_seconds()

    def age(self, c: ir.Table) -> ir.IntegerValue:
        return age_on(c, self.moment.date())

    def product(self, t: ir.Table) -> str | ir.StringValue | None:
        return self.product_id

    def product_category(self, t: ir.Table) -> str | ir.StringValue | None:
        return self.category


class RowCutoffs(Cutoff):
    """Each row's cutoff, product and category from the campaign it belongs to (``ASOF_*`` columns).

    The source tables are joined to the members (a row per campaign and customer, with the ``ASOF_*``
    columns) on the customer, so a customer in two campaigns has their rows counted as of each campaign's start.
    """

    keys = (ASOF_CAMPAIGN, "customer_id")
    columns = (ASOF_CAMPAIGN, ASOF_CUTOFF, ASOF_PRODUCT, ASOF_CATEGORY)

    def __init__(self, with_category: bool) -> None:
        super().__init__(datetime.min)
        self.has_product, self.has_category = True, with_category

    def at(self, t: ir.Table) -> ir.TimestampValue:
        return t[ASOF_CUTOFF]

    def days_ago(self, t: ir.Table, days: int) -> ir.TimestampValue:
        return t[ASOF_CUTOFF] - ibis.interval(days=days)

    def day_seconds(self, t: ir.Table) -> ir.NumericValue:
        return t[ASOF_CUTOFF].cast("date").cast("timestamp").epoch_seconds()

    def age(self, c: ir.Table) -> ir.IntegerValue:
        cut = c[ASOF_CUTOFF]
        return _age(c, cut.year(), cut.month() * 100 + cut.day())

    def product(self, t: ir.Table) -> ir.StringValue:
        return t[ASOF_PRODUCT]

    def product_category(self, t: ir.Table) -> ir.StringValue | None:
        return t[ASOF_CATEGORY] if self.has_category else None


def _days_before(cut: Cutoff, t: ir.Table, column: ir.Value) -> ir.NumericValue:
    """Calendar days from ``column``'s day (a timestamp or date) to the cutoff's day."""
    seconds = cut.day_seconds(t) - column.cast("date").cast("timestamp").epoch_seconds()
    return (seconds / DAY_SECONDS).floor()


def age_on(customers: ir.Table, day: date) -> ir.IntegerValue:
    """Age in whole years on ``day``: from birth_date when known, else the age column."""
    return _age(customers, day.year, day.month * 100 + day.day)


def _age(customers: ir.Table, year: int | ir.IntegerValue, month_day: int | ir.IntegerValue) -> ir.IntegerValue:
    """Age in whole years on the day of ``year`` and ``month_day`` (month × 100 + day)."""
    age = None
    if "birth_date" in customers.columns:
        b = customers.birth_date
        birthday_to_come = (b.month() * 100 + b.day()) > month_day
        age = year - b.year() - birthday_to_come.ifelse(1, 0)
    if "age" in customers.columns:
        age = customers.age if age is None else age.fill_null(customers.age)
    return age if age is not None else ibis.null("int64")


def _since(table: ir.Table, column: str, cut: Cutoff, days: int | None = None) -> ir.Table:
    """Rows strictly before the cutoff (and within ``days`` of it)."""
    col = table[column].cast("timestamp")
    keep = col < cut.at(table)
    if days is not None:
        keep &= col >= cut.days_ago(table, days)
    return table.filter(keep)


def customer_features(
    lake: Lake, cutoff: datetime, product_id: str | None = None, customers: ir.Table | None = None
) -> ir.Table:
    """One row per customer with every feature as of ``cutoff``; product features when ``product_id`` is given.

    ``customers`` restricts the rows (a table with a ``customer_id`` column), e.g. to a campaign's members.
    """
    source = Source(lake, customers)
    category = category_of(lake, product_id) if product_id else None
    return features_as_of(source, Cutoff(cutoff, product_id, category))


def features_as_of(source: Source, cut: Cutoff) -> ir.Table:
    """Every feature of every row of ``cut.keys``, as of ``cut`` (one cutoff, or each row's own)."""
    base = _demographics(source.table("customers"), cut)
    parts = [
        _transactions(source, cut),
        _holdings(source, cut),
        _events(source, cut),
        _contacts(source, cut),
        _conversions(source, cut),
    ]
    out = base
    for part in parts:
        if part is not None:
            out = join_on_keys(out, part, cut.keys)
    # No row in a source means none of it: zero counts, holdings and balances (not unknown).
    counts = [n for n in out.columns if n.startswith(("n_", "holds_", "balance_"))]
    out = out.mutate(**{name: out[name].fill_null(0) for name in counts})
    return out.mutate(**_relative_to_income(out)).order_by(_key_arg(cut.keys))


def _key_arg(keys: tuple[str, ...]) -> str | list[str]:
    """One key as a name (the SQL of a single cutoff stays as it was), several as a list."""
    return keys[0] if len(keys) == 1 else list(keys)


def join_on_keys(left: ir.Table, right: ir.Table, keys: tuple[str, ...]) -> ir.Table:
    """Left join on the keys, keeping the left side's key columns only."""
    out = left.left_join(right, _key_arg(keys))
    # One drop per key, not one of several: a drop of several columns writes them in set order, which varies.
    for key in keys:
        out = out.drop(f"{key}_right")
    return out


class Source:
    """The lake's tables, each cut to the wanted customers before anything is aggregated.

    Filtering every source (not only the customers table) keeps a campaign's training rows from aggregating
    the whole bank's transactions: DuckDB and Spark do not push a semi-join through an aggregate. With
    ``members`` (see :class:`RowCutoffs`) every source is joined to them instead: a row per member and campaign.
    """

    def __init__(self, lake: Lake, customers: ir.Table | None, members: ir.Table | None = None) -> None:
        self.lake, self.customers, self.members = lake, customers, members

    def has(self, name: str) -> bool:
        return self.lake.has(name)

    def table(self, name: str) -> ir.Table:
        t = self.lake.table(name)
        if "customer_id" not in t.columns:
            return t
        if self.members is not None:
            return t.join(self.members, "customer_id")
        if self.customers is None:
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


def category_of(lake: Lake, product_id: str) -> str | None:
    products = lake.table("products")
    rows = products.filter(products.product_id == product_id).select("category").to_pyarrow()
    return rows.column(0)[0].as_py() if rows.num_rows else None


def _demographics(c: ir.Table, cut: Cutoff) -> ir.Table:
    columns = c.columns
    values: dict[str, ir.Value] = {}
    if "birth_date" in columns or "age" in columns:
        values["age"] = cut.age(c)
    if "opened_at" in columns:
        values["tenure_days"] = _days_before(cut, c, c.opened_at)
    if "income_monthly" in columns:
        values["income_monthly"] = c.income_monthly
    if "risk_tolerance" in columns:
        values["risk_tolerance_level"] = c.risk_tolerance.substitute(
            {code: i + 1 for i, code in enumerate(RISK_TOLERANCES)}, else_=ibis.null()
        ).cast("int64")
    if "risk_assessed_at" in columns:
        assessed = c.risk_assessed_at.cast("timestamp") < cut.at(c)
        values["risk_assessment_age_days"] = assessed.ifelse(_days_before(cut, c, c.risk_assessed_at), ibis.null())
    if "complaint_last_at" in columns:  # the snapshot may hold a later complaint: only one before the cutoff counts
        before = c.complaint_last_at < cut.at(c)
        values["days_since_complaint"] = before.ifelse(_days_before(cut, c, c.complaint_last_at), ibis.null())
    for name in CATEGORICAL[:-1]:
        if name in columns:
            values[name] = c[name]
    skip = NOT_FEATURES | set(cut.columns)
    extras = [n for n in columns if n not in skip and n not in values]
    return c.select(*cut.keys, *extras, **values)


def _transactions(lake: Source, cut: Cutoff) -> ir.Table | None:
    if not lake.has("transactions"):
        return None
    t = _since(lake.table("transactions"), "ts", cut, 365)
    days = _days_before(cut, t, t.ts)
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
    agg = t.group_by(_key_arg(cut.keys)).aggregate(**aggregates)
    # Trend: the last 30 days against the monthly average of the 90 days (> 1 = more active lately).
    return agg.mutate(
        out_trend=(agg.out_amount_30d / (agg.out_amount_90d / 3).nullif(0)),
        net_flow_90d=agg.in_amount_90d.fill_null(0) - agg.out_amount_90d.fill_null(0),
    )


def _holdings(lake: Source, cut: Cutoff) -> ir.Table | None:
    if not lake.has("holdings"):
        return None
    h = lake.table("holdings")
    held = ibis.literal(True)
    if "opened_at" in h.columns:
        held &= h.opened_at.isnull() | (h.opened_at.cast("timestamp") < cut.at(h))
    if "closed_at" in h.columns:
        held &= h.closed_at.isnull() | (h.closed_at.cast("timestamp") >= cut.at(h))
    h = h.filter(held)
    if "category" not in h.columns:
        h = h.mutate(category=ibis.null("string"))
    balance = h.balance if "balance" in h.columns else ibis.literal(0.0)
    aggregates: dict[str, ir.Value] = {
        "n_products_held": h.count(),
        "balance_total": balance.sum(),
        **{f"holds_{cat}": (h.count(where=h.category == cat) > 0).cast("int64") for cat in PRODUCT_CATEGORIES},
    }
    if cut.has_product and "product_id" in h.columns:
        aggregates["holds_this_product"] = (h.count(where=h.product_id == cut.product(h)) > 0).cast("int64")
    if cut.has_category:
        aggregates["balance_same_category"] = balance.sum(where=h.category == cut.product_category(h))
    return h.group_by(_key_arg(cut.keys)).aggregate(**aggregates)


def _events(lake: Source, cut: Cutoff) -> ir.Table | None:
    if not lake.has("events"):
        return None
    e = _since(lake.table("events"), "ts", cut, 90)
    by_category = cut.has_category and "detail" in e.columns and lake.has("products")
    if by_category:  # what the customer looked at, by the category of the product viewed
        products = lake.table("products").select(detail="product_id", viewed_category="category")
        e = e.left_join(products, "detail").drop("detail_right")
    days = _days_before(cut, e, e.ts)
    login, view = e.event == "app_login", e.event == "view_product"
    aggregates: dict[str, ir.Value] = {
        "n_logins_30d": e.count(where=login & (days < 30)),
        "n_logins_90d": e.count(where=login),
        "n_views_30d": e.count(where=view & (days < 30)),
        "days_since_app": days.min(),
    }
    if by_category:
        same = view & (e.viewed_category == cut.product_category(e))
        aggregates["n_views_category_14d"] = e.count(where=same & (days < 14))
        aggregates["n_views_category_90d"] = e.count(where=same)
        aggregates["n_views_this_product_30d"] = e.count(where=view & (e.detail == cut.product(e)) & (days < 30))
    return e.group_by(_key_arg(cut.keys)).aggregate(**aggregates)


def _contacts(lake: Source, cut: Cutoff) -> ir.Table | None:
    if not lake.has("contacts"):
        return None
    k = _since(lake.table("contacts"), "ts", cut, 730)
    calls = k.filter(k.channel == "call")
    days = _days_before(cut, calls, calls.ts)
    answered = calls.disposition.isin(
        ["answered", "refused", "callback_requested", "interested", "converted", "dnc_requested", "complaint"]
    )
    agg = calls.group_by(_key_arg(cut.keys)).aggregate(
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
    agg = join_on_keys(agg, _last_disposition(calls, agg, cut.keys), cut.keys).drop("last_ts")
    return agg.mutate(answer_rate_365d=agg.n_answered_365d / agg.n_calls_365d.nullif(0))


def _last_disposition(calls: ir.Table, agg: ir.Table, keys: tuple[str, ...]) -> ir.Table:
    """The disposition of each customer's last call; of two calls at the same moment, the greater name.

    Not ``argmax``: DuckDB's and Spark's pick among ties in whatever order the rows arrive, so the same lake
    could give two answers (on two engines, or on one with more threads).
    """
    last = agg.select(*keys, "last_ts")
    at_last = calls.join(last, [*(calls[k] == last[k] for k in keys), calls.ts == last.last_ts])
    return at_last.group_by(_key_arg(keys)).aggregate(last_disposition=at_last.disposition.max())


def _conversions(lake: Source, cut: Cutoff) -> ir.Table | None:
    if not lake.has("conversions"):
        return None
    v = _since(lake.table("conversions"), "ts", cut, 730)
    return v.group_by(_key_arg(cut.keys)).aggregate(
        n_purchases_730d=v.count(), days_since_purchase=_days_before(cut, v, v.ts).min()
    )


def materialize(expr: ir.Table) -> pa.Table:
    """Run the expression on the lake's engine and return an Arrow table."""
    return expr.to_pyarrow()
