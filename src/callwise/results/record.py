"""Recording the experiment: every member of a list (control included) goes to the lake's ``campaign_members``.

The control group is never called, so no contact row ever names it; without this record a campaign could not be
measured against it later. The rows carry what was known at assignment: group, arm, score and decile, the campaign
seed the assignment hashed with, and the fields results are broken down by (product, province, age band, segment).

A list's members are appended as one part of the table (``Lake.append``), named by a digest of the rows, so
recording the same build again finds its part and adds nothing. ``assigned_at`` is the campaign's first calling
slot on the bank's clock (the lake's times are local): the moment the assignment takes effect, and the same for a
rebuild. A table written before these columns existed is widened once (its rows keep them empty).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time

import pandas as pd
import pyarrow as pa

from callwise.lake import Lake
from callwise.lists.build import ListResult
from callwise.lists.campaign import Campaign

TABLE = "campaign_members"
MEMBER_SCHEMA = pa.schema(
    [
        pa.field("campaign_id", pa.string()),
        pa.field("customer_id", pa.string()),
        pa.field("group", pa.string()),
        pa.field("arm", pa.string()),
        pa.field("assigned_at", pa.timestamp("us")),
        pa.field("list_id", pa.int64()),
        pa.field("score", pa.float64()),
        pa.field("score_decile", pa.int64()),
        pa.field("seed", pa.int64()),
        pa.field("product_id", pa.string()),
        pa.field("province", pa.string()),
        pa.field("age_band", pa.string()),
        pa.field("segment", pa.string()),
        pa.field("moment_id", pa.string()),  # a triggered campaign's member: the moment it was listed for
    ]
)


@dataclass(frozen=True)
class Recorded:
    """What recording a list's members did: the part's id, its rows, and whether it was there already."""

    part_id: str
    rows: int
    already: bool

    def to_dict(self) -> dict[str, object]:
        return {"part_id": self.part_id, "rows": self.rows, "already": self.already}


def campaign_start(campaign: Campaign) -> datetime:
    """The campaign's first calling slot on the bank's clock (naive, as the lake's times are)."""
    return datetime.combine(campaign.date, time(campaign.first_hour))


def member_table(result: ListResult, list_id: int | None = None) -> pa.Table:
    """The list's members as rows of ``campaign_members`` (:data:`MEMBER_SCHEMA`), in customer order."""
    campaign = result.planning.campaign
    members = result.members
    seed = int(result.summary["experiment"]["seed"])
    n = len(members)

    def text(name: str) -> pa.Array:
        column = members[name] if name in members else pd.Series([None] * n, dtype=object)
        return pa.array(column.astype(object).where(column.notna(), None).tolist(), pa.string())

    decile = pd.to_numeric(members["score_decile"], errors="coerce")
    return pa.table(
        {
            "campaign_id": pa.array([campaign.campaign_id] * n, pa.string()),
            "customer_id": pa.array(members["customer_id"].astype(str).tolist(), pa.string()),
            "group": pa.array(members["group"].astype(str).tolist(), pa.string()),
            "arm": text("arm"),
            "assigned_at": pa.array([campaign_start(campaign)] * n, pa.timestamp("us")),
            "list_id": pa.array([list_id] * n, pa.int64()),
            "score": pa.array(members["score"].astype(float).to_numpy(), pa.float64()),
            "score_decile": pa.array(decile.astype("Int64"), pa.int64(), from_pandas=True),
            "seed": pa.array([seed] * n, pa.int64()),
            "product_id": pa.array([campaign.product_id] * n, pa.string()),
            "province": text("province"),
            "age_band": text("age_band"),
            "segment": text("segment"),
            "moment_id": text("moment_id"),
        },
        schema=MEMBER_SCHEMA,
    )


def part_id(rows: pa.Table) -> str:
    """A digest of the rows: the same members recorded again get the same part id."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    return "members-" + hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:40]


def record_members(lake: Lake, result: ListResult, list_id: int | None = None) -> Recorded:
    """Append the list's members to the lake's ``campaign_members`` once (see the module)."""
    rows = member_table(result, list_id)
    return append_members(lake, rows)


def append_members(lake: Lake, rows: pa.Table) -> Recorded:
    """Append member rows (:data:`MEMBER_SCHEMA`) as one part, unless a part of the same rows is there already."""
    pid = part_id(rows)
    if not lake.has(TABLE):
        lake.append(TABLE, pid, rows, MEMBER_SCHEMA)
        return Recorded(pid, rows.num_rows, already=False)
    if pid in lake.part_ids(TABLE):
        return Recorded(pid, rows.num_rows, already=True)
    schema = _table_schema(lake)
    wider = _union(schema, MEMBER_SCHEMA)
    if not wider.equals(schema):  # every file of a table has the same columns: widen the old ones first
        lake.compact(TABLE, wider)
    lake.append(TABLE, pid, _conformed(rows, wider), wider)
    return Recorded(pid, rows.num_rows, already=False)


def _table_schema(lake: Lake) -> pa.Schema:
    import pyarrow.parquet as pq

    return pq.read_schema(lake.files(TABLE)[0]).remove_metadata()


def _union(schema: pa.Schema, extra: pa.Schema) -> pa.Schema:
    """``schema`` with ``extra``'s fields it lacks added at the end."""
    fields = list(schema)
    fields += [f for f in extra if f.name not in schema.names]
    return pa.schema(fields)


def _conformed(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` with ``schema``'s columns and types (a column of the lake's that the members lack is empty)."""
    columns = [
        rows[f.name].cast(f.type) if f.name in rows.schema.names else pa.nulls(rows.num_rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
