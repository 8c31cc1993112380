"""Assigning every customer to the nearest segment centroid, in Ibis (the lake's engine, DuckDB or Spark)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from callwise.lake import Lake
from callwise.segments.inputs import input_table

if TYPE_CHECKING:
    from callwise.segments.model import Segmentation


def assign_segments(lake: Lake, segmentation: Segmentation, cutoff: datetime | None = None) -> ir.Table:
    """customer_id, segment_id and the Euclidean distance to its centroid (standardised units), as of ``cutoff``
    (default: the segmentation's own), every customer; of two equally near centroids, the first segment's."""
    moment = cutoff or datetime.fromisoformat(segmentation.cutoff)
    table = input_table(lake, moment, segmentation.features, segmentation.tags)
    z = segmentation.scaler.expressions(table)
    names = segmentation.scaler.outputs
    squares: list[ir.NumericValue] = []
    for info in segmentation.segments:
        total: ir.NumericValue = ibis.literal(0.0)
        for name, centre in zip(names, info.centroid, strict=True):
            diff = z[name] - float(centre)
            total = total + diff * diff
        squares.append(total)
    with_d = table.select("customer_id", **{f"d__{i}": sq for i, sq in enumerate(squares)})
    columns = [with_d[f"d__{i}"] for i in range(len(squares))]
    least = ibis.least(*columns) if len(columns) > 1 else columns[0]
    with_min = with_d.mutate(d__min=least)
    cases = [(with_min[f"d__{i}"] == with_min.d__min, info.id) for i, info in enumerate(segmentation.segments)]
    segment = ibis.cases(*cases, else_=segmentation.segments[0].id)
    out = with_min.select("customer_id", segment_id=segment, distance=with_min.d__min.sqrt())
    return out.order_by("customer_id")
