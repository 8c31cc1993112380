"""The Parquet lake: one Parquet file per table, queried through Ibis."""

from callwise.lake.store import Lake

__all__ = ["Lake"]
