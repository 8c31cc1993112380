"""The uplift page: a registered uplift model's Qini curve, uplift by decile, calibration and the learners'
cross-validated Qini (all from its model card), and the customers recent uplift-ranked lists left off as
``negative_uplift``. ``?model=ID`` shows another registered uplift model; without it, the active one (else the newest).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from callwise.board.uplift import UpliftCard, by_campaign, negative_uplift_lists, uplift_card, uplift_models
from callwise.i18n import t
from callwise.uplift.learners import LEARNERS
from callwise.web.deps import ServicesDep
from callwise.web.ui.page import Page
from callwise.web.ui.parts import Chart, Table, export_response
from callwise.web.ui.render import render
from callwise.web.ui.session import BoardError, Viewer, viewer_for

PAGE = Page("uplift", "/board/uplift", "models:read")
router = APIRouter()
ReadModels = Annotated[Viewer, viewer_for(PAGE.permission)]

MODEL_COLUMNS = [
    ("name", "board.uplift.col.name"),
    ("version", "board.uplift.col.version"),
    ("state", "board.uplift.col.state"),
    ("learner", "board.uplift.col.learner"),
    ("rows", "board.uplift.col.rows"),
    ("qini", "board.uplift.col.qini"),
    ("auuc", "board.uplift.col.auuc"),
    ("created_at", "board.uplift.col.created_at"),
]
QINI_COLUMNS = [
    ("share", "board.uplift.col.share"),
    ("qini", "board.uplift.col.model"),
    ("random", "board.uplift.col.random"),
    ("perfect", "board.uplift.col.perfect"),
]
DECILE_COLUMNS = [
    ("decile", "board.uplift.col.decile"),
    ("rows", "board.uplift.col.rows"),
    ("treated", "board.uplift.col.treated"),
    ("control", "board.uplift.col.control"),
    ("treated_rate", "board.uplift.col.treated_rate"),
    ("control_rate", "board.uplift.col.control_rate"),
    ("predicted", "board.uplift.col.predicted"),
    ("observed", "board.uplift.col.observed"),
    ("low", "board.uplift.col.low"),
    ("high", "board.uplift.col.high"),
]
CALIBRATION_COLUMNS = [
    ("decile", "board.uplift.col.decile"),
    ("predicted", "board.uplift.col.predicted"),
    ("observed", "board.uplift.col.observed"),
    ("gap", "board.uplift.col.gap"),
]
LEARNER_COLUMNS = [
    ("learner", "board.uplift.col.learner"),
    ("cv_qini", "board.uplift.col.cv_qini"),
    ("chosen", "board.uplift.col.chosen"),
]
CAMPAIGN_COLUMNS = [
    ("campaign_id", "board.uplift.col.campaign"),
    ("lists", "board.uplift.col.lists"),
    ("eligible", "board.uplift.col.eligible"),
    ("negative_uplift", "board.uplift.col.negative_uplift"),
    ("share", "board.uplift.col.share_eligible"),
]
LIST_COLUMNS = [
    ("list_id", "board.uplift.col.list"),
    ("campaign_id", "board.uplift.col.campaign"),
    ("issued_at", "board.uplift.col.issued_at"),
    ("eligible", "board.uplift.col.eligible"),
    ("negative_uplift", "board.uplift.col.negative_uplift"),
    ("share", "board.uplift.col.share_eligible"),
    ("listed", "board.uplift.col.listed"),
]
RATES = {"treated_rate": "pct", "control_rate": "pct", "predicted": "pct", "observed": "pct", "low": "pct"}
MODEL_COLOUR, RANDOM_COLOUR, PERFECT_COLOUR, BAD_COLOUR = "#1f4e79", "#888888", "#2e7d32", "#b03a2e"


def _learner(name: Any, lang: str) -> str:
    """A learner's name in words (``t`` → "T-learner (two models)"); an unknown one as it is."""
    return t(f"board.uplift.learner.{name}", lang) if name in LEARNERS else str(name or "—")


def _model_id(request: Request) -> int | None:
    """``?model=ID``: a registered model's number; anything else is refused (a filter is never silently ignored)."""
    value = request.query_params.get("model")
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise BoardError(422, "board.error.bad_filter", field="model")
    return int(value)


def tables(svc: Any, card: UpliftCard | None, lang: str) -> dict[str, Table]:
    """Every table of the page (each chart's numbers, the models, the lists), as shown and as exported."""
    with svc.factory() as session:
        models = uplift_models(session)
        lists = negative_uplift_lists(session)
    for row in models:
        row["learner"] = _learner(row["learner"], lang)
        row["state"] = t("board.uplift.active" if row.pop("active") else "board.uplift.inactive", lang)
        row["link"] = f"{PAGE.path}?{urlencode({'model': row['model_id']})}"
    found = {
        "models": Table("models", MODEL_COLUMNS, models),
        "campaigns": Table("campaigns", CAMPAIGN_COLUMNS, by_campaign(lists), formats={"share": "pct"}),
        "lists": Table("lists", LIST_COLUMNS, lists, formats={"share": "pct"}),
    }
    if card is not None:
        found.update(_card_tables(card, lang))
    return found


def _card_tables(card: UpliftCard, lang: str) -> dict[str, Table]:
    curve = card.curve
    qini = [
        {"share": s, "qini": q, "random": r, "perfect": p}
        for s, q, r, p in zip(curve["share"], curve["qini"], curve["random"], curve["perfect"], strict=False)
    ]
    calibration = [
        {
            "decile": d.get("decile"),
            "predicted": d.get("predicted"),
            "observed": d.get("observed"),
            "gap": None if d.get("predicted") is None or d.get("observed") is None else d["observed"] - d["predicted"],
        }
        for d in card.deciles
    ]
    yes = t("board.uplift.yes", lang)
    learners = [
        {"learner": _learner(name, lang), "cv_qini": value, "chosen": yes if name == card.learner else ""}
        for name, value in card.cv_qini.items()
    ]
    pct = {"predicted": "pct", "observed": "pct", "gap": "pct"}
    return {
        "qini": Table("qini", QINI_COLUMNS, qini, formats={"share": "pct"}),
        "deciles": Table("deciles", DECILE_COLUMNS, card.deciles, formats={**RATES, "high": "pct"}),
        "calibration": Table("calibration", CALIBRATION_COLUMNS, calibration, formats=pct),
        "learners": Table("learners", LEARNER_COLUMNS, learners),
    }


def _line(name: str, points: list[list[float | None]], colour: str, dashed: bool = False) -> dict[str, Any]:
    line = {"name": name, "type": "line", "data": points, "showSymbol": False, "itemStyle": {"color": colour}}
    return {**line, "lineStyle": {"type": "dashed"}} if dashed else line


def charts(card: UpliftCard | None, tabs: dict[str, Table], lang: str) -> list[Chart]:
    """The Qini curve, uplift by decile, calibration, the learners' CV Qini (with a model), and the exclusions."""
    found = [] if card is None or not card.evaluated else _model_charts(card, tabs, lang)
    if card is not None and card.cv_qini:
        found.append(_learner_chart(card, tabs, lang))
    found.append(_exclusion_chart(tabs, lang))
    return found


def _model_charts(card: UpliftCard, tabs: dict[str, Table], lang: str) -> list[Chart]:
    names = {k: t(f"board.uplift.chart.{k}", lang) for k in ("model", "random", "perfect", "observed", "predicted")}
    share = [round(100 * (s or 0.0), 2) for s in card.curve["share"]]
    qini = {
        "grid": {"left": 70, "right": 30, "top": 40, "bottom": 50},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [names["model"], names["random"], names["perfect"]]},
        "xAxis": {"type": "value", "min": 0, "max": 100, "name": t("board.uplift.chart.targeted", lang)},
        "yAxis": {"type": "value", "name": t("board.uplift.chart.incremental", lang)},
        "series": [
            _line(names["model"], [list(p) for p in zip(share, card.curve["qini"], strict=False)], MODEL_COLOUR),
            _line(
                names["random"], [list(p) for p in zip(share, card.curve["random"], strict=False)], RANDOM_COLOUR, True
            ),
            _line(
                names["perfect"],
                [list(p) for p in zip(share, card.curve["perfect"], strict=False)],
                PERFECT_COLOUR,
                True,
            ),
        ],
    }
    deciles = card.deciles
    pct = [
        {k: None if d.get(k) is None else round(100 * d[k], 4) for k in ("predicted", "observed", "low", "high")}
        for d in deciles
    ]
    band = t("board.uplift.chart.interval", lang)
    by_decile = {
        "grid": {"left": 60, "right": 30, "top": 40, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [names["observed"], band, names["predicted"]]},
        "xAxis": {"type": "category", "data": [str(d.get("decile")) for d in deciles]},
        "yAxis": {"type": "value", "name": "%"},
        "series": [
            {
                "name": names["observed"],
                "type": "bar",
                "data": [p["observed"] for p in pct],
                "itemStyle": {"color": MODEL_COLOUR},
            },
            # The interval's two ends as dashed lines: a band stacked on the bars would hide where zero is.
            _line(band, [[i, p["low"]] for i, p in enumerate(pct)], "#7aa6d6", True),
            _line(band, [[i, p["high"]] for i, p in enumerate(pct)], "#7aa6d6", True),
            {
                "name": names["predicted"],
                "type": "line",
                "data": [p["predicted"] for p in pct],
                "itemStyle": {"color": "#e08a1e"},
            },
        ],
    }
    points: list[list[float | None]] = [
        [p["predicted"], p["observed"]] for p in pct if p["predicted"] is not None and p["observed"] is not None
    ]
    values = [v for point in points for v in point if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)  # the diagonal spans the points
    calibration = {
        "grid": {"left": 60, "right": 30, "top": 40, "bottom": 50},
        "tooltip": {"trigger": "item"},
        "legend": {"top": 0, "data": [names["observed"], t("board.uplift.chart.diagonal", lang)]},
        "xAxis": {"type": "value", "name": t("board.uplift.chart.predicted_pct", lang), "scale": True},
        "yAxis": {"type": "value", "name": t("board.uplift.chart.observed_pct", lang), "scale": True},
        "series": [
            {"name": names["observed"], "type": "scatter", "data": points, "itemStyle": {"color": MODEL_COLOUR}},
            _line(t("board.uplift.chart.diagonal", lang), [[low, low], [high, high]], RANDOM_COLOUR, True),
        ],
    }
    calib = card.calibration
    return [
        Chart(
            "qini",
            "board.uplift.chart.qini_title",
            "board.uplift.chart.qini_source",
            qini,
            tabs["qini"],
            values={"qini": _fixed(card.headline.get("qini"))},
        ),
        Chart(
            "deciles",
            "board.uplift.chart.deciles_title",
            "board.uplift.chart.deciles_source",
            by_decile,
            tabs["deciles"],
        ),
        Chart(
            "calibration",
            "board.uplift.chart.calibration_title",
            "board.uplift.chart.calibration_source",
            calibration,
            tabs["calibration"],
            values={k: _fixed(calib.get(k)) for k in ("slope", "intercept", "mean_abs_error")},
        ),
    ]


def _fixed(value: Any, digits: int = 3) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.{digits}f}"


def _learner_chart(card: UpliftCard, tabs: dict[str, Table], lang: str) -> Chart:
    names = list(card.cv_qini)
    option = {
        "grid": {"left": 60, "right": 30, "top": 30, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [_learner(n, lang) for n in names]},
        "yAxis": {"type": "value", "name": "Qini"},
        "series": [
            {
                "name": t("board.uplift.col.cv_qini", lang),
                "type": "bar",
                "data": [
                    {"value": card.cv_qini[n], "itemStyle": {"color": MODEL_COLOUR if n == card.learner else "#9ec5e8"}}
                    for n in names
                ],
            }
        ],
    }
    return Chart(
        "learners",
        "board.uplift.chart.learners_title",
        "board.uplift.chart.learners_source",
        option,
        tabs["learners"],
        height=260,
        values={"folds": card.folds or "—"},
    )


def _exclusion_chart(tabs: dict[str, Table], lang: str) -> Chart:
    rows = tabs["campaigns"].rows
    option = {
        "grid": {"left": 200, "right": 40, "top": 30, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": "%"},
        "yAxis": {"type": "category", "data": [r["campaign_id"] for r in rows], "inverse": True},
        "series": [
            {
                "name": t("board.uplift.col.share_eligible", lang),
                "type": "bar",
                "data": [None if r["share"] is None else round(100 * r["share"], 3) for r in rows],
                "itemStyle": {"color": BAD_COLOUR},
            }
        ],
    }
    empty = None if rows else "board.uplift.empty.lists"
    return Chart(
        "exclusions",
        "board.uplift.chart.exclusions_title",
        "board.uplift.chart.exclusions_source",
        option,
        tabs["campaigns"],
        height=max(200, 30 * len(rows) + 70),
        empty_key=empty,
    )


def _chosen(svc: Any, request: Request) -> UpliftCard | None:
    model_id = _model_id(request)
    with svc.factory() as session:
        card = uplift_card(session, model_id)
    if model_id is not None and card is None:
        raise BoardError(404, "board.uplift.no_such_model", model_id=model_id)
    return card


@router.get(PAGE.path, response_class=HTMLResponse)
def uplift_page(request: Request, viewer: ReadModels, svc: ServicesDep) -> HTMLResponse:
    card = _chosen(svc, request)
    tabs = tables(svc, card, viewer.lang)
    selected = "" if card is None or request.query_params.get("model") is None else f"model={card.model_id}"
    context: dict[str, Any] = {
        "page_name": PAGE.name,
        "card": card,
        "models": tabs["models"],
        "lists": tabs["lists"],
        "charts": charts(card, tabs, viewer.lang),
        "links": {"version": "link"},
        "query": lambda **_: selected,
    }
    return render(request, viewer, "pages/uplift.html.j2", **context)


@router.get(PAGE.path + "/export/{table_id}.{fmt}")
def uplift_export(request: Request, table_id: str, fmt: str, viewer: ReadModels, svc: ServicesDep) -> Response:
    card = _chosen(svc, request)
    tabs = tables(svc, card, viewer.lang)
    if table_id not in tabs:
        raise BoardError(404, "board.error.not_found")
    name = f"uplift-{table_id}" if card is None else f"uplift-{card.model_id}-{table_id}"
    return export_response(tabs[table_id], fmt, viewer.lang, name, svc.bank_timezone)
