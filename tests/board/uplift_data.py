"""A real uplift model fitted in a blink and registered, and issued lists ranked by uplift, for the uplift page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callwise.ops.db import transaction
from callwise.ops.models import Campaign, IssuedList, ModelVersion
from callwise.uplift import fit_uplift
from tests.uplift.helpers import experiment


def fit_and_save(directory: Path, learner: str = "auto", folds: int = 2) -> dict[str, Any]:
    """An uplift model fitted on a small experiment (``auto`` tries every learner) and saved; its card."""
    X, y, treatment, _ = experiment(n=1500, seed=3)
    model, selection = fit_uplift(X, y, treatment, learner=learner, folds=folds, seed=0)
    model.save(directory, card={"rows": len(X), "selection": selection})
    card: dict[str, Any] = json.loads((directory / "model_card.json").read_text(encoding="utf-8"))
    return card


def register(factory: sessionmaker[Session], directory: Path, version: str, active: bool = False) -> int:
    """The saved model registered as ``uplift``/``version`` (as ``POST /models`` stores it); its id."""
    card = json.loads((directory / "model_card.json").read_text(encoding="utf-8"))
    with transaction(factory) as session:
        row = ModelVersion(name="uplift", version=version, path=str(directory), card=card, active=active)
        session.add(row)
        session.flush()
        return row.model_id


def summary(ranking: str, eligible: int, negative: int, listed: int) -> dict[str, Any]:
    """A list's summary as the build writes it: ``negative_uplift`` in the funnel only when ranked by uplift."""
    steps = [("negative_uplift", negative)] if ranking == "uplift" else []
    steps += [("not_worth_calling", 10), ("below_capacity", eligible - negative - 10 - listed)]
    funnel, remaining = [{"step": "consent", "removed": 50, "remaining": eligible}], eligible
    for step, removed in steps:
        remaining -= removed
        funnel.append({"step": step, "removed": removed, "remaining": remaining})
    return {"ranking": ranking, "eligible": eligible, "listed": listed, "funnel": funnel, "model": "x"}


def issue(factory: sessionmaker[Session], campaign_id: str, summaries: list[dict[str, Any]]) -> list[int]:
    """A campaign and its issued lists with these summaries, oldest first; their ids."""
    with transaction(factory) as session:
        if session.get(Campaign, campaign_id) is None:
            session.add(Campaign(campaign_id=campaign_id, name=campaign_id, product_id="P1", spec={}, created_by="t"))
            session.flush()
        rows = [
            IssuedList(campaign_id=campaign_id, issued_by="t", policy_sha256="0" * 64, summary=s) for s in summaries
        ]
        session.add_all(rows)
        session.flush()
        return [r.list_id for r in rows]
