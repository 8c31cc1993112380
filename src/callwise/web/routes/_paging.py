"""Keyset pagination shared by the list endpoints: stable under inserts, cheap at any depth."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

AfterId = Annotated[int, Query(ge=0, le=2**62, description="return items with an id after this one")]
Limit = Annotated[int, Query(ge=1, le=1000, description="items per page (at most 1000)")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_after: int | None  # pass as after_id for the next page; null on the last page


def page(items: list[Any], limit: int, key: str) -> dict[str, Any]:
    """``items`` fetched with limit + 1 rows: the extra row only says whether another page exists."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_after": items[-1][key] if more and items else None}
