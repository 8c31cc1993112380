"""The audience builder's numbers: an expression's size, share and profile (``preview_audience``) for a viewer,
with sensitive tags refused to a viewer without ``tags:sensitive`` and an error's position counted in characters.

The preview runs on the catalogue the viewer may see, so a hidden tag is an unknown name (its hint drawn from
the shown names only) and never among the over-represented tags. A hidden tag's id or Chinese name is refused
even where it would otherwise resolve (a fact tag named after its feature), as an unknown name: the refusal
says no more than it would about a name that is no tag at all.
"""

from __future__ import annotations

import ast
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from callwise.clock import today_in
from callwise.i18n.errors import say
from callwise.i18n.message import msg
from callwise.lake import Lake
from callwise.tags.audience import AudienceError, preview_audience
from callwise.tags.build import TagBuildError
from callwise.tags.catalogue import Catalogue
from callwise.tags.expr import MAX_CHARS, ExpressionError, parse

# One lake query of the builder at a time (the lake's DuckDB connection is shared by the service's threads), and for
# each viewer only their newest request is worth it: one that waited while a newer came in is dropped (``stale``).
_LAKE = threading.Lock()
_NEWEST: dict[str, int] = {}
_TICKETS = itertools.count()


@dataclass(frozen=True)
class Problem:
    """Why an expression cannot be used: the sentence's parts and the 1-based character it points at."""

    reason: Any
    column: int | None = None

    def message(self, lang: str) -> str:
        if self.column is None:
            return say("tags.audience.invalid", lang, reason=self.reason)
        return say("tags.audience.invalid_at", lang, column=self.column, reason=self.reason)


@dataclass(frozen=True)
class Preview:
    """An expression's audience (``result``: what ``preview_audience`` said) or its problem; ``stale``: not
    computed, a newer request of the same viewer came in while it waited."""

    expression: str
    cutoff: datetime
    result: dict[str, Any] = field(default_factory=dict)
    problem: Problem | None = None
    stale: bool = False


def serially(viewer: str, cutoff: datetime, text: str, compute: Any) -> Preview:
    """``compute()`` under the builder's lake lock, unless ``viewer`` asked again meanwhile."""
    ticket = next(_TICKETS)
    _NEWEST[viewer] = ticket
    with _LAKE:
        if _NEWEST.get(viewer) != ticket:
            return Preview(text, cutoff, stale=True)
        found: Preview = compute()
        return found


def one_line(expression: str) -> str:
    """The expression as the language reads it: one line (a text box may wrap it), without leading blanks."""
    return " ".join(expression.replace("\r", " ").replace("\t", " ").split("\n")).strip()


def hidden_names(full: Catalogue, shown: Catalogue) -> set[str]:
    """The ids and Chinese names of the tags ``shown`` leaves out."""
    return {n for tag_id, tag in full.tags.items() if tag_id not in shown.tags for n in (tag_id, tag.name_zh)}


def _refuse_hidden(text: str, hidden: set[str]) -> None:
    if not hidden:
        return
    try:
        tree = parse(text)
    except ExpressionError:
        return  # the preview says what is wrong with it
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in hidden:
            reason = msg("tags.expr.unknown_name", name=node.id, hint="")
            raise AudienceError(reason, node.col_offset + 1)


def cutoff_for(quality_cutoff: str | None, timezone: str) -> datetime:
    """The newest tag build's cutoff (the tags the catalogue page shows), else the start of the bank's today."""
    if quality_cutoff:
        try:
            return datetime.fromisoformat(quality_cutoff).replace(tzinfo=None)
        except ValueError:
            pass
    return datetime.combine(today_in(timezone), time.min)


def preview(
    lake: Lake, full: Catalogue, shown: Catalogue, expression: str, cutoff: datetime, viewer: str = ""
) -> Preview:
    """Size, share, profile and over-represented tags of the audience ``expression`` selects, for a viewer who
    may see ``shown`` of ``full``; a bad expression gives its problem (never raises for one)."""
    text = one_line(expression)
    if len(text) > MAX_CHARS:
        too_long = msg("tags.expr.too_long", limit=f"{MAX_CHARS:,}", length=f"{len(text):,}")
        return Preview(text[:80], cutoff, problem=Problem(too_long))
    return serially(f"profile:{viewer}", cutoff, text, lambda: _preview(lake, full, shown, text, cutoff))


def _preview(lake: Lake, full: Catalogue, shown: Catalogue, text: str, cutoff: datetime) -> Preview:
    try:
        _refuse_hidden(text, hidden_names(full, shown))
        result = preview_audience(lake, shown, text, cutoff)
    except AudienceError as exc:
        return Preview(text, cutoff, problem=Problem(exc.reason, exc.column))
    except TagBuildError as exc:  # the lake lacks a column a tag reads: said as the build says it
        return Preview(text, cutoff, problem=Problem(msg(exc.key or "tags.audience.invalid", **exc.values)))
    return Preview(text, cutoff, result=result)


def size(
    lake: Lake,
    full: Catalogue,
    shown: Catalogue,
    expression: str,
    cutoff: datetime,
    permissions: frozenset[str],
    viewer: str = "",
) -> Preview:
    """The audience's size, the bank's and the share alone: the live figure, read from the tag table when it was
    built as of ``cutoff`` (``callwise.lists.audience.audience_size``), so it follows the typing at once; the
    profile is :func:`preview`, asked for after it."""
    text = one_line(expression)
    if len(text) > MAX_CHARS:
        too_long = msg("tags.expr.too_long", limit=f"{MAX_CHARS:,}", length=f"{len(text):,}")
        return Preview(text[:80], cutoff, problem=Problem(too_long))
    return serially(f"size:{viewer}", cutoff, text, lambda: _size(lake, full, shown, text, cutoff, permissions))


def _size(
    lake: Lake, full: Catalogue, shown: Catalogue, text: str, cutoff: datetime, permissions: frozenset[str]
) -> Preview:
    from callwise.lists.audience import audience_size

    try:
        _refuse_hidden(text, hidden_names(full, shown))
        result = audience_size(lake, text, cutoff, permissions, shown)
    except AudienceError as exc:
        return Preview(text, cutoff, problem=Problem(exc.reason, exc.column))
    except TagBuildError as exc:
        return Preview(text, cutoff, problem=Problem(msg(exc.key or "tags.audience.invalid", **exc.values)))
    return Preview(text, cutoff, result=result)


__all__ = ["Preview", "Problem", "cutoff_for", "hidden_names", "one_line", "preview", "size"]
