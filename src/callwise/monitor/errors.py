"""Why model health cannot be measured: one sentence, in zh-CN or English (catalogue ``monitor.*``)."""

from __future__ import annotations

from callwise.i18n.errors import Translated


class MonitorError(Translated, ValueError):
    """Inputs model health cannot be computed on (no reference profile, an empty week, a constant score …)."""
