"""The one error of segments: a sentence in the reader's language (catalogue keys in i18n/segments.yaml)."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class SegmentError(Translated, ValueError):
    """Segments that cannot be fitted, assigned, shown or renamed: an unknown tag or segment, a bad k, no data."""
