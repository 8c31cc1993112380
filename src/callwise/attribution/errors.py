"""The one error of attribution: paths that cannot be attributed as asked."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class AttributionError(Translated, ValueError):
    """A lake, campaign or parameter attribution cannot work from; the sentence names the table, campaign or value."""
