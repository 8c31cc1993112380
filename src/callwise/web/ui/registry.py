"""The dashboard's pages, in the order of the navigation. The app, the navigation, the permission tests and the
browser test all read ``PAGES``: a new page is one module here and one line below."""

from __future__ import annotations

from types import ModuleType

from callwise.web.ui.page import Page
from callwise.web.ui.pages import (
    agents,
    attribution,
    audience,
    best_time,
    build,
    campaign,
    compliance,
    customer,
    journeys,
    models,
    moments,
    overview,
    segments,
    tags,
    uplift,
)

MODULES: tuple[ModuleType, ...] = (
    overview,
    campaign,
    build,
    agents,
    best_time,
    models,
    uplift,
    attribution,
    tags,
    segments,
    moments,
    audience,
    journeys,
    compliance,
    customer,
)

PAGES: tuple[Page, ...] = tuple(module.PAGE for module in MODULES)

__all__ = ["MODULES", "PAGES", "Page"]
