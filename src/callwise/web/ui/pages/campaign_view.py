"""The campaign page's tiles, charts and tables, from the board's data functions and the results snapshot.

Every chart carries its table (the table view and the export read the same rows). Labels are in the viewer's
language; the numbers stay raw in the tables, formatted only where a tile shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from callwise.board import campaign as data
from callwise.board.campaign import NUMBERS
from callwise.board.campaign_results import RESULTS, Lookup
from callwise.i18n import t
from callwise.results.intervals import wilson, z_value
from callwise.web.deps import Services
from callwise.web.ui.fmt import Formatter
from callwise.web.ui.parts import Chart, Table, Tile

WINDOW_DAYS = 30  # the results' window, as the API's results route takes by default
BLUE, GREY, GREEN, ORANGE = "#1d4ed8", "#9ca3af", "#15803d", "#c2410c"


@dataclass
class CampaignView:
    """Everything the page and its live fragment show of one campaign."""

    head: data.CampaignHead
    delivery: data.Delivery
    lists: list[dict[str, Any]]
    tiles: list[Tile]
    charts: dict[str, Chart]
    lookup: Lookup | None
    cells: list[dict[str, Any]]
    version: Hashable
    tables: dict[str, Table] = field(default_factory=dict)

    def table(self, table_id: str) -> Table | None:
        for chart in self.charts.values():
            if chart.table.id == table_id:
                return chart.table
        return self.tables.get(table_id)


def results_lookup(svc: Services, campaign_id: str, version: Hashable) -> Lookup | None:
    """The cached results snapshot (computed in the background when missing or stale); None without a lake."""
    lake = svc.lake
    if lake is None:
        return None
    key = (str(svc.engine.url), campaign_id)
    from callwise.results.campaign import results_for

    return RESULTS.get(key, version, lambda: results_for(campaign_id, lake, WINDOW_DAYS, ops_engine=svc.engine))


def _cached(svc: Services, campaign_id: str, version: Hashable, part: str, compute: Callable[[], Any]) -> Any:
    return NUMBERS.get((str(svc.engine.url), campaign_id, part), version, compute)


def live_view(session: Session, svc: Services, head: data.CampaignHead, lang: str) -> CampaignView:
    """The part that refreshes while outcomes arrive: tiles and the delivery funnel."""
    cid = head.campaign_id
    version = data.data_version(session, cid)
    found = _cached(svc, cid, version, "cells", lambda: data.cells(session, cid))
    delivery = data.delivery_of(found)
    lookup = results_lookup(svc, cid, version)
    result = lookup.snapshot.result if lookup and lookup.snapshot else None
    fmt = Formatter(lang, svc.bank_timezone)
    charts = {"delivery": delivery_chart(delivery, lang)}
    return CampaignView(head, delivery, [], tiles(delivery, result, fmt, lang), charts, lookup, found, version)


def full_view(session: Session, svc: Services, head: data.CampaignHead, lang: str) -> CampaignView:
    """The whole page: the live part, then the funnel, the effect, arms, deciles, the schedule and the lists."""
    view = live_view(session, svc, head, lang)
    cid = head.campaign_id
    result = view.lookup.snapshot.result if view.lookup and view.lookup.snapshot else None
    list_id, funnel = data.eligibility_funnel(session, cid)
    plan = _cached(svc, cid, view.version, "schedule", lambda: data.schedule(session, cid, svc.bank_timezone))
    view.lists = _cached(svc, cid, view.version, "lists", lambda: data.issued_lists(session, cid))
    view.charts.update(
        {
            "eligibility": eligibility_chart(funnel, list_id, lang),
            "effect": effect_chart(result, lang),
            "arms": arms_chart(data.arms_of(view.cells), result, lang),
            "deciles": deciles_chart(data.deciles_of(view.cells), result, lang),
            "heatmap": heatmap_chart(plan["cells"], lang),
            "capacity": capacity_chart(plan["days"], lang),
        }
    )
    zone = ZoneInfo(svc.bank_timezone)
    view.tables["lists"] = Table(  # the export's rows: times as the bank's clock with its offset (Excel has no zones)
        "lists",
        [(name, f"board.campaign.col.{name}") for name in LIST_COLUMNS],
        [row | {"issued_at": row["issued_at"].astimezone(zone).isoformat(timespec="seconds")} for row in view.lists],
    )
    return view


LIST_COLUMNS = ("list_id", "issued_at", "issued_by", "items", "pending", "dialled", "withdrawn", "model_version")


def tiles(delivery: data.Delivery, result: dict[str, Any] | None, fmt: Formatter, lang: str) -> list[Tile]:
    out = [
        Tile("board.campaign.tile.members", fmt.num(delivery.treatment), hint=_members_hint(delivery, lang)),
        Tile("board.campaign.tile.dials", fmt.num(delivery.dials)),
        Tile("board.campaign.tile.connect_rate", fmt.pct(delivery.connect_rate)),
        Tile("board.campaign.tile.converted", fmt.num(delivery.converted)),
        Tile("board.campaign.tile.conversion_per_connect", fmt.pct(delivery.conversion_per_connect)),
    ]
    itt = (result or {}).get("itt")
    if itt:
        lift, extra = itt["lift"], itt["incremental_conversions"]
        level = _level(result)
        out.append(
            Tile(
                "board.campaign.tile.lift",
                fmt.signed(_points(lift["estimate"]), 2),
                good=_good(lift),
                hint=t(
                    "board.campaign.ci",
                    lang,
                    level=level,
                    low=fmt.signed(_points(lift["low"]), 2),
                    high=fmt.signed(_points(lift["high"]), 2),
                ),
            )
        )
        out.append(
            Tile(
                "board.campaign.tile.incremental",
                fmt.signed(extra["estimate"], 1),
                good=_good(extra),
                hint=t(
                    "board.campaign.ci",
                    lang,
                    level=level,
                    low=fmt.signed(extra["low"], 1),
                    high=fmt.signed(extra["high"], 1),
                ),
            )
        )
    return out


def _members_hint(delivery: data.Delivery, lang: str) -> str:
    return t("board.campaign.control_hint", lang, control=delivery.control)


def _points(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _level(result: dict[str, Any] | None) -> str:
    return f"{100 * (1 - float((result or {}).get('alpha') or 0.05)):.0f}%"


def _good(interval: dict[str, Any]) -> bool | None:
    """Green when the whole interval is above zero, red when it is below, else neither."""
    low, high = interval.get("low"), interval.get("high")
    if low is not None and low > 0:
        return True
    if high is not None and high < 0:
        return False
    return None


def _bar(names: list[str], values: list[Any], lang: str, colour: str = BLUE, horizontal: bool = False) -> dict:
    category = {"type": "category", "data": names, **({"inverse": True} if horizontal else {})}
    value = {"type": "value"}
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": value if horizontal else category,
        "yAxis": category if horizontal else value,
        "series": [
            {
                "type": "bar",
                "data": values,
                "itemStyle": {"color": colour},
                "label": {"show": True, "position": "right" if horizontal else "top"},
            }
        ],
        "aria": {"enabled": True},
    }


def eligibility_chart(funnel: list[dict[str, Any]], list_id: int | None, lang: str) -> Chart:
    rows = [
        {"step": _step(s["step"], lang), "code": s["step"], **{k: s[k] for k in ("removed", "remaining")}}
        for s in funnel
    ]
    names = [r["step"] for r in rows[1:]]
    option = _bar(names, [r["removed"] for r in rows[1:]], lang, ORANGE, horizontal=True)
    table = Table(
        "eligibility",
        [
            ("step", "board.campaign.col.step"),
            ("code", "board.campaign.col.code"),
            ("removed", "board.campaign.col.removed"),
            ("remaining", "board.campaign.col.remaining"),
        ],
        rows,
    )
    return Chart(
        "eligibility",
        "board.campaign.chart.eligibility",
        "board.campaign.source.eligibility",
        option,
        table,
        height=max(200, 28 * len(names) + 40),
        values={"list_id": list_id or "—"},
    )


def _step(code: str, lang: str) -> str:
    try:
        return t(f"exclusion.{code}", lang)
    except KeyError:  # a reason code a newer policy adds: shown as its code
        return code


def delivery_chart(delivery: data.Delivery, lang: str) -> Chart:
    rows = [s | {"stage": t(f"board.campaign.stage.{s['stage']}", lang)} for s in delivery.stages()]
    option = _bar([r["stage"] for r in rows], [r["customers"] for r in rows], lang, BLUE, horizontal=True)
    table = Table(
        "delivery",
        [
            ("stage", "board.campaign.col.stage"),
            ("customers", "board.campaign.col.customers"),
            ("of_previous", "board.campaign.col.of_previous"),
        ],
        [{k: r[k] for k in ("stage", "customers", "of_previous")} for r in rows],
        formats={"of_previous": "pct"},
    )
    return Chart(
        "delivery", "board.campaign.chart.delivery", "board.campaign.source.delivery", option, table, height=240
    )


def _interval_option(names: list[str], est: list[Any], low: list[Any], high: list[Any], axis_pct: bool) -> dict:
    """Intervals as candlestick boxes from the low to the high end and a dot at the estimate: ECharts has no error
    bars, and a box whose open is the low end and whose close is the high end draws exactly the interval, on
    either side of zero (values in points when ``axis_pct``)."""
    scale = 100 if axis_pct else 1

    def scaled(values: list[Any]) -> list[Any]:
        return [None if v is None else round(scale * v, 4) for v in values]

    lo, hi, mid = scaled(low), scaled(high), scaled(est)
    boxes = [[a, b, a, b] if a is not None and b is not None else "-" for a, b in zip(lo, hi, strict=True)]
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "scale": True, "axisLabel": {"formatter": "{value}" + (" pp" if axis_pct else "")}},
        "series": [
            {
                "type": "candlestick",
                "data": boxes,
                "barMaxWidth": 18,
                "itemStyle": {"color": "#bfdbfe", "color0": "#bfdbfe", "borderColor": BLUE, "borderColor0": BLUE},
            },
            {"type": "scatter", "data": mid, "itemStyle": {"color": BLUE}, "symbolSize": 10},
        ],
        "aria": {"enabled": True},
    }


def effect_chart(result: dict[str, Any] | None, lang: str) -> Chart:
    """Conversion rates of treatment and control with Wilson intervals, and the lift with Newcombe's."""
    rows: list[dict[str, Any]] = []
    itt = (result or {}).get("itt")
    if itt:
        z = z_value(float(result.get("alpha") or 0.05)) if result else 1.96
        counts = np.array([itt["conversions_treatment"], itt["conversions_control"]], dtype=float)
        sizes = np.array([itt["n_treatment"], itt["n_control"]], dtype=float)
        lows, highs = wilson(counts, sizes, z)
        for i, group in enumerate(("treatment", "control")):
            rows.append(
                {
                    "row": t(f"board.campaign.group.{group}", lang),
                    "members": int(sizes[i]),
                    "conversions": int(counts[i]),
                    "estimate": itt[f"rate_{group}"],
                    "low": float(lows[i]),
                    "high": float(highs[i]),
                }
            )
        lift = itt["lift"]
        rows.append(
            {
                "row": t("board.campaign.group.lift", lang),
                "members": int(sizes.sum()),
                "conversions": int(counts.sum()),
                "estimate": lift["estimate"],
                "low": lift["low"],
                "high": lift["high"],
            }
        )
    option = _interval_option(
        [r["row"] for r in rows],
        [r["estimate"] for r in rows],
        [r["low"] for r in rows],
        [r["high"] for r in rows],
        axis_pct=True,
    )
    table = Table(
        "effect",
        [
            ("row", "board.campaign.col.row"),
            ("members", "board.campaign.col.members"),
            ("conversions", "board.campaign.col.conversions"),
            ("estimate", "board.campaign.col.estimate"),
            ("low", "board.campaign.col.low"),
            ("high", "board.campaign.col.high"),
        ],
        rows,
        formats={"estimate": "pct", "low": "pct", "high": "pct"},
    )
    return Chart(
        "effect",
        "board.campaign.chart.effect",
        "board.campaign.source.effect",
        option,
        table,
        height=260,
        values={"level": _level(result), "days": WINDOW_DAYS},
        empty_key=None if rows else "board.campaign.effect_pending",
    )


def arms_chart(live: list[dict[str, Any]], result: dict[str, Any] | None, lang: str) -> Chart:
    """Each arm's delivery (ops DB, live) beside its lift against control (the snapshot, Holm-adjusted p)."""
    tests = {x["arm"]: x for x in ((result or {}).get("arms") or {}).get("vs_control") or []}
    rows = []
    for r in live:
        test = tests.get(r["arm"], {})
        rows.append(
            {
                "arm": t("board.campaign.group.control", lang) if r["arm"] == "control" else r["arm"],
                **{k: r[k] for k in ("members", "dialled", "connected", "converted", "connect_rate")},
                "conversion_rate": r["conversion_rate"],
                "lift": test.get("lift_absolute"),
                "low": test.get("ci_low"),
                "high": test.get("ci_high"),
                "p_holm": test.get("p_holm"),
            }
        )
    shown = [r for r in rows if r["lift"] is not None]
    option = _interval_option(
        [r["arm"] for r in shown],
        [r["lift"] for r in shown],
        [r["low"] for r in shown],
        [r["high"] for r in shown],
        axis_pct=True,
    )
    columns = [
        "arm",
        "members",
        "dialled",
        "connected",
        "converted",
        "connect_rate",
        "conversion_rate",
        "lift",
        "low",
        "high",
        "p_holm",
    ]
    table = Table(
        "arms",
        [(c, f"board.campaign.col.{c}") for c in columns],
        rows,
        formats={"connect_rate": "pct", "conversion_rate": "pct", "lift": "pct", "low": "pct", "high": "pct"},
    )
    winner = ((result or {}).get("arms") or {}).get("winner")
    return Chart(
        "arms",
        "board.campaign.chart.arms",
        "board.campaign.source.arms",
        option,
        table,
        height=260,
        values={"winner": winner or "—"},
        empty_key=None if shown else "board.campaign.arms_pending",
    )


def deciles_chart(live: list[dict[str, Any]], result: dict[str, Any] | None, lang: str) -> Chart:
    """Gains by score decile: converted treatment members per decile and their cumulative share (live), with the
    lift against the control members of the same decile (the snapshot)."""
    cells = {}
    for c in (((result or {}).get("breakdowns") or {}).get("score_decile") or {}).get("cells") or []:
        if c["value"] is not None:
            cells[int(float(c["value"]))] = c
    rows = []
    for d in live:
        cell = cells.get(d["decile"], {})
        lift = cell.get("lift") or {}
        rows.append(
            d
            | {
                "lift": lift.get("estimate"),
                "low": lift.get("low"),
                "high": lift.get("high"),
                "small_cell": cell.get("small_cell"),
            }
        )
    names = [str(r["decile"]) for r in rows]
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "name": t("board.campaign.col.decile", lang)},
        "yAxis": [{"type": "value"}, {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}}],
        "series": [
            {
                "name": t("board.campaign.col.converted", lang),
                "type": "bar",
                "data": [r["converted"] for r in rows],
                "itemStyle": {"color": BLUE},
            },
            {
                "name": t("board.campaign.col.gains", lang),
                "type": "line",
                "yAxisIndex": 1,
                "data": [None if r["gains"] is None else round(100 * r["gains"], 2) for r in rows],
                "itemStyle": {"color": GREEN},
            },
        ],
        "aria": {"enabled": True},
    }
    columns = [
        "decile",
        "treatment",
        "control",
        "dialled",
        "connected",
        "converted",
        "rate",
        "gains",
        "lift",
        "low",
        "high",
    ]
    table = Table(
        "deciles",
        [(c, f"board.campaign.col.{c}") for c in columns],
        [{c: r.get(c) for c in columns} for r in rows],
        formats={"rate": "pct", "gains": "pct", "lift": "pct", "low": "pct", "high": "pct"},
    )
    return Chart("deciles", "board.campaign.chart.deciles", "board.campaign.source.deciles", option, table)


# Dark figures with a white outline: readable on the palest and the darkest cell alike.
HEAT_LABEL = {"show": True, "color": "#111827", "textBorderColor": "#ffffff", "textBorderWidth": 2}


def heatmap_chart(cells: list[dict[str, Any]], lang: str) -> Chart:
    dates = sorted({c["date"] for c in cells})
    hours = list(range(min((c["hour"] for c in cells), default=8), max((c["hour"] for c in cells), default=20) + 1))
    points = [[hours.index(c["hour"]), dates.index(c["date"]), c["planned"]] for c in cells]
    option = {
        "tooltip": {"position": "top"},
        "grid": {"left": 8, "right": 8, "top": 8, "bottom": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{h:02d}:00" for h in hours], "splitArea": {"show": True}},
        "yAxis": {"type": "category", "data": dates, "splitArea": {"show": True}},
        "visualMap": {
            "min": 0,
            "max": max([p[2] for p in points], default=1) or 1,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#eff6ff", BLUE]},
        },
        "series": [
            {"name": t("board.campaign.col.planned", lang), "type": "heatmap", "data": points, "label": HEAT_LABEL}
        ],
        "aria": {"enabled": True},
    }
    table = Table(
        "heatmap",
        [
            ("date", "board.campaign.col.date"),
            ("hour", "board.campaign.col.hour"),
            ("planned", "board.campaign.col.planned"),
            ("dials", "board.campaign.col.dials"),
        ],
        cells,
    )
    return Chart(
        "heatmap",
        "board.campaign.chart.heatmap",
        "board.campaign.source.heatmap",
        option,
        table,
        height=max(200, 36 * len(dates) + 100),
    )


def capacity_chart(days: list[dict[str, Any]], lang: str) -> Chart:
    names = [d["date"] for d in days]
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": t("board.campaign.col.capacity", lang),
                "type": "line",
                "step": "middle",
                "data": [d["capacity"] for d in days],
                "itemStyle": {"color": GREY},
            },
            {
                "name": t("board.campaign.col.planned", lang),
                "type": "bar",
                "data": [d["planned"] for d in days],
                "itemStyle": {"color": "#93c5fd"},
            },
            {
                "name": t("board.campaign.col.dials", lang),
                "type": "bar",
                "data": [d["dials"] for d in days],
                "itemStyle": {"color": BLUE},
            },
        ],
        "aria": {"enabled": True},
    }
    columns = ["date", "capacity", "expected_calls", "planned", "dials", "use"]
    table = Table("capacity", [(c, f"board.campaign.col.{c}") for c in columns], days, formats={"use": "pct"})
    return Chart(
        "capacity", "board.campaign.chart.capacity", "board.campaign.source.capacity", option, table, height=240
    )
