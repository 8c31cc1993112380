"""Champion/challenger: a paired bootstrap of the AUC difference on held-out recent outcomes, and the registry.

Both models score the same held-out rows (members the challenger never trained on, e.g. the latest
campaign's). Each bootstrap replicate resamples those rows once and computes both AUCs on that same sample,
so the difference's interval carries the correlation between the two scores. The challenger is promoted only
when the lower bound of the difference is above ``margin``; promotion and refusal are both audited.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.monitor.errors import MonitorError
from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.models import ModelVersion

MARGIN = 0.0
BOOTSTRAP = 2000
LEVEL = 0.95


def _weighted_auc(inverse: np.ndarray, y: np.ndarray, weights: np.ndarray, levels: int) -> float:
    """AUC of a weighted sample (weights = bootstrap counts), the scores given as ranks of their distinct values."""
    pos = np.bincount(inverse, weights=weights * y, minlength=levels)
    neg = np.bincount(inverse, weights=weights * (1 - y), minlength=levels)
    below = np.cumsum(neg) - neg  # negatives with a strictly lower score
    total = pos.sum() * neg.sum()
    return float(np.sum(pos * (below + 0.5 * neg)) / total) if total > 0 else float("nan")


def paired_bootstrap(
    y: Any, champion: Any, challenger: Any, draws: int = BOOTSTRAP, seed: int = 0, level: float = LEVEL
) -> dict[str, Any]:
    """Both AUCs, their difference (challenger − champion) and its percentile interval over paired resamples."""
    y = np.asarray(y, dtype=np.int64)
    a, b = np.asarray(champion, dtype=float), np.asarray(challenger, dtype=float)
    if not (len(y) == len(a) == len(b)):
        raise MonitorError("monitor.lengths", labels=len(y), champion=len(a), challenger=len(b))
    if len(y) == 0 or y.min() == y.max():
        raise MonitorError("monitor.holdout_one_class", rows=len(y))
    if np.isnan(a).any() or np.isnan(b).any():
        raise MonitorError("monitor.bad_score")
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    ones = np.ones(len(y))
    auc_a, auc_b = _weighted_auc(ia, y, ones, len(ua)), _weighted_auc(ib, y, ones, len(ub))
    rng = np.random.default_rng(seed)
    diffs = np.empty(draws)
    for i in range(draws):
        w = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(float)
        diffs[i] = _weighted_auc(ib, y, w, len(ub)) - _weighted_auc(ia, y, w, len(ua))
    diffs = diffs[~np.isnan(diffs)]
    tail = (1 - level) / 2
    return {
        "rows": len(y),
        "positives": int(y.sum()),
        "champion_auc": round(auc_a, 6),
        "challenger_auc": round(auc_b, 6),
        "difference": round(auc_b - auc_a, 6),
        "low": round(float(np.quantile(diffs, tail)), 6),
        "high": round(float(np.quantile(diffs, 1 - tail)), 6),
        "level": level,
        "draws": len(diffs),
    }


def decide(comparison: dict[str, Any], margin: float = MARGIN) -> bool:
    """Promote only when the lower bound of the AUC difference is above ``margin``."""
    return bool(comparison["low"] > margin)


def record_challenge(
    factory: sessionmaker[Session],
    name: str,
    version: str,
    path: str,
    card: dict[str, Any],
    comparison: dict[str, Any],
    margin: float = MARGIN,
    actor: str = "cli",
) -> dict[str, Any]:
    """Register the challenger's version, promote it when :func:`decide` says so, audit either outcome.

    Exactly one version per name stays active: promotion deactivates every other version of ``name`` in the
    same transaction as the audit entry.
    """
    promote = decide(comparison, margin)
    with transaction(factory) as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version))
        if row is None:
            row = ModelVersion(name=name, version=version, path=path, card=card, active=False)
            session.add(row)
            session.flush()
            audit.append(session, actor, "model.register", f"model:{name}:{version}", {})
        before = session.scalar(
            select(ModelVersion.version).where(ModelVersion.name == name, ModelVersion.active.is_(True))
        )
        detail = {
            "before": before,
            "challenger": version,
            "difference": comparison["difference"],
            "low": comparison["low"],
            "high": comparison["high"],
            "margin": margin,
            "rows": comparison["rows"],
        }
        if promote:
            session.execute(update(ModelVersion).where(ModelVersion.name == name).values(active=False))
            row.active, row.promoted_at, row.promoted_by = True, utcnow(), actor
            session.flush()
            audit.append(session, actor, "model.promote", f"model:{name}", {**detail, "via": "challenge"})
        else:
            audit.append(session, actor, "model.challenge_refused", f"model:{name}", detail)
        active = session.scalar(
            select(ModelVersion.version).where(ModelVersion.name == name, ModelVersion.active.is_(True))
        )
    return {"promoted": promote, "active": active, **detail}


def active_model(factory: sessionmaker[Session], name: str) -> tuple[str, str, dict[str, Any]] | None:
    """(version, path, card) of the active version of ``name``, or None."""
    with factory() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == name, ModelVersion.active.is_(True)))
        return None if row is None else (row.version, row.path, dict(row.card))
