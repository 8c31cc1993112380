"""The models board's numbers: the registry, each model's card, its health, and what a promotion would change.

The registry and cards are the operational DB's ``model_versions`` (fast). Health is issue 13's
``monitor_lake`` — PSI of the score and each feature against the training population, realised AUC by
week — which rebuilds the members' features and scores them: seconds, so it is cached by the lake's data
version and the model directory's identity, and the page loads it as a fragment (decision 0034).
Promotion and roll back themselves are ``callwise.ops.registry``'s, the API's own calls.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.board.cache import VersionedCache, lake_version
from callwise.ops.models import ModelVersion
from callwise.ops.registry import active_version, rollback_target

if TYPE_CHECKING:
    from callwise.lake import Lake

METRIC_KEYS = ("rows", "positives", "validation_auc", "auc", "n_features")


def registry_rows(session: Session) -> list[dict[str, Any]]:
    """Every registered version, by name then newest first, with the card's headline numbers."""
    rows = session.scalars(select(ModelVersion).order_by(ModelVersion.name, ModelVersion.model_id.desc())).all()
    return [_row(r) for r in rows]


def _row(r: ModelVersion) -> dict[str, Any]:
    card = r.card or {}
    metrics = card.get("metrics") or {}
    return {
        "model_id": r.model_id,
        "name": r.name,
        "version": r.version,
        "active": r.active,
        "kind": card.get("model"),
        "rows": card.get("rows"),
        "auc": card.get("validation_auc", metrics.get("auc")),
        "code_version": card.get("callwise_version"),
        "created_at": r.created_at,
        "promoted_at": r.promoted_at,
        "promoted_by": r.promoted_by,
    }


@dataclass
class ModelCard:
    """What a model is: its data window, features, metrics and the code that trained it."""

    model_id: int
    name: str
    version: str
    active: bool
    kind: str | None
    code_version: str | None
    campaigns: list[str] = field(default_factory=list)
    first_cutoff: str | None = None
    last_cutoff: str | None = None
    label: str | None = None
    features: list[str] = field(default_factory=list)
    top_features: list[tuple[str, float]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    promoted_at: datetime | None = None
    promoted_by: str | None = None
    path: str = ""


def model_card(session: Session, model_id: int) -> ModelCard | None:
    row = session.get(ModelVersion, model_id)
    if row is None:
        return None
    card = row.card or {}
    window = card.get("data_window") or {}
    metrics = {k: card[k] for k in METRIC_KEYS if card.get(k) is not None}
    metrics.update({k: v for k, v in (card.get("metrics") or {}).items() if isinstance(v, int | float)})
    top = _mapping(card.get("top_features"))
    ranked = sorted(((str(k), float(v)) for k, v in top.items()), key=lambda kv: -abs(kv[1]))
    return ModelCard(
        model_id=row.model_id,
        name=row.name,
        version=row.version,
        active=row.active,
        kind=card.get("model"),
        code_version=card.get("callwise_version"),
        campaigns=list(window.get("campaigns") or []),
        first_cutoff=window.get("first_cutoff"),
        last_cutoff=window.get("last_cutoff"),
        label=window.get("label"),
        features=[str(f) for f in _sequence(card.get("features"))],
        top_features=ranked[:15],
        metrics=metrics,
        params=dict(params) if isinstance(params := card.get("params"), dict) else {},
        promoted_at=row.promoted_at,
        promoted_by=row.promoted_by,
        path=row.path,
    )


def _sequence(value: Any) -> list[Any]:
    """A card's list, also when an older card stored it as its text."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return []
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return {}
    return {k: v for k, v in value.items() if isinstance(v, int | float)} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Change:
    """What a promotion or roll back would do, for the confirmation form."""

    action: str  # promote, rollback
    name: str
    before: str | None  # the version active now
    after: str  # the version that would be active
    model_id: int  # the version that would be active


def promote_change(session: Session, model_id: int) -> Change | None:
    row = session.get(ModelVersion, model_id)
    if row is None:
        return None
    current = active_version(session, row.name)
    return Change("promote", row.name, None if current is None else current.version, row.version, row.model_id)


def rollback_change(session: Session, name: str) -> Change | None:
    target = rollback_target(session, name)
    if target is None:
        return None
    active, earlier = target
    return Change("rollback", name, active.version, earlier.version, earlier.model_id)


@dataclass
class Health:
    """PSI per feature (the latest week) and realised AUC by week, or why there is none."""

    problem: str | None = None  # an i18n key: no lake, no model files, no recent members
    stability: list[dict[str, Any]] = field(default_factory=list)
    weeks: list[dict[str, Any]] = field(default_factory=list)
    card_auc: float | None = None
    retrain: bool = False
    first_flagged_week: str | None = None
    latest_week: str | None = None


_HEALTH: VersionedCache[Health] = VersionedCache(8)


def model_health(lake: Lake | None, model_path: str | Path) -> Health:
    """``monitor_lake`` of the saved model over the lake, cached by data version and model files."""
    found = health_if_ready(lake, model_path)
    if found is not None or lake is None:
        return found or Health("board.models.health.no_lake")
    directory = Path(model_path)
    return _HEALTH.get(_health_key(lake, directory), lambda: _health(lake, directory))


def health_if_ready(lake: Lake | None, model_path: str | Path) -> Health | None:
    """The health when it needs no computing (a problem, or already cached), else None: the page then loads it."""
    directory = Path(model_path)
    if lake is None:
        return Health("board.models.health.no_lake")
    if not directory.is_dir():
        return Health("board.models.health.no_files")
    return _HEALTH.peek(_health_key(lake, directory))


def _health_key(lake: Lake, directory: Path) -> tuple[Any, ...]:
    return (lake_version(lake), _dir_version(directory))


def clear_cache() -> None:
    _HEALTH.clear()


def _dir_version(directory: Path) -> tuple[Any, ...]:
    files = sorted(p for p in directory.iterdir() if p.is_file())
    return (str(directory), *((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))


def _health(lake: Lake, directory: Path) -> Health:
    from callwise.models import ModelFileError
    from callwise.monitor.errors import MonitorError
    from callwise.monitor.lake import monitor_lake

    try:
        result = monitor_lake(lake, directory)
    except MonitorError:
        return Health("board.models.health.no_members")
    except (ModelFileError, FileNotFoundError, ValueError):
        return Health("board.models.health.unreadable")
    weeks = []
    for week in result["weeks"]:
        perf = week["performance"] or {}
        weeks.append(
            {
                "week": week["week"],
                "n": perf.get("n"),
                "positives": perf.get("positives"),
                "auc": perf.get("auc"),
                "auc_low": perf.get("auc_low"),
                "auc_high": perf.get("auc_high"),
                "card_auc": week["card_auc"],
                "retrain": week["retrain"],
            }
        )
    last = result["weeks"][-1]
    stability = sorted(last["stability"], key=lambda r: (r["column"] != "score", -r["value"]))
    return Health(
        stability=[dict(r) for r in stability],
        weeks=weeks,
        card_auc=last["card_auc"],
        retrain=result["retrain"],
        first_flagged_week=result["first_flagged_week"],
        latest_week=last["week"],
    )
