"""The errors of the uplift models, each said in zh-CN or English from its catalogue key (``uplift.*``)."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class UpliftInputError(Translated, ValueError):
    """Data or settings an uplift model cannot be fitted or evaluated on (no control rows, no buyers …)."""


class UpliftFileError(Translated, ValueError):
    """A directory that does not hold a saved uplift model; the message names the directory."""
