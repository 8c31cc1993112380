"""The tag table: one row per customer, one column per tag, as of a cutoff, in one Ibis query per build.

The query is built in four steps, each read once however many tags use it:

1. the base: the as-of feature table (only when a tag reads a feature) and the customer columns tags read;
2. the table windows of every tag, collected across the catalogue and aggregated in **one** ``group_by`` per
   source table (each window a ``where=``-filtered aggregate; windows that aggregate the same thing — the same
   call in two tags, or ``count`` and ``exists`` of the same rows — are one aggregate), each joined to the base
   once;
3. the tags in topological layers, one ``mutate`` per layer, so a tag read by others is computed once;
4. the tags asked for, under their ids.

Values: a flag is boolean with unknown filled as false ("unknown counts as not"), a level is text (unknown
stays unknown), a number float64 (unknown stays unknown). :func:`build_tags` writes the lake table ``tags``
atomically with the cutoff and the catalogue's digest in its schema metadata, and a quality report.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from callwise.features.asof import Source, customer_features, join_on_keys
from callwise.i18n.errors import Translated
from callwise.lake import Lake
from callwise.tags.catalogue import Catalogue, Tag
from callwise.tags.expr import (
    TIME_COLUMN,
    ZERO_WHEN_EMPTY,
    Analysis,
    Compiler,
    Resolved,
    Type,
    Window,
    days_before,
    window_start,
)

TABLE = "tags"
CUTOFF_KEY = b"callwise.tags.cutoff"
CATALOGUE_KEY = b"callwise.tags.catalogue"
ARROW_TYPES = {"flag": pa.bool_(), "level": pa.string(), "number": pa.float64()}
_NULLS: dict[Type, str] = {"bool": "boolean", "num": "float64", "str": "string", "time": "timestamp", "null": "string"}


class TagBuildError(Translated, ValueError):
    """A lake the catalogue cannot be built on (a column a tag reads is missing from its table)."""


def tag_table(
    lake: Lake,
    catalogue: Catalogue,
    cutoff: datetime,
    only: list[str] | None = None,
    customers: ir.Table | None = None,
    extra: Callable[[ir.Table], ir.Table] | None = None,
) -> ir.Table:
    """``customer_id`` and one column per tag (those in ``only``, or all), as of ``cutoff``.

    ``customers`` restricts the rows (a table with a ``customer_id`` column). ``extra`` adds columns to the
    base before the tags are computed (an audience's ``segment``).
    """
    ids = [catalogue.get(name).id for name in only] if only is not None else list(catalogue.tags)
    layers = catalogue.layers(ids)
    analyses = [catalogue.analysis(t) for layer in layers for t in layer]
    plan = _Plan(lake, cutoff, customers)
    base = plan.base(analyses)
    if extra is not None:
        base = extra(base)
    for layer in layers:
        values = {_tag_column(t): plan.tag_value(base, catalogue.tags[t], catalogue.analysis(t)) for t in layer}
        base = base.mutate(**values)
    return base.select("customer_id", **{t: base[_tag_column(t)] for t in ids}).order_by("customer_id")


def stored_value(
    lake: Lake,
    tag: Tag,
    analysis: Analysis,
    cutoff: datetime,
    stored: ir.Table,
    extra: Callable[[ir.Table], ir.Table] | None = None,
) -> ir.Table:
    """``customer_id`` and ``value``: one expression over every customer, the tags it names read from ``stored``
    (a built tag table) instead of recomputed; its features, customer columns and windows as of ``cutoff``."""
    plan = _Plan(lake, cutoff, None)
    base = plan.base([analysis])
    if analysis.tags:
        base = join_on_keys(
            base, stored.select("customer_id", **{_tag_column(t): stored[t] for t in analysis.tags}), ("customer_id",)
        )
    if extra is not None:
        base = extra(base)
    return base.select("customer_id", value=plan.tag_value(base, tag, analysis))


def _tag_column(tag_id: str) -> str:
    return f"t__{tag_id}"


def _column_column(name: str) -> str:
    return f"c__{name}"


@dataclass
class _Plan:
    lake: Lake
    cutoff: datetime
    customers: ir.Table | None
    windows: dict[str, tuple[str, Window]] = field(default_factory=dict)  # key → (its column, window)
    aggregates: dict[tuple[Any, ...], str] = field(default_factory=dict)  # what a window aggregates → its column

    def base(self, analyses: list[Analysis]) -> ir.Table:
        features = sorted({r.name for a in analyses for r in a.names.values() if r.kind == "feature"})
        columns = {r.name: r.type for a in analyses for r in a.names.values() if r.kind == "column"}
        source = Source(self.lake, self.customers)
        people = source.table("customers")
        if features:
            table = customer_features(self.lake, self.cutoff, customers=self.customers)
            known = set(table.columns)
            table = table.select(
                "customer_id",
                **{f: table[f] if f in known else _null(_feature_type(f)) for f in features},
            )
        else:
            table = people.select("customer_id")
        if columns:
            present = set(people.columns)
            extra = people.select(
                "customer_id",
                **{_column_column(c): people[c] if c in present else _null(kind) for c, kind in columns.items()},
            )
            table = join_on_keys(table, extra, ("customer_id",))
        by_table: dict[str, dict[str, Window]] = {}  # table → aggregate column → a window it serves
        for a in analyses:
            for key, window in a.windows.items():
                if key in self.windows:
                    continue
                signature = _signature(window)
                column = self.aggregates.get(signature)
                if column is None:
                    column = self.aggregates[signature] = f"w__{len(self.aggregates)}"
                    by_table.setdefault(window.table, {})[column] = window
                self.windows[key] = (column, window)
        for name, windows in by_table.items():
            columns_read = {c for a in analyses for c in a.table_columns.get(name, ())}
            aggregated = self._aggregate(source, name, windows, columns_read)
            if aggregated is not None:
                table = join_on_keys(table, aggregated, ("customer_id",))
            else:  # no such table in the lake: every customer has no rows there
                table = table.mutate(**{c: _null(_empty_type(w)) for c, w in windows.items()})
        return table

    def _aggregate(self, source: Source, name: str, windows: dict[str, Window], read: set[str]) -> ir.Table | None:
        if not self.lake.has(name):
            return None
        t = source.table(name)
        missing = sorted(read - set(t.columns))
        if missing:
            raise TagBuildError("tags.build.missing_column", table=name, column=missing[0])
        time_column = TIME_COLUMN.get(name)
        cutoff = ibis.literal(self.cutoff)
        if time_column is not None:
            keep = t[time_column].cast("timestamp") < cutoff
            if all(w.days is not None for w in windows.values()):  # read no further back than the longest window
                longest = max(w.days or 0 for w in windows.values())
                keep &= t[time_column].cast("timestamp") >= ibis.literal(window_start(self.cutoff, longest))
        else:  # holdings: held at the cutoff
            keep = ibis.literal(True)
            if "opened_at" in t.columns:
                keep &= t.opened_at.isnull() | (t.opened_at.cast("timestamp") < cutoff)
            if "closed_at" in t.columns:
                keep &= t.closed_at.isnull() | (t.closed_at.cast("timestamp") >= cutoff)
        t = t.filter(keep)
        compiler = Compiler(self.cutoff, _no_names, _no_names, {})
        aggregates: dict[str, ir.Value] = {}
        for column, window in windows.items():
            cond: ir.BooleanValue | None = None
            if window.where is not None:
                cond = compiler.compile(window.where, t)
            if window.days is not None and time_column is not None:
                recent = t[time_column].cast("timestamp") >= ibis.literal(window_start(self.cutoff, window.days))
                cond = recent if cond is None else (recent & cond)
            aggregates[column] = _aggregate(t, window, cond, time_column)
        return t.group_by("customer_id").aggregate(**aggregates)

    def tag_value(self, base: ir.Table, tag: Tag, analysis: Analysis) -> ir.Value:
        def column(resolved: Resolved) -> ir.Value:
            if resolved.kind == "tag":
                return base[_tag_column(resolved.name)]
            if resolved.kind == "column":
                return base[_column_column(resolved.name)]
            return base[resolved.name]

        def window(key: str) -> ir.Value:
            name, w = self.windows[key]
            value = base[name]
            if w.func == "days_since":
                return days_before(value, self.cutoff)
            if w.func in ZERO_WHEN_EMPTY:
                value = value.fill_null(0)
            return value > 0 if w.func == "exists" else value

        value = Compiler(self.cutoff, column, window, analysis.names).compile(analysis.tree)
        return finish(tag, value)


def finish(tag: Tag, value: ir.Value) -> ir.Value:
    """A tag's value in its stored type: flags boolean (unknown counts as not), levels text, numbers float64."""
    if tag.value == "flag":
        return value.cast("boolean").fill_null(False)
    if tag.value == "number":
        return value.cast("float64")
    return value.cast("string")


def _aggregate(t: ir.Table, window: Window, cond: ir.BooleanValue | None, time_column: str | None) -> ir.Value:
    if window.func in ("count", "exists"):
        return t.count(where=cond)
    if window.func == "days_since":
        return t[time_column or "ts"].cast("timestamp").max(where=cond)
    col = t[window.column or ""]
    if window.func == "sum":
        return col.cast("float64").sum(where=cond)
    if window.func == "mean":
        return col.cast("float64").mean(where=cond)
    if window.func == "count_distinct":
        return col.nunique(where=cond)
    picked = col.max(where=cond) if window.func == "max" else col.min(where=cond)
    return picked.cast("float64") if col.type().is_numeric() else picked


def _signature(window: Window) -> tuple[Any, ...]:
    """What a window aggregates: ``count`` and ``exists`` of the same rows are one count."""
    func = "count" if window.func == "exists" else window.func
    where = ast.dump(window.where) if window.where is not None else None
    return (func, window.table, window.column, window.days, where)


def _empty_type(window: Window) -> Type:
    if window.func in ("count", "exists", "count_distinct", "sum", "mean"):
        return "num"
    if window.func == "days_since":
        return "time"
    from callwise.tags.expr import TABLES

    return TABLES[window.table].get(window.column or "", "num")


def _no_names(*_: Any) -> ir.Value:
    raise AssertionError("a window's condition reads only its table's columns")


def _null(kind: Type) -> ir.Value:
    return ibis.null(_NULLS[kind])


def _feature_type(name: str) -> Type:
    from callwise.tags.catalogue import feature_types

    return feature_types().get(name, "num")


# ------------------------------------------------------------------------------------------------ writing


@dataclass(frozen=True)
class TagBuild:
    """What a build wrote: rows, seconds, how many tags, and the quality report (one dict per tag)."""

    rows: int
    seconds: float
    tags: int
    quality: list[dict[str, Any]]
    cutoff: str
    table: str
    report: str


def arrow_schema(catalogue: Catalogue, cutoff: datetime) -> pa.Schema:
    fields = [pa.field("customer_id", pa.string())]
    fields += [pa.field(t.id, ARROW_TYPES[t.value]) for t in catalogue.tags.values()]
    metadata = {CUTOFF_KEY: cutoff.isoformat().encode(), CATALOGUE_KEY: catalogue.sha256.encode()}
    return pa.schema(fields, metadata=metadata)


def materialize(lake: Lake, catalogue: Catalogue, cutoff: datetime) -> pa.Table:
    """The whole tag table as Arrow, in the stored types and with the build's metadata."""
    schema = arrow_schema(catalogue, cutoff)
    table = tag_table(lake, catalogue, cutoff).to_pyarrow()
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def build_tags(lake: Lake, catalogue: Catalogue, cutoff: datetime) -> TagBuild:
    """Compute every tag of ``catalogue`` as of ``cutoff``, write the lake table ``tags`` and a quality report
    (coverage, distribution, change since the table it replaces) under ``<lake>/_tags/builds/``."""
    from callwise.tags import quality

    started = time.perf_counter()
    table = materialize(lake, catalogue, cutoff)
    previous = quality.previous_table(lake)
    report = quality.report(catalogue, table, previous)
    path = lake.write(TABLE, table)
    seconds = round(time.perf_counter() - started, 3)
    saved = quality.save(lake, report, cutoff, catalogue, table.num_rows, seconds)
    return TagBuild(table.num_rows, seconds, len(catalogue.tags), report, cutoff.isoformat(), str(path), str(saved))
