"""Model health on the lake: the current population and fresh outcomes are past campaigns' members.

The members of campaigns started since ``since`` (features as of each campaign's start, the label after it,
:func:`callwise.pipeline.training_frame`) are the current population; their week is the campaign's start week.
A model saved without a reference profile gets one recomputed from the lake as of its model card's data
window (the campaigns it was trained on).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.lake import Lake
from callwise.models import load_model
from callwise.models.base import CARD, ResponseModel
from callwise.monitor.challenger import MARGIN, paired_bootstrap, record_challenge
from callwise.monitor.decay import ALPHA, AUC_MARGIN, monitor_weeks
from callwise.monitor.errors import MonitorError
from callwise.monitor.stability import Profile, build_profile, load_profile, save_profile


def _card(directory: Path) -> dict[str, Any]:
    from callwise.jsonfile import read_json

    path = directory / CARD
    return read_json(path, MonitorError, "JSON") if path.exists() else {}


def card_auc(card: dict[str, Any]) -> float | None:
    """The validation AUC the model card states (``metrics.auc`` or ``validation_auc``), or None."""
    value = card.get("validation_auc", (card.get("metrics") or {}).get("auc"))
    return None if value is None else float(value)


def members(lake: Lake, horizon_days: int = 30) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    from callwise.pipeline import training_frame

    return training_frame(lake, horizon_days)


def reference(directory: Path, model: ResponseModel, lake: Lake | None, horizon_days: int = 30) -> Profile:
    """The saved profile, else recomputed from the lake as of the card's data window."""
    saved = load_profile(directory)
    if saved is not None:
        return saved
    if lake is None:
        raise MonitorError("monitor.no_reference", path=directory)
    X, _, meta = members(lake, horizon_days)
    campaigns = (_card(directory).get("data_window") or {}).get("campaigns") or []
    rows = meta["campaign_id"].isin(campaigns).to_numpy() if campaigns else np.ones(len(X), bool)
    features = X.loc[rows, list(model.feature_names_in_)]
    profile = build_profile(features, model.predict_proba(features)[:, 1])
    return Profile(profile.rows, profile.binnings, profile.counts, "recomputed")


def monitor_lake(
    lake: Lake,
    model_dir: str | Path,
    since: datetime | None = None,
    horizon_days: int = 30,
    alpha: float = ALPHA,
    margin: float = AUC_MARGIN,
) -> dict[str, Any]:
    """Stability, weekly performance and the decay verdict of a saved model over the lake's recent campaigns."""
    directory = Path(model_dir)
    model = load_model(directory)
    profile = reference(directory, model, lake, horizon_days)
    X, y, meta = members(lake, horizon_days)
    cutoff = pd.to_datetime(meta["cutoff"])
    recent = (cutoff >= pd.Timestamp(since)).to_numpy() if since is not None else np.ones(len(X), bool)
    if not recent.any():
        raise MonitorError("monitor.no_recent", since=since)
    features = list(model.feature_names_in_)
    frame = X.loc[recent, features].copy()
    frame["score"] = model.predict_proba(frame)[:, 1]
    frame["converted"] = y[recent].to_numpy()
    frame["week"] = cutoff[recent].dt.strftime("%G-W%V").to_numpy()
    card = _card(directory)
    result = monitor_weeks(profile, frame, card_auc(card), features, alpha=alpha, margin=margin)
    return {"model": str(directory), "reference_rows": profile.rows, "reference_source": profile.source, **result}


def challenge_on_lake(
    lake: Lake,
    champion_dir: str | Path,
    out_dir: str | Path,
    factory: Any,
    name: str = "response",
    version: str | None = None,
    model_name: str = "lightgbm",
    horizon_days: int = 30,
    margin: float = MARGIN,
    draws: int = 2000,
    seed: int = 0,
    actor: str = "cli",
) -> dict[str, Any]:
    """Train a challenger on every finished campaign but the latest, compare it with the champion on the
    latest campaign's members (held out from the challenger), then promote or refuse through the registry."""
    from callwise.models import make_model

    champion = load_model(champion_dir)
    X, y, meta = members(lake, horizon_days)
    starts = pd.to_datetime(meta["cutoff"])
    latest_id = str(meta["campaign_id"].to_numpy()[int(np.argmax(starts.to_numpy()))])
    latest = meta["campaign_id"].to_numpy() == latest_id
    if latest.all():
        raise MonitorError("monitor.one_campaign")
    train = ~latest
    challenger = make_model(model_name, random_state=seed).fit(X[train], y[train])
    held_X, held_y = X[latest], y[latest].to_numpy()
    comparison = paired_bootstrap(
        held_y,
        champion.predict_proba(held_X[list(champion.feature_names_in_)])[:, 1],
        challenger.predict_proba(held_X)[:, 1],
        draws=draws,
        seed=seed,
    )
    version = version or f"challenger-{latest_id}"
    card = {
        "data_window": {"campaigns": sorted(meta.loc[train, "campaign_id"].unique().tolist())},
        "rows": int(train.sum()),
        "positives": int(y[train].sum()),
        "validation_auc": comparison["challenger_auc"],
        "challenge": comparison,
    }
    out = Path(out_dir)
    challenger.save(out, card=card)
    save_profile(out, build_profile(X[train], challenger.predict_proba(X[train])[:, 1]))
    recorded = record_challenge(factory, name, version, str(out), card, comparison, margin, actor)
    return {"comparison": comparison, **recorded, "out": str(out)}
