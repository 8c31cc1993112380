"""The per-member frame: one row per member of a campaign (control included) with what happened to it.

Every estimator of the campaign's results reads this one table (docs/results.md "What is counted"). It is built
in Ibis, so it runs on DuckDB and on Spark alike: the members, then one aggregation per source (calls, the
first call's agent, conversions in the window, purchases before, opt-outs) joined to them.

- Members come from the lake's ``campaign_members`` (once per customer, the earliest assignment kept), or from
  the operational DB's ``list_members`` when the lake holds none of the campaign.
- Calls are the lake's ``contacts`` of the campaign and the operational DB's ``call_outcomes`` of it; a call in
  both (same customer and second) is counted once. Conversions likewise (same customer, product and second).
- The lake's times are the bank's local clock; the operational DB's (UTC) are turned to it (``bank_timezone``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select

from callwise.configfile import suggest
from callwise.experiments import DEFAULT_ARM
from callwise.features.members import TRAIT_COLUMNS, member_traits
from callwise.i18n.message import clipped
from callwise.lake import Lake
from callwise.results.errors import ResultsError
from callwise.schema.contract import ANSWERED_DISPOSITIONS

MAX_WINDOW_DAYS = 365
PAST_DAYS = 365  # past_purchases: conversions of any product in this many days before the start
COLUMNS = (
    "customer_id",
    "group",
    "arm",
    "score",
    "score_decile",
    "product_id",
    "province",
    "age_band",
    "segment",
    "team",
    "agent_id",
    "converted",
    "revenue",
    "conversion_day",
    "dials",
    "connects",
    "reached",
    "talk_seconds",
    "sms",
    "complaint",
    "dnc",
    "opt_out",
    "past_purchases",
)
TEXT = ("customer_id", "group", "arm", "product_id", "province", "age_band", "segment", "team", "agent_id")
COUNTS = ("converted", "dials", "connects", "reached", "sms", "complaint", "dnc", "opt_out", "past_purchases")
MEMBER_NEEDS = ("campaign_id", "customer_id", "group")
CONTACT_NEEDS = ("campaign_id", "customer_id", "channel", "ts", "disposition")
CONVERSION_NEEDS = ("customer_id", "product_id", "ts")
CALL = pa.schema(
    [
        ("customer_id", pa.string()),
        ("channel", pa.string()),
        ("ts", pa.timestamp("us")),
        ("disposition", pa.string()),
        ("agent_id", pa.string()),
        ("duration_s", pa.float64()),
    ]
)
SALE = pa.schema(
    [("customer_id", pa.string()), ("product_id", pa.string()), ("ts", pa.timestamp("us")), ("amount", pa.float64())]
)
MEMBER = pa.schema(
    [
        ("customer_id", pa.string()),
        ("group", pa.string()),
        ("arm", pa.string()),
        ("assigned_at", pa.timestamp("us")),
        ("score", pa.float64()),
        ("score_decile", pa.int64()),
        ("product_id", pa.string()),
        ("province", pa.string()),
        ("age_band", pa.string()),
        ("segment", pa.string()),
    ]
)


def member_outcomes(
    lake: Lake,
    campaign_id: str,
    window_days: int = 30,
    ops_engine: Engine | None = None,
    value_per_conversion: float | None = None,
    bank_timezone: str = "Asia/Shanghai",
) -> pd.DataFrame:
    """One row per member of ``campaign_id`` with the columns of :data:`COLUMNS` (see the module and
    docs/results.md). ``value_per_conversion`` stands in for a conversion without an amount (default: the
    product's, from the lake's products)."""
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer):
        raise ResultsError("results.window_days", value=repr(window_days))
    if not 1 <= int(window_days) <= MAX_WINDOW_DAYS:
        raise ResultsError("results.window_days", value=repr(window_days))
    ops = _Ops(ops_engine, bank_timezone)
    members = _members(lake, campaign_id, ops)
    start, product_id = _start_and_product(lake, campaign_id, members, ops)
    end = start + timedelta(days=int(window_days))
    if value_per_conversion is None:
        value_per_conversion = _product_value(lake, product_id)

    members = _with_traits(lake, members, product_id, start)
    calls = _calls(lake, campaign_id, ops)
    sales = _sales(lake, ops)
    joined = members
    for part in (
        _call_counts(calls),
        _first_agents(lake, calls),
        _conversions(sales, product_id, start, end, value_per_conversion),
        _past(sales, start),
        _opt_outs(ops, start, end),
    ):
        if part is not None:
            joined = joined.left_join(part, "customer_id").drop("customer_id_right")
    return _finished(joined.to_pyarrow())


# --- members ------------------------------------------------------------------------------------------------


def _members(lake: Lake, campaign_id: str, ops: _Ops) -> ir.Table:
    """The campaign's members, once per customer (the earliest assignment), from the lake or else the ops DB."""
    source: ir.Table | None = None
    if lake.has("campaign_members"):
        table = lake.table("campaign_members")
        _needs("campaign_members", table, MEMBER_NEEDS)
        mine = table.filter(table.campaign_id == campaign_id)
        if int(mine.count().to_pyarrow().as_py()) > 0:
            source = _member_columns(mine)
    if source is None:
        rows = ops.members(campaign_id)
        if rows is not None and rows.num_rows:
            source = ibis.memtable(rows)
    if source is None:
        known = _known_campaigns(lake, ops)
        if campaign_id not in known:
            raise ResultsError(
                "results.unknown_campaign",
                campaign=campaign_id,
                hint=suggest(campaign_id, known),
                known=clipped(known),
            )
        raise ResultsError("results.no_members", campaign=campaign_id)
    order = [source.assigned_at, source.group, source.arm.fill_null(""), source.score.fill_null(-1.0)]
    ranked = source.mutate(_rank=ibis.row_number().over(group_by=source.customer_id, order_by=order))
    first = ranked.filter(ranked._rank == 0).drop("_rank")
    # A campaign without script arms (or a bank's own member file) has called members with no arm: one arm, the default.
    untold = (first.group == "treatment") & (first.arm.isnull() | (first.arm == ""))
    return first.mutate(arm=ibis.ifelse(untold, DEFAULT_ARM, first.arm))


def _member_columns(table: ir.Table) -> ir.Table:
    """The lake's member rows in :data:`MEMBER`'s columns (a column the table lacks is empty)."""
    values: dict[str, ir.Value] = {}
    for field in MEMBER:
        kind = "int64" if pa.types.is_integer(field.type) else "float64" if pa.types.is_floating(field.type) else None
        kind = kind or ("timestamp(6)" if pa.types.is_timestamp(field.type) else "string")
        values[field.name] = table[field.name].cast(kind) if field.name in table.columns else ibis.null(kind)
    return table.select(**values)


def _known_campaigns(lake: Lake, ops: _Ops) -> list[str]:
    ids: set[str] = set(ops.campaign_ids())
    for name in ("campaigns", "campaign_members", "contacts"):
        if lake.has(name) and "campaign_id" in lake.table(name).columns:
            table = lake.table(name)
            found = table.select("campaign_id").distinct().to_pyarrow()["campaign_id"].to_pylist()
            ids.update(str(v) for v in found if v is not None)
    return sorted(ids)


def _start_and_product(lake: Lake, campaign_id: str, members: ir.Table, ops: _Ops) -> tuple[datetime, str | None]:
    """The campaign's start (lake campaigns.start_at, or the members' earliest assigned_at, or the ops DB's
    campaign date) and its product (lake campaigns, else the members', else the ops DB's campaign)."""
    start: datetime | None = None
    product: str | None = None
    if lake.has("campaigns"):
        table = lake.table("campaigns")
        if {"campaign_id", "start_at", "product_id"} <= set(table.columns):
            row = table.filter(table.campaign_id == campaign_id).select("start_at", "product_id").limit(1)
            found = row.to_pyarrow().to_pylist()
            if found:
                start, product = found[0]["start_at"], found[0]["product_id"]
    first = (
        members.aggregate(start=members.assigned_at.min(), product=members.product_id.max()).to_pyarrow().to_pylist()[0]
    )
    start = start or first["start"]
    product = product or first["product"]
    if start is None or product is None:
        spec_start, spec_product = ops.campaign(campaign_id)
        start, product = start or spec_start, product or spec_product
    if start is None:
        raise ResultsError("results.no_start", campaign=campaign_id)
    return pd.Timestamp(start).to_pydatetime(), product


def _product_value(lake: Lake, product_id: str | None) -> float:
    if product_id is None or not lake.has("products"):
        return 0.0
    table = lake.table("products")
    if "value_per_conversion" not in table.columns:
        return 0.0
    found = table.filter(table.product_id == product_id).select("value_per_conversion").to_pyarrow().to_pylist()
    value = found[0]["value_per_conversion"] if found else None
    return float(value) if value is not None else 0.0


def _with_traits(lake: Lake, members: ir.Table, product_id: str | None, start: datetime) -> ir.Table:
    """The members with product, and province, age band and segment from the customers where they lack them."""
    members = members.mutate(product_id=members.product_id.fill_null(product_id or ibis.null("string")))
    if not lake.has("customers"):
        return members.drop("assigned_at")
    traits = member_traits(lake.table("customers"), start.date())
    traits = traits.rename({f"{name}_customer": name for name in TRAIT_COLUMNS})
    joined = members.left_join(traits, members.customer_id == traits.customer_id).drop("customer_id_right")
    return joined.mutate(**{name: joined[name].fill_null(joined[f"{name}_customer"]) for name in TRAIT_COLUMNS}).drop(
        "assigned_at", *(f"{name}_customer" for name in TRAIT_COLUMNS)
    )


# --- calls ----------------------------------------------------------------------------------------------------


def _calls(lake: Lake, campaign_id: str, ops: _Ops) -> ir.Table | None:
    """The campaign's contacts (calls and SMS) from the lake and the ops DB, a call in both once."""
    parts: list[ir.Table] = []
    if lake.has("contacts"):
        table = lake.table("contacts")
        _needs("contacts", table, CONTACT_NEEDS)
        mine = table.filter(table.campaign_id == campaign_id)
        parts.append(
            mine.select(
                customer_id=mine.customer_id.cast("string"),
                channel=mine.channel.cast("string"),
                ts=mine.ts.cast("timestamp(6)"),
                disposition=mine.disposition.cast("string"),
                agent_id=mine.agent_id.cast("string") if "agent_id" in table.columns else ibis.null("string"),
                duration_s=mine.duration_s.cast("float64") if "duration_s" in table.columns else ibis.null("float64"),
            )
        )
    rows = ops.calls(campaign_id)
    if rows is not None and rows.num_rows:
        extra = ibis.memtable(rows)
        if parts:  # the dialer's rows loaded into the lake later: the same call, counted once
            extra = extra.anti_join(parts[0], ["customer_id", "ts"])
        parts.append(extra)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1], distinct=False)


def _call_counts(calls: ir.Table | None) -> ir.Table | None:
    if calls is None:
        return None
    call = calls.channel == "call"
    answered = call & calls.disposition.isin(ANSWERED_DISPOSITIONS)
    return calls.group_by("customer_id").aggregate(
        dials=call.cast("int64").sum(),
        connects=answered.cast("int64").sum(),
        talk_seconds=answered.ifelse(calls.duration_s.fill_null(0.0), 0.0).sum(),
        sms=(calls.channel == "sms").cast("int64").sum(),
        complaint=(call & (calls.disposition == "complaint")).cast("int64").max(),
        dnc=(call & (calls.disposition == "dnc_requested")).cast("int64").max(),
    )


def _first_agents(lake: Lake, calls: ir.Table | None) -> ir.Table | None:
    """agent_id: of the member's first connected call, else of the first call; team: of the first call's agent."""
    if calls is None:
        return None
    c = calls.filter(calls.channel == "call")
    answered = c.disposition.isin(ANSWERED_DISPOSITIONS)
    ties = [c.ts, c.disposition, c.agent_id.fill_null("")]
    ranked = c.mutate(
        _first=ibis.row_number().over(group_by=c.customer_id, order_by=ties),
        _connected=ibis.row_number().over(group_by=c.customer_id, order_by=[(~answered).cast("int8"), *ties]),
    )
    first = ranked.filter(ranked._first == 0).select("customer_id", first_agent="agent_id")
    chosen = ranked.filter(ranked._connected == 0).select("customer_id", "agent_id")
    agents = first.join(chosen, "customer_id")
    if lake.has("agents") and {"agent_id", "team"} <= set(lake.table("agents").columns):
        table = lake.table("agents")  # an agent twice: one team, the same on every engine
        teams = table.group_by(_agent=table.agent_id.cast("string")).aggregate(team=table.team.cast("string").min())
        agents = agents.left_join(teams, agents.first_agent == teams._agent).drop("_agent")
    else:
        agents = agents.mutate(team=ibis.null("string"))
    return agents.drop("first_agent")


# --- conversions ----------------------------------------------------------------------------------------------


def _sales(lake: Lake, ops: _Ops) -> ir.Table | None:
    parts: list[ir.Table] = []
    if lake.has("conversions"):
        table = lake.table("conversions")
        _needs("conversions", table, CONVERSION_NEEDS)
        parts.append(
            table.select(
                customer_id=table.customer_id.cast("string"),
                product_id=table.product_id.cast("string"),
                ts=table.ts.cast("timestamp(6)"),
                amount=table.amount.cast("float64") if "amount" in table.columns else ibis.null("float64"),
            )
        )
    rows = ops.conversions()
    if rows is not None and rows.num_rows:
        extra = ibis.memtable(rows)
        if parts:
            extra = extra.anti_join(parts[0], ["customer_id", "product_id", "ts"])
        parts.append(extra)
    if not parts:
        if ops.engine is None:
            raise ResultsError("results.no_conversions")
        return None
    return parts[0] if len(parts) == 1 else parts[0].union(parts[1], distinct=False)


def _conversions(
    sales: ir.Table | None, product_id: str | None, start: datetime, end: datetime, value: float
) -> ir.Table | None:
    if sales is None or product_id is None:
        return None
    s = sales.filter((sales.product_id == product_id) & (sales.ts >= start) & (sales.ts < end))
    seconds = s.ts.epoch_seconds() - ibis.literal(start).epoch_seconds()
    return s.group_by("customer_id").aggregate(
        converted=(s.count() > 0).cast("int64"),
        revenue=s.amount.fill_null(value).sum(),
        conversion_day=(seconds.cast("float64") / 86400.0).min(),
    )


def _past(sales: ir.Table | None, start: datetime) -> ir.Table | None:
    if sales is None:
        return None
    s = sales.filter((sales.ts >= start - timedelta(days=PAST_DAYS)) & (sales.ts < start))
    return s.group_by("customer_id").aggregate(past_purchases=s.count())


def _opt_outs(ops: _Ops, start: datetime, end: datetime) -> ir.Table | None:
    rows = ops.opt_outs(start, end)
    if rows is None or not rows.num_rows:
        return None
    return ibis.memtable(rows)


def _needs(name: str, table: ir.Table, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ResultsError("results.missing_columns", table=name, columns=", ".join(missing))


def _finished(table: pa.Table) -> pd.DataFrame:
    """The contract's columns, order and types, missing counts as 0, in customer order.

    Made from the Arrow result column by column: pandas' own conversions of a million rows of text took longer
    than the query itself."""
    table = table.sort_by("customer_id")
    out: dict[str, Any] = {}
    for name in COLUMNS:
        if name in table.column_names:
            column = table[name]
        else:
            column = pa.nulls(table.num_rows, pa.float64() if name not in TEXT else pa.string())
        if name in TEXT:
            text = column.cast(pa.string()).to_numpy(zero_copy_only=False)  # None where missing
            out[name] = pd.Series(text, dtype=object)  # kept as objects: pandas would infer str, with NaN
        elif name in COUNTS:
            out[name] = pc.fill_null(column.cast(pa.int64()), 0).to_numpy()
        elif name == "score_decile":
            out[name] = pd.array(column.cast(pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get))
        elif name in ("revenue", "talk_seconds"):
            out[name] = pc.fill_null(column.cast(pa.float64()), 0.0).to_numpy()
        else:
            out[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    frame = pd.DataFrame(out)
    frame["reached"] = (frame["connects"] > 0).astype("int64")
    return frame


# --- the operational DB ---------------------------------------------------------------------------------------


class _Ops:
    """What the operational DB adds, read with SQLAlchemy into Arrow tables on the bank's clock (or nothing)."""

    def __init__(self, engine: Engine | None, bank_timezone: str) -> None:
        self.engine = engine
        self.zone = bank_timezone

    def _frame(self, statement: Any) -> pd.DataFrame | None:
        if self.engine is None:
            return None
        with self.engine.connect() as connection:
            result = connection.execute(statement)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def _local(self, values: pd.Series) -> pd.Series:
        """UTC instants as the bank's wall clock, naive (as the lake keeps its times)."""
        stamps = pd.to_datetime(values, utc=True).dt.tz_convert(self.zone).dt.tz_localize(None)
        return stamps.astype("datetime64[us]")

    def campaign_ids(self) -> list[str]:
        from callwise.ops.models import Campaign, ListMember

        found = self._frame(select(Campaign.campaign_id).union(select(ListMember.campaign_id)))
        return [] if found is None else [str(v) for v in found.iloc[:, 0]]

    def campaign(self, campaign_id: str) -> tuple[datetime | None, str | None]:
        from callwise.ops.models import Campaign

        found = self._frame(select(Campaign.spec, Campaign.product_id).where(Campaign.campaign_id == campaign_id))
        if found is None or found.empty:
            return None, None
        spec, product = found.iloc[0]["spec"] or {}, found.iloc[0]["product_id"]
        day = spec.get("date")
        start = datetime.combine(pd.Timestamp(day).date(), datetime.min.time()) if day else None
        if start is not None:
            start = start.replace(hour=int(spec.get("first_hour", 9)))
        return start, product

    def members(self, campaign_id: str) -> pa.Table | None:
        from callwise.ops.models import ListMember

        m = ListMember
        found = self._frame(
            select(
                m.customer_id, m.group, m.arm, m.assigned_at, m.score, m.score_decile, m.product_id, m.province,
                m.age_band, m.segment,
            ).where(m.campaign_id == campaign_id)
        )  # fmt: skip
        if found is None:
            return None
        return _arrow(found.assign(assigned_at=self._local(found["assigned_at"])), MEMBER)

    def calls(self, campaign_id: str) -> pa.Table | None:
        from callwise.ops.models import CallOutcome

        o = CallOutcome
        found = self._frame(
            select(o.customer_id, o.ts, o.disposition, o.agent_id, o.duration_s).where(o.campaign_id == campaign_id)
        )
        if found is None:
            return None
        return _arrow(found.assign(channel="call", ts=self._local(found["ts"])), CALL)

    def conversions(self) -> pa.Table | None:
        from callwise.ops.models import Conversion

        found = self._frame(select(Conversion.customer_id, Conversion.product_id, Conversion.ts))
        if found is None:
            return None
        return _arrow(found.assign(ts=self._local(found["ts"]), amount=np.nan), SALE)

    def opt_outs(self, start: datetime, end: datetime) -> pa.Table | None:
        from callwise.ops.models import PolicyEvent

        found = self._frame(
            select(PolicyEvent.customer_id, PolicyEvent.ts).where(PolicyEvent.kind == "consent_withdrawn")
        )
        if found is None or found.empty:
            return None
        local = self._local(found["ts"])
        inside = found[((local >= start) & (local < end)).to_numpy()]
        ids = pd.unique(inside["customer_id"].astype(str))
        return pa.table({"customer_id": pa.array(ids, pa.string()), "opt_out": pa.array(np.ones(len(ids), np.int64))})


def _arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame``'s columns of ``schema`` as an Arrow table of exactly that schema (missing values as nulls)."""
    columns = []
    for field in schema:
        values = frame[field.name] if field.name in frame else pd.Series([None] * len(frame))
        if pa.types.is_string(field.type):
            values = values.astype(object)
            columns.append(pa.array(values.where(values.notna(), None).tolist(), field.type))
        else:
            columns.append(pa.array(values, field.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema)
