"""The errors of the models, each said in zh-CN or English from its catalogue key (``models.*``)."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class ModelFileError(Translated, ValueError):
    """A model directory that cannot be loaded; the message names the directory."""


class ModelInputError(Translated, ValueError):
    """Data or settings a model cannot be fitted or evaluated on (one class only, too few rows …)."""
