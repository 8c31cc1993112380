"""Tags: customer labels declared in a YAML catalogue, in a small safe expression language compiled to Ibis.

``default_catalogue()`` is the catalogue callwise ships; ``load_catalogue(path)`` a bank's own. ``tag_table``
computes tags as of a cutoff (an Ibis table, on either engine); ``build_tags`` writes the lake table ``tags``
with a quality report. See docs/tags.md for the language and the catalogue format.
"""

from __future__ import annotations

from callwise.tags.audience import (
    AudienceError,
    TagTableError,
    audience_filter,
    check_audience,
    check_permitted,
    preview_audience,
    stored_audience,
)
from callwise.tags.build import TagBuild, TagBuildError, build_tags, tag_table
from callwise.tags.catalogue import Catalogue, CatalogueError, Tag, UnknownTag, default_catalogue, load_catalogue
from callwise.tags.expr import ExpressionError

__all__ = [
    "AudienceError",
    "Catalogue",
    "CatalogueError",
    "ExpressionError",
    "Tag",
    "TagBuild",
    "TagBuildError",
    "TagTableError",
    "UnknownTag",
    "audience_filter",
    "build_tags",
    "check_audience",
    "check_permitted",
    "default_catalogue",
    "load_catalogue",
    "preview_audience",
    "stored_audience",
    "tag_table",
]
