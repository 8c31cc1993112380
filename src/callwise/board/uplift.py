"""The uplift board's numbers: the registered uplift models, what their cards say about them, and whom recent lists
ranked by uplift left off because a call would more likely put them off (``negative_uplift``).

An uplift model is a registered version whose ``model_card.json`` says ``"kind": "uplift"``; its figures are the
card's out-of-fold evaluation (``selection.evaluation``: Qini curve, deciles, calibration) and the learners'
cross-validated Qini (``selection.cv_qini``), so nothing is rescored here. The exclusions come from the funnels the
builds froze into ``issued_lists.summary``, as the campaign and compliance pages read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.ops.models import IssuedList, ModelVersion

KIND = "uplift"
NEGATIVE_UPLIFT = "negative_uplift"
RECENT_LISTS = 200  # the newest issued lists searched for ones ranked by uplift
SHOWN_LISTS = 20


def is_uplift_card(card: dict[str, Any] | None) -> bool:
    return isinstance(card, dict) and card.get("kind") == KIND


def uplift_models(session: Session) -> list[dict[str, Any]]:
    """Every registered uplift model, newest first, with the headline numbers of its card."""
    rows = session.scalars(select(ModelVersion).order_by(ModelVersion.model_id.desc())).all()
    found = []
    for row in rows:
        if not is_uplift_card(row.card):
            continue
        card = row.card
        evaluation = _evaluation(card)
        found.append(
            {
                "model_id": row.model_id,
                "name": row.name,
                "version": row.version,
                "active": row.active,
                "learner": card.get("learner"),
                "rows": card.get("rows", evaluation.get("rows")),
                "qini": evaluation.get("qini"),
                "auuc": evaluation.get("auuc"),
                "created_at": row.created_at,
            }
        )
    return found


def _selection(card: dict[str, Any]) -> dict[str, Any]:
    return _dict(card.get("selection"))


def _evaluation(card: dict[str, Any]) -> dict[str, Any]:
    return _dict(_selection(card).get("evaluation"))


@dataclass
class UpliftCard:
    """One uplift model as its card describes it: the learner chosen and how, and its out-of-fold figures."""

    model_id: int
    name: str
    version: str
    active: bool
    learner: str | None
    requested: str | None
    folds: int | None
    code_version: str | None
    rows: int | None
    treated: int | None
    control: int | None
    n_features: int | None
    propensity: dict[str, Any] = field(default_factory=dict)
    campaigns: list[str] = field(default_factory=list)
    cv_qini: dict[str, float | None] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)  # qini, auuc, ate, uplift_at
    curve: dict[str, list[float | None]] = field(default_factory=dict)  # share, qini, random, perfect
    deciles: list[dict[str, Any]] = field(default_factory=list)
    calibration: dict[str, float | None] = field(default_factory=dict)
    top_features: list[tuple[str, float]] = field(default_factory=list)

    @property
    def evaluated(self) -> bool:
        """Whether the card carries an out-of-fold evaluation (a model fitted with ``folds = 0`` has none)."""
        return bool(self.curve.get("share"))


def uplift_card(session: Session, model_id: int | None = None) -> UpliftCard | None:
    """The uplift model ``model_id``; without one, the newest active uplift model, else the newest. None when
    there is no such model (or ``model_id`` is not an uplift model)."""
    if model_id is not None:
        row = session.get(ModelVersion, model_id)
        return _card(row) if row is not None and is_uplift_card(row.card) else None
    models = uplift_models(session)
    if not models:
        return None
    chosen = next((m for m in models if m["active"]), models[0])
    row = session.get(ModelVersion, chosen["model_id"])
    return None if row is None else _card(row)


def _card(row: ModelVersion) -> UpliftCard:
    card = row.card
    selection = _selection(card)
    evaluation = _evaluation(card)
    curve, top = _dict(evaluation.get("curve")), _dict(card.get("top_features"))
    window, cv = _dict(card.get("data_window")), _dict(selection.get("cv_qini"))
    return UpliftCard(
        model_id=row.model_id,
        name=row.name,
        version=row.version,
        active=row.active,
        learner=card.get("learner"),
        requested=selection.get("requested"),
        folds=selection.get("folds"),
        code_version=card.get("callwise_version"),
        rows=card.get("rows", evaluation.get("rows")),
        treated=card.get("treated", evaluation.get("treated")),
        control=card.get("control", evaluation.get("control")),
        n_features=card.get("n_features"),
        propensity=dict(card.get("propensity") or {}),
        campaigns=[str(c) for c in window.get("campaigns") or []],
        cv_qini={str(k): _number(v) for k, v in cv.items()},
        headline={k: evaluation.get(k) for k in ("qini", "auuc", "ate", "uplift_at") if k in evaluation},
        curve={k: [_number(v) for v in curve.get(k) or []] for k in ("share", "qini", "random", "perfect")},
        deciles=[dict(d) for d in evaluation.get("deciles") or [] if isinstance(d, dict)],
        calibration={k: _number(v) for k, v in _dict(evaluation.get("calibration")).items()},
        top_features=sorted(
            ((str(k), float(v)) for k, v in top.items() if isinstance(v, int | float)), key=lambda kv: -abs(kv[1])
        )[:15],
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def negative_uplift_lists(session: Session, shown: int = SHOWN_LISTS) -> list[dict[str, Any]]:
    """The newest lists ranked by uplift, each with how many eligible customers ``negative_uplift`` left off."""
    query = (
        select(IssuedList.list_id, IssuedList.campaign_id, IssuedList.issued_at, IssuedList.summary)
        .order_by(IssuedList.list_id.desc())
        .limit(RECENT_LISTS)
    )
    found = []
    for list_id, campaign_id, issued_at, summary in session.execute(query):
        summary = summary or {}
        if summary.get("ranking") != KIND:
            continue
        found.append(_exclusions(int(list_id), str(campaign_id), issued_at, summary))
        if len(found) == shown:
            break
    return found


def _exclusions(list_id: int, campaign_id: str, issued_at: datetime, summary: dict[str, Any]) -> dict[str, Any]:
    steps = summary.get("funnel") or []
    removed = sum(int(s.get("removed") or 0) for s in steps if s.get("step") == NEGATIVE_UPLIFT)
    eligible = summary.get("eligible")
    return {
        "list_id": list_id,
        "campaign_id": campaign_id,
        "issued_at": issued_at,
        "eligible": eligible,
        "negative_uplift": removed,
        "share": removed / eligible if isinstance(eligible, int) and eligible > 0 else None,
        "listed": summary.get("listed"),
        "model": summary.get("model"),
    }


def by_campaign(lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The exclusions summed per campaign (its lists above), campaigns in order of their newest list."""
    totals: dict[str, dict[str, Any]] = {}
    for row in lists:
        total = totals.setdefault(
            row["campaign_id"], {"campaign_id": row["campaign_id"], "lists": 0, "eligible": 0, "negative_uplift": 0}
        )
        total["lists"] += 1
        total["eligible"] += int(row["eligible"] or 0)
        total["negative_uplift"] += row["negative_uplift"]
    for total in totals.values():
        total["share"] = total["negative_uplift"] / total["eligible"] if total["eligible"] else None
    return list(totals.values())
