"""The moments table: every trigger of a catalogue compiled to one Ibis expression, evaluated as of a time.

Each trigger becomes a table of ``customer_id, moment_id, started_at, expires_at, built_at, detail``; the tables
are one ``union`` and the whole is one query on either engine. A moment is *live* at ``t`` when
``started_at <= t < expires_at``; the table holds the moments live at the as-of time, one per customer and
trigger. Only rows strictly before the as-of time are read (no leakage): a transaction at the very instant of
the as-of time is not seen, a holding counts when opened before it and not closed by it.

- ``transaction``: the latest qualifying transaction in the validity window starts the moment (at its time) and
  it lasts ``validity``; with ``cooldown``, a transaction within the cooldown after another qualifying one starts
  nothing (the first of a burst is the moment). ``detail``: the category.
- ``event_repeat``: per customer (and detail), an event that is the ``min_count``-th within ``window`` (the
  event ``min_count − 1`` places before it, of the same detail, is less than ``window`` earlier) is a *hit*; the
  first hit of a run of hits starts a moment at its time that lasts ``validity`` (more views in the same burst do
  not prolong it); the latest such start is the customer's. ``detail``: its detail.
- ``date_ahead``: a date ``D`` (a held product's ``matures_at``, the latest ``card_bill`` event's due date in its
  detail, a birthday); the moment starts at ``D − within`` and expires at ``D + validity``. Holdings: held at
  the as-of time or closed at their maturity (the money came out), the earliest maturing; ``detail`` its product
  id, the due date for a bill, nothing for a birthday.

``where:`` keeps only the customers its tag expression selects as of the as-of time. The as-of time is floored
to the grain (``daily``: midnight, ``hourly``: the hour). A trigger whose table or column the lake lacks is
skipped and named in the result. :func:`build_moments` writes the lake table ``moments`` atomically with the
as-of time, the grain and the catalogue's digest in its schema metadata, and one small JSON of counts per build
under ``<lake>/_moments/builds/`` (the page's chart over time).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callwise.i18n.errors import Translated
from callwise.lake import Lake
from callwise.moments.triggers import DateAheadBlock, EventRepeatBlock, TransactionBlock, Trigger, Triggers
from callwise.security.files import private_dir, private_file

TABLE = "moments"
GRAINS = ("daily", "hourly")
AS_OF_KEY = b"callwise.moments.as_of"
GRAIN_KEY = b"callwise.moments.grain"
CATALOGUE_KEY = b"callwise.moments.catalogue"
BUILDS = "_moments/builds"
BILL_LOOKBACK = timedelta(days=62)  # a card bill event is read this far back (statements come weeks before due)
SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string()),
        pa.field("moment_id", pa.string()),
        pa.field("started_at", pa.timestamp("us")),
        pa.field("expires_at", pa.timestamp("us")),
        pa.field("built_at", pa.timestamp("us")),
        pa.field("detail", pa.string()),
    ]
)
_DAY_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class MomentsError(Translated, ValueError):
    """Moments that cannot be built or read as asked (an unknown grain, a column a trigger reads is missing …)."""


def floor_to(as_of: datetime, grain: str) -> datetime:
    """``as_of`` floored to the grain: midnight for ``daily``, the hour for ``hourly`` (naive, the bank's clock)."""
    if grain not in GRAINS:
        raise MomentsError("moments.bad_grain", value=repr(grain), known=", ".join(GRAINS))
    as_of = as_of.replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return as_of.replace(hour=0) if grain == "daily" else as_of


def readable(lake: Lake, trigger: Trigger) -> bool:
    """Whether the lake has the table and columns the trigger reads (holdings' category may come from products)."""
    table, columns = trigger.reads()
    if not lake.has(table):
        return False
    have = set(lake.table(table).columns)
    income = isinstance(trigger.block, TransactionBlock) and trigger.block.income_multiple is not None
    if income and not lake.has("customers"):
        return False
    if table == "holdings" and isinstance(trigger.block, DateAheadBlock) and trigger.block.category is not None:
        products = lake.has("products") and "product_id" in have
        if "category" not in have and not products:
            return False
    return set(columns) <= have


def moments_table(lake: Lake, triggers: Triggers, as_of: datetime, grain: str = "daily") -> ir.Table:
    """The moments live at ``as_of`` (floored to ``grain``) of every trigger the lake can answer, as one Ibis
    expression in :data:`SCHEMA`'s columns, ordered by moment and customer."""
    at = floor_to(as_of, grain)
    parts = [_trigger_moments(lake, trigger, at) for trigger in triggers if readable(lake, trigger)]
    if not parts:
        return ibis.memtable(SCHEMA.empty_table())
    union = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    return union.order_by(["moment_id", "customer_id"])


def skipped(lake: Lake, triggers: Triggers) -> list[str]:
    """The triggers the lake cannot answer (their table or a column missing), in catalogue order."""
    return [t.id for t in triggers if not readable(lake, t)]


def _trigger_moments(lake: Lake, trigger: Trigger, at: datetime) -> ir.Table:
    b = trigger.block
    if isinstance(b, TransactionBlock):
        rows = _transactions(lake, trigger, b, at)
    elif isinstance(b, EventRepeatBlock):
        rows = _repeats(lake, trigger, b, at)
    else:
        rows = _dates(lake, trigger, b, at)
    if trigger.where is not None:
        from callwise.tags import audience_filter, default_catalogue

        rows = rows.semi_join(audience_filter(lake, default_catalogue(), trigger.where, at), "customer_id")
    return rows.select(
        customer_id=rows.customer_id.cast("string"),
        moment_id=ibis.literal(trigger.id, "string"),
        started_at=rows.started_at.cast("timestamp"),
        expires_at=rows.expires_at.cast("timestamp"),
        built_at=ibis.literal(at, "timestamp"),
        detail=rows.detail.cast("string"),
    )


def _live(rows: ir.Table, at: datetime) -> ir.Table:
    t = ibis.literal(at, "timestamp")
    return rows.filter((rows.started_at <= t) & (rows.expires_at > t))


def _one_per_customer(rows: ir.Table, order: list[Any]) -> ir.Table:
    ranked = rows.mutate(_n=ibis.row_number().over(group_by=rows.customer_id, order_by=order))
    return ranked.filter(ranked._n == 0).drop("_n")


def _seconds(delta: timedelta) -> ir.IntervalScalar:
    return ibis.interval(seconds=int(delta.total_seconds()))


def _transactions(lake: Lake, trigger: Trigger, b: TransactionBlock, at: datetime) -> ir.Table:
    tx = lake.table("transactions")
    ts = tx.ts.cast("timestamp")
    validity = trigger.validity.delta
    cooldown = trigger.cooldown.delta if trigger.cooldown else timedelta(0)
    keep = (ts < ibis.literal(at, "timestamp")) & (ts >= ibis.literal(at - validity - cooldown, "timestamp"))
    if b.categories is not None:
        keep &= tx.category.isin(b.categories)
    if b.direction is not None:
        keep &= tx.direction == b.direction
    amount = tx.amount.cast("float64").abs()
    if b.min_amount > 0:
        keep &= amount >= b.min_amount
    rows = tx.filter(keep).select("customer_id", ts=ts, amount=amount, detail=tx.category.cast("string"))
    if b.income_multiple is not None:
        people = lake.table("customers")
        income = people.income_monthly.cast("float64") if "income_monthly" in people.columns else ibis.null("float64")
        incomes = people.select(customer_id=people.customer_id.cast("string"), _income=income)
        rows = rows.mutate(customer_id=rows.customer_id.cast("string"))
        rows = rows.left_join(incomes, "customer_id").drop("customer_id_right")
        rows = rows.filter(rows._income.isnull() | (rows.amount >= rows._income * b.income_multiple)).drop("_income")
    if trigger.cooldown is not None:  # a qualifying transaction soon after another starts nothing
        previous = rows.ts.lag().over(group_by=rows.customer_id, order_by=[rows.ts, rows.amount, rows.detail])
        rows = rows.mutate(_prev=previous)
        quiet = rows._prev.isnull() | (rows._prev + _seconds(cooldown) <= rows.ts)
        rows = rows.filter(quiet).drop("_prev")
    rows = rows.mutate(started_at=rows.ts, expires_at=rows.ts + _seconds(validity))
    rows = _live(rows, at)
    return _one_per_customer(rows, [ibis.desc(rows.started_at), ibis.desc(rows.amount), rows.detail])


def _repeats(lake: Lake, trigger: Trigger, b: EventRepeatBlock, at: datetime) -> ir.Table:
    ev = lake.table("events")
    ts = ev.ts.cast("timestamp")
    validity = trigger.validity.delta
    # the events a moment live at ``at`` can start from, and one window more to tell whether a run was going on
    since = at - 2 * b.window.delta - validity
    keep = (ts < ibis.literal(at, "timestamp")) & (ts >= ibis.literal(since, "timestamp")) & (ev.event == b.event)
    detail = ev.detail.cast("string") if b.by_detail else ibis.null("string")
    rows = ev.filter(keep).select(customer_id=ev.customer_id.cast("string"), ts=ts, detail=detail)
    if b.by_detail:
        rows = rows.filter(rows.detail.notnull())
    if b.min_count > 1:  # the event that is the min_count-th within the window starts a moment
        group = [rows.customer_id, rows.detail] if b.by_detail else [rows.customer_id]
        earlier = rows.ts.lag(b.min_count - 1).over(group_by=group, order_by=[rows.ts])
        rows = rows.mutate(_hit=earlier.notnull() & (earlier + _seconds(b.window.delta) > rows.ts))
        # one moment per run: a hit right after another hit (the same burst going on) starts nothing new
        group = [rows.customer_id, rows.detail] if b.by_detail else [rows.customer_id]
        before = rows._hit.lag(1).over(group_by=group, order_by=[rows.ts])
        rows = rows.mutate(_start=rows._hit & ~before.fill_null(False))
        rows = rows.filter(rows._start).drop("_hit", "_start")
    rows = rows.mutate(started_at=rows.ts, expires_at=rows.ts + _seconds(validity))
    rows = _live(rows, at)
    return _one_per_customer(rows, [ibis.desc(rows.started_at), rows.detail])


def _dates(lake: Lake, trigger: Trigger, b: DateAheadBlock, at: datetime) -> ir.Table:
    within, validity = _seconds(b.within.delta), _seconds(trigger.validity.delta)
    if b.column == "holdings.matures_at":
        rows = _maturities(lake, b, at)
    elif b.column == "events.detail":
        rows = _bills(lake, b, at)
    else:
        rows = _birthdays(lake, at)
    day = rows.day.cast("timestamp")
    rows = rows.mutate(started_at=day - within, expires_at=day + validity)
    rows = _live(rows, at)
    return _one_per_customer(rows, [rows.expires_at, rows.detail]).drop("day")


def _maturities(lake: Lake, b: DateAheadBlock, at: datetime) -> ir.Table:
    h = lake.table("holdings")
    cutoff = ibis.literal(at, "timestamp")
    keep = h.matures_at.notnull()
    if "opened_at" in h.columns:
        keep &= h.opened_at.isnull() | (h.opened_at.cast("timestamp") < cutoff)
    if "closed_at" in h.columns:  # held at the as-of time, or closed at (or after) its maturity: the money came out
        closed = h.closed_at.cast("timestamp")
        keep &= h.closed_at.isnull() | (closed >= cutoff) | (closed >= h.matures_at.cast("timestamp"))
    product = h.product_id.cast("string") if "product_id" in h.columns else ibis.null("string")
    category = h.category.cast("string") if "category" in h.columns else ibis.null("string")
    rows = h.filter(keep).select(
        customer_id=h.customer_id.cast("string"), day=h.matures_at.cast("date"), detail=product, category=category
    )
    if b.category is not None:
        if lake.has("products") and "product_id" in h.columns:
            p = lake.table("products")
            kinds = p.select(detail=p.product_id.cast("string"), _product_category=p.category.cast("string"))
            rows = rows.left_join(kinds, "detail").drop("detail_right")
            rows = rows.mutate(category=rows.category.fill_null(rows._product_category)).drop("_product_category")
        rows = rows.filter(rows.category == b.category)
    return rows.drop("category")


def _bills(lake: Lake, b: DateAheadBlock, at: datetime) -> ir.Table:
    ev = lake.table("events")
    ts = ev.ts.cast("timestamp")
    keep = (ts < ibis.literal(at, "timestamp")) & (ts >= ibis.literal(at - BILL_LOOKBACK, "timestamp"))
    rows = ev.filter(keep & (ev.event == b.event)).select(
        customer_id=ev.customer_id.cast("string"), ts=ts, detail=ev.detail.cast("string").strip()
    )
    latest = _one_per_customer(rows, [ibis.desc(rows.ts), ibis.desc(rows.detail)])
    # A detail that is not a day (YYYY-MM-DD) names no due date: no moment, on either engine alike.
    day = ibis.ifelse(latest.detail.re_search(_DAY_RE), latest.detail, ibis.null("string")).try_cast("date")
    latest = latest.mutate(day=day)
    return latest.filter(latest.day.notnull()).select("customer_id", "day", "detail")


def _birthdays(lake: Lake, at: datetime) -> ir.Table:
    """Last year's, this year's and next year's birthday of every customer: the live one is kept by the caller."""
    c = lake.table("customers")
    born = c.birth_date.cast("date")
    month = born.month()
    day = ibis.ifelse((month == 2) & (born.day() == 29), 28, born.day())
    known = c.filter(born.notnull())
    years = [
        known.select(
            customer_id=known.customer_id.cast("string"),
            day=ibis.date(ibis.literal(at.year + k), month, day),
            detail=ibis.null("string"),
        )
        for k in (-1, 0, 1)
    ]
    return ibis.union(*years, distinct=False)


# ------------------------------------------------------------------------------------------------ writing


@dataclass(frozen=True)
class MomentBuild:
    """What a build wrote: rows, live moments per trigger, triggers skipped, seconds, the as-of time and grain."""

    rows: int
    counts: dict[str, int]
    customers: int
    skipped: list[str]
    seconds: float
    as_of: str
    grain: str
    table: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "counts": self.counts,
            "customers": self.customers,
            "skipped": self.skipped,
            "seconds": self.seconds,
            "as_of": self.as_of,
            "grain": self.grain,
            "table": self.table,
        }


def arrow_schema(triggers: Triggers, as_of: datetime, grain: str) -> pa.Schema:
    metadata = {
        AS_OF_KEY: as_of.isoformat().encode(),
        GRAIN_KEY: grain.encode(),
        CATALOGUE_KEY: triggers.sha256.encode(),
    }
    return SCHEMA.with_metadata(metadata)


def materialize(lake: Lake, triggers: Triggers, as_of: datetime, grain: str = "daily") -> pa.Table:
    """The moments table as Arrow, in :data:`SCHEMA`'s types, with the build's metadata."""
    at = floor_to(as_of, grain)
    schema = arrow_schema(triggers, at, grain)
    table = moments_table(lake, triggers, at, grain).to_pyarrow()
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def counts_of(table: pa.Table, triggers: Triggers) -> dict[str, int]:
    """Moments per trigger id, every trigger of the catalogue named (0 when none), in catalogue order."""
    found = dict.fromkeys((t.id for t in triggers), 0)
    if table.num_rows:
        for row in table.group_by("moment_id").aggregate([("customer_id", "count")]).to_pylist():
            found[str(row["moment_id"])] = int(row["customer_id_count"])
    return found


def build_moments(lake: Lake, triggers: Triggers, as_of: datetime, grain: str = "daily") -> MomentBuild:
    """Evaluate every trigger as of ``as_of`` (floored to ``grain``), write the lake table ``moments`` and one
    JSON of counts under ``<lake>/_moments/builds/``."""
    started = time.perf_counter()
    at = floor_to(as_of, grain)
    table = materialize(lake, triggers, at, grain)
    path = lake.write(TABLE, table)
    counts = counts_of(table, triggers)
    customers = len(pc.unique(table.column("customer_id"))) if table.num_rows else 0
    seconds = round(time.perf_counter() - started, 3)
    build = MomentBuild(
        table.num_rows, counts, customers, skipped(lake, triggers), seconds, at.isoformat(), grain, str(path)
    )
    _save_build(lake, build, triggers)
    return build


def _save_build(lake: Lake, build: MomentBuild, triggers: Triggers) -> None:
    folder = private_dir(lake.root / BUILDS)
    name = build.as_of.replace(":", "") + ".json"
    record = {k: v for k, v in build.to_dict().items() if k != "table"} | {"catalogue": triggers.sha256}
    tmp = folder / f".{name}.tmp"
    private_file(tmp)
    tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
    tmp.replace(folder / name)


def build_history(lake: Lake, limit: int = 60) -> list[dict[str, Any]]:
    """The counts of the latest ``limit`` builds, oldest first (one per as-of time: a rebuild replaces it)."""
    folder = lake.root / BUILDS
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json"))[-limit:]:
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return out


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class BuiltAt:
    """The metadata of the lake's moments table."""

    as_of: datetime
    grain: str
    catalogue: str


def built_at(lake: Lake) -> BuiltAt | None:
    """When, at which grain and from which catalogue the lake's moments table was built (None: no table)."""
    if not lake.path(TABLE).exists():
        return None
    metadata = pq.read_schema(lake.path(TABLE)).metadata or {}
    raw = metadata.get(AS_OF_KEY)
    if not raw:
        return None
    return BuiltAt(
        datetime.fromisoformat(raw.decode()),
        metadata.get(GRAIN_KEY, b"daily").decode(),
        metadata.get(CATALOGUE_KEY, b"").decode(),
    )


def live_moments(table: ir.Table, at: datetime, moment_ids: list[str] | None = None) -> ir.Table:
    """The rows of a moments table live at ``at`` (``started_at <= at < expires_at``), of ``moment_ids`` if given."""
    t = ibis.literal(at, "timestamp")
    keep = (table.started_at.cast("timestamp") <= t) & (table.expires_at.cast("timestamp") > t)
    if moment_ids is not None:
        keep &= table.moment_id.isin(moment_ids)
    return table.filter(keep)


def stored_moments(lake: Lake, as_of: datetime) -> ir.Table:
    """The lake's moments table, which must have been built as of exactly ``as_of`` (an older one would miss
    moments, a newer one would use facts ``as_of`` cannot know): :class:`MomentsError` otherwise."""
    built = built_at(lake)
    shown = as_of.isoformat(sep=" ", timespec="minutes")
    if built is None:
        raise MomentsError("moments.no_table", as_of=as_of.date().isoformat())
    if built.as_of != as_of:
        key = "moments.stale_table" if built.as_of < as_of else "moments.future_table"
        raise MomentsError(key, built=built.as_of.isoformat(sep=" ", timespec="minutes"), as_of=shown)
    return lake.table(TABLE)


def pick_moment(table: ir.Table, at: datetime, moment_ids: list[str]) -> ir.Table:
    """``customer_id`` and ``moment_id``: per customer with a live moment of ``moment_ids`` at ``at``, the first
    of ``moment_ids`` (the campaign's order) that is live."""
    live = live_moments(table, at, moment_ids)
    rank = ibis.cases(*((live.moment_id == m, i) for i, m in enumerate(moment_ids)), else_=len(moment_ids))
    live = live.mutate(_rank=rank)
    first = _one_per_customer(live, [live._rank, live.moment_id])
    return first.select(customer_id=first.customer_id.cast("string"), moment_id=first.moment_id)
