"""The data contract as code."""

from callwise.schema.contract import TABLES, Column, Kind, Table

__all__ = ["TABLES", "Column", "Kind", "Table"]
