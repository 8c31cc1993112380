"""The pieces every page is made of: KPI tiles, charts that carry their own table, and tables that export.

A chart's numbers are always also a table: the table view under the chart and the CSV/XLSX export read the same
rows, so what a reader downloads is what the chart drew. Exports go through ``callwise.export``: no cell can start
a formula, whatever a bank's campaign or agent names hold.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import Response

from callwise.export import write_csv, write_xlsx
from callwise.i18n import t
from callwise.web.ui.session import BoardError

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    """Rows of raw values (numbers stay numbers), the columns to show and the i18n keys of their headers."""

    id: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    total: int | None = None  # a paged table: every row's count; ``rows`` holds one page
    page_size: int = 50
    formats: dict[str, str] = field(default_factory=dict)  # field → num, pct, money, date, datetime, signed

    def frame(self, lang: str, timezone: str = "Asia/Shanghai") -> pd.DataFrame:
        """The table as the export writes it: the columns in order, headers in ``lang``, times on the bank's clock
        (a spreadsheet has no time zones, so a zoned time is written as the bank's local time)."""
        names = [field for field, _ in self.columns]
        frame = pd.DataFrame.from_records(self.rows, columns=names) if self.rows else pd.DataFrame(columns=names)
        for name in names:
            column = frame[name]
            if column.dtype == object and any(isinstance(v, datetime) and v.tzinfo for v in column.head(50)):
                column = pd.to_datetime(column, utc=True)
            if isinstance(column.dtype, pd.DatetimeTZDtype):
                frame[name] = column.dt.tz_convert(timezone).dt.tz_localize(None)
        frame.columns = pd.Index([t(key, lang) for _, key in self.columns])
        return frame


@dataclass
class Chart:
    """An ECharts option (labels already in the reader's language) with what it shows, from what data."""

    id: str
    title_key: str
    source_key: str
    option: dict[str, Any]
    table: Table
    height: int = 320
    values: dict[str, Any] = field(default_factory=dict)  # placeholders of title_key and source_key
    empty_key: str | None = None  # nothing to draw yet: this sentence (what to do, or when it comes) instead


@dataclass
class Tile:
    """A KPI: its value, the change against the previous period, and a sparkline of its trend."""

    label_key: str
    value: str
    delta: str | None = None
    good: bool | None = None  # the change is good news (green), bad (red), or neither
    trend: list[float] = field(default_factory=list)
    hint: str | None = None  # e.g. the 95% interval

    def sparkline(self, width: int = 120, height: int = 28) -> str:
        """The trend as SVG polyline points, scaled into the box; empty for fewer than two points."""
        points = [p for p in self.trend if p == p]  # NaN-free
        if len(points) < 2:
            return ""
        low, high = min(points), max(points)
        span = (high - low) or 1.0
        step = width / (len(points) - 1)
        return " ".join(f"{i * step:.1f},{height - (p - low) / span * height:.1f}" for i, p in enumerate(points))


def disposition(filename: str, fmt: str) -> str:
    """An attachment header: an ASCII name for every browser, the Chinese name (RFC 5987) for those that read it."""
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in filename)[:80] or "export"
    ascii_name = "".join(c if c.isascii() else "_" for c in name)
    header = f'attachment; filename="{ascii_name}.{fmt}"'
    return header if ascii_name == name else f"{header}; filename*=UTF-8''{quote(name)}.{fmt}"


def export_response(table: Table, fmt: str, lang: str, filename: str, timezone: str) -> Response:
    """The table as a download: CSV (UTF-8 with BOM, for Excel) or XLSX; formula-safe; headers in ``lang``; zoned
    times on the clock of ``timezone`` (the bank's)."""
    if fmt not in MEDIA:
        raise BoardError(404, "board.error.not_found")
    frame = table.frame(lang, timezone)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"export.{fmt}"
        if fmt == "csv":
            write_csv(frame, path)
        else:
            write_xlsx(frame, path, sheet=table.id[:31])
        body = path.read_bytes()
    headers = {"Content-Disposition": disposition(filename, fmt), "Cache-Control": "no-store"}
    return Response(body, media_type=MEDIA[fmt], headers=headers)
