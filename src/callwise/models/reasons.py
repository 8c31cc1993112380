"""A score's reasons in words: "近14天浏览同类产品：3" / "views of the category, last 14 days: 3"."""

from __future__ import annotations

import math

from callwise.i18n import catalog, t


def feature_label(name: str, lang: str = "zh") -> str:
    """The feature's name for people; a feature the catalog does not know (a bank's extra column) as is."""
    key = f"feature.{name}"
    return t(key, lang) if key in catalog() else name


def format_value(value: object, lang: str = "zh") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("value.unknown", lang)
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no", lang)
    if isinstance(value, int | float):
        number = float(value)
        if number.is_integer():
            return f"{int(number):,}"
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.2f}"
    return str(value)


def reason_text(name: str, value: object, contribution: float, lang: str = "zh") -> str:
    sep = "：" if lang == "zh" else ": "
    return f"{feature_label(name, lang)}{sep}{format_value(value, lang)}"
