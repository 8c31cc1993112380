"""The one error of campaign results: a campaign, frame or parameter that cannot be measured as asked."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class ResultsError(Translated, ValueError):
    """Results that cannot be computed from what was given (unknown campaign, missing column, empty group …);
    the sentence names the campaign, row or column."""
