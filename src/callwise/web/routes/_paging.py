"""Keyset pagination for every list endpoint: stable under inserts, cheap at any depth, one way for all.

A list endpoint takes ``cursor`` (the ``next_cursor`` of the page before, none for the first page) and
``limit``, and answers ``{"items": [...], "next_cursor": "..." | null}``. The cursor is the sort key of the last
row sent, so a page never repeats or skips a row however many arrive meanwhile. The endpoints keyed on one
integer id also take ``after_id`` and answer ``next_after``, as they did before cursors.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from callwise.i18n import t
from callwise.web.errors import ApiError

T = TypeVar("T")

MAX_LIMIT = 1000
AfterId = Annotated[int, Query(ge=0, le=2**62, description="return items with an id after this one")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT:,})")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the next_cursor of the page before; leave out for the first page"),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None  # pass as cursor for the next page; null on the last page


class IdPage(Page[T], Generic[T]):
    next_after: int | None  # the same page end as an id, for after_id; null on the last page


@dataclass(frozen=True)
class Keyset:
    """The order a list is paged in: columns whose values together are unique per row (the last one a key)."""

    columns: Sequence[InstrumentedAttribute[Any]]
    descending: bool = False

    def order(self) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, values: Sequence[Any]) -> Any:
        """Rows strictly after ``values`` in this order: (a, b) > (x, y) written out, which every database runs."""
        terms = []
        for i, column in enumerate(self.columns):
            beyond = column < values[i] if self.descending else column > values[i]
            terms.append(and_(*(c == v for c, v in zip(self.columns[:i], values[:i], strict=True)), beyond))
        return or_(*terms)


def keyset_page(
    session: Session,
    query: Select[Any],
    keyset: Keyset,
    cursor: str | None,
    limit: int,
    out: Callable[[Any], Any],
) -> dict[str, Any]:
    """One page of ``query`` in ``keyset`` order after ``cursor``, each row made an item by ``out``."""
    if cursor is not None:
        query = query.where(keyset.after(decode_cursor(cursor, keyset)))
    rows = session.scalars(query.order_by(*keyset.order()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = [getattr(rows[-1], c.key) for c in keyset.columns] if more and rows else None
    next_after = last[0] if last is not None and len(last) == 1 and isinstance(last[0], int) else None
    return {
        "items": [out(r) for r in rows],
        "next_cursor": None if last is None else encode_cursor(last),
        "next_after": next_after,
    }


def start_after(cursor: str | None, after_id: int) -> str | None:
    """The cursor of an id-keyed endpoint: ``cursor`` if given, else the one ``after_id`` stands for."""
    return cursor if cursor is not None or after_id == 0 else encode_cursor([after_id])


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, keyset: Keyset) -> list[Any]:
    """The key values in ``cursor``, each of its column's type; a 422 on ``query.cursor`` for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
        if not isinstance(values, list) or len(values) != len(keyset.columns):
            raise ValueError("wrong length")
        return [_typed(value, _python_type(column)) for value, column in zip(values, keyset.columns, strict=True)]
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        values = {"where": "query.cursor"}
        problem = {"problem": t("service.bad_cursor", "en"), "problem_zh": t("service.bad_cursor", "zh")}
        raise ApiError(422, "validation", details=[{**values, **problem}]) from None


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    """The Python type of a column's values, through a TypeDecorator (UtcDateTime) to the type it wraps."""
    kind = column.type
    return getattr(kind, "impl", kind).python_type


def _typed(value: Any, kind: type) -> Any:
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a cursor time without its zone")
        return parsed
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("not an id")
    if kind is str and not isinstance(value, str):
        raise ValueError("not text")
    return value
