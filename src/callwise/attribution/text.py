"""The attribution report as a person reads it: a table of shares per channel and method, the control group's
increment, and the warnings, in Chinese or English."""

from __future__ import annotations

from typing import Any

from callwise.i18n import t


def method_name(name: str, lang: str) -> str:
    return t(f"attribution.method.{name}", lang)


def warning_text(warning: dict[str, Any], lang: str) -> str:
    """One warning of the report in ``lang`` (shares as percentages, counts rounded)."""
    values = {k: v for k, v in warning.items() if k != "key"}
    for name in ("last_touch", "reference", "low", "high", "rate") if "channel" in warning or "rate" in warning else ():
        if isinstance(values.get(name), float):
            values[name] = f"{100 * values[name]:.1f}%"
    if isinstance(values.get("gap"), float):
        values["gap"] = f"{100 * values['gap']:+.1f} pp"
    for name in ("total", "low", "high"):
        if isinstance(values.get(name), float):
            values[name] = f"{values[name]:,.0f}"
    for name in ("method", "low_method", "high_method"):
        if isinstance(values.get(name), list):
            values[name] = ("、" if lang == "zh" else ", ").join(method_name(str(m), lang) for m in values[name])
        elif name in values:
            values[name] = method_name(str(values[name]), lang)
    if isinstance(values.get("campaigns"), list):
        values["campaigns"] = ", ".join(values["campaigns"])
    return t(warning["key"], lang, **values)


def warning_texts(warnings: list[dict[str, Any]], lang: str) -> list[str]:
    """The report's warnings in ``lang``, one line per campaign and total for the methods whose totals fall outside
    the control group's interval alike (the textbook methods all credit every conversion: one line, not five)."""
    lines: list[str] = []
    grouped: dict[tuple[Any, ...], list[str]] = {}
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    for warning in warnings:
        if warning["key"] != "attribution.warn.total_outside":
            continue
        key = (warning["campaign"], warning["total"], warning["low"], warning["high"])
        grouped.setdefault(key, []).append(str(warning["method"]))
        first.setdefault(key, warning)
    for key, methods in grouped.items():
        lines.append(warning_text({**first[key], "method": methods}, lang))
    lines += [warning_text(w, lang) for w in warnings if w["key"] != "attribution.warn.total_outside"]
    return lines


def report_text(report: dict[str, Any], lang: str) -> str:
    scope = (
        t("attribution.text.all_campaigns", lang)
        if report["campaign_id"] is None
        else t("attribution.text.campaign", lang, campaign=report["campaign_id"])
    )
    baseline = "—" if report["baseline"] is None else f"{100 * report['baseline']:.2f}%"
    lines = [
        t("attribution.text.title", lang, days=report["lookback_days"], scope=scope),
        t(
            "attribution.text.paths",
            lang,
            paths=f"{report['paths']:,}",
            conversions=f"{report['conversions']:,}",
            baseline=baseline,
        ),
        t("attribution.text.default", lang, method=method_name(report["default_method"], lang)),
        "",
        t("attribution.text.shares", lang),
    ]
    channels = report["channels"]
    names = list(report["methods"])
    header = [t("attribution.text.method", lang), *channels, t("attribution.text.total", lang)]
    rows = [header]
    for name in names:
        found = report["methods"][name]
        marker = " *" if name == report["default_method"] else ""
        rows.append(
            [method_name(name, lang) + marker]
            + [f"{100 * found['share'][c]:.1f}" for c in channels]
            + [f"{found['total']:,.0f}"]
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = [_pad(row[0], widths[0])] + [_pad(cell, widths[i], right=True) for i, cell in enumerate(row) if i]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    total = report["control"]["total"]
    if total is None:
        lines.append(t("attribution.text.no_control", lang))
    else:
        level = f"{100 * (1 - report['alpha']):.0f}%"
        lines.append(
            t(
                "attribution.text.control",
                lang,
                incremental=f"{total['incremental']:,.0f}",
                level=level,
                low=f"{total['low']:,.0f}",
                high=f"{total['high']:,.0f}",
            )
        )
        for row in report["control"]["campaigns"]:
            if "incremental" in row:
                lines.append(
                    t(
                        "attribution.text.control_campaign",
                        lang,
                        campaign=row["campaign_id"],
                        n_t=f"{row['treatment']:,}",
                        n_c=f"{row['control']:,}",
                        incremental=f"{row['incremental']:,.0f}",
                        low=f"{row['low']:,.0f}",
                        high=f"{row['high']:,.0f}",
                    )
                )
    if report["warnings"]:
        lines += ["", t("attribution.text.warnings", lang)]
        lines += [f"- {line}" for line in warning_texts(report["warnings"], lang)]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes in a terminal (a Chinese character takes two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap
