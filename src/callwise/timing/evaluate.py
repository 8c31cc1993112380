"""Held-out evaluation of the answer model against the global-rate and segment-rate baselines.

As-of split: the model is fitted only on attempts before a cutoff (default: the start of the most recent
campaign; else the last 20% of the time span, or the last N days) and scored on the attempts after it.
Predictors compared on the same held-out attempts:

- ``global``: the global hour-of-week profile (empirical-Bayes smoothed), the same for everyone;
- ``segment``: the customer's segment hour-of-week profile, no customer level;
- ``callwise``: the full model (segment × the customer's own propensity and day-part habit);
- ``global_empirical`` / ``segment_empirical``: raw observed rates per slot ((answered + ½) / (attempts + 1)),
  what a spreadsheet would give, to show what the smoothing buys.

Log loss is the headline (it punishes over-confidence, which is what a scheduler would act on); Brier
score, AUC and a calibration table (deciles of the predicted p against the observed rate) go with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from callwise.models.evaluation import calibration_bins
from callwise.timing.fit import clean_attempts, fit_answer_model, read_contacts, read_customers
from callwise.timing.hours import TimingError, legal_mask
from callwise.timing.model import AnswerModel, Level
from callwise.timing.segments import DEFAULT_SEGMENT_COLUMNS

BASELINES = ("global", "segment")
PREDICTORS = ("global_empirical", "segment_empirical", "global", "segment", "callwise")
# The model's own predictors: each is the answer model read down to one level.
LEVEL_OF_BASELINE: dict[str, Level] = {"global": "global", "segment": "segment", "callwise": "customer"}
DEFAULT_SHARE = 0.2


def holdout_cutoff(
    contacts: pd.DataFrame, holdout_days: float | None = None, share: float = DEFAULT_SHARE
) -> tuple[datetime, dict[str, Any]]:
    """Where to split, and how it was chosen: last N days, the most recent campaign, or the last share of time."""
    frame = contacts[contacts["channel"].astype("str") == "call"] if "channel" in contacts.columns else contacts
    ts = pd.to_datetime(frame["ts"], errors="coerce")
    if ts.notna().sum() == 0:
        raise TimingError("contacts: no call attempt has a time in column 'ts'")
    if holdout_days is not None:
        if holdout_days <= 0:
            raise TimingError(f"holdout days must be positive, got {holdout_days}")
        return (ts.max() - timedelta(days=holdout_days)).to_pydatetime(), {"by": "days", "days": holdout_days}
    if "campaign_id" in frame.columns:
        starts = ts.groupby(frame["campaign_id"].astype("str").to_numpy()).min().dropna()
        if len(starts) >= 2:
            return starts.max().to_pydatetime(), {"by": "campaign", "campaign": str(starts.idxmax())}
    if not 0 < share < 1:
        raise TimingError(f"holdout share must lie between 0 and 1, got {share}")
    low, high = ts.min(), ts.max()
    return (low + (high - low) * (1 - share)).to_pydatetime(), {"by": "share", "share": share}


def evaluate_answer_model(
    contacts: pd.DataFrame,
    customers: pd.DataFrame,
    split: datetime | None = None,
    *,
    holdout_days: float | None = None,
    holdout_share: float = DEFAULT_SHARE,
    legal_hours: np.ndarray | None = None,
    segment_columns: tuple[str, ...] = DEFAULT_SEGMENT_COLUMNS,
    **fit_options: Any,
) -> dict[str, Any]:
    """Fit before the cutoff, score the attempts after it; metrics per predictor and ``beats_baselines``."""
    legal = legal_mask(legal_hours)
    if split is not None:
        cutoff, chosen = split, {"by": "cutoff"}
    else:
        cutoff, chosen = holdout_cutoff(contacts, holdout_days, holdout_share)
    model = fit_answer_model(contacts, customers, legal, tuple(segment_columns), cutoff, **fit_options)
    attempts, _ = clean_attempts(contacts, legal)
    test = attempts[attempts["ts"] >= cutoff]
    if test.empty:
        raise TimingError(f"contacts: no call attempts at or after the cutoff {cutoff:%Y-%m-%d %H:%M} to evaluate on")
    y = test["answered"].to_numpy().astype(int)
    predictions = predict_all(model, test, customers)
    scores = {name: _scores(y, p) for name, p in predictions.items()}
    known = model.customer_ids.get_indexer(pd.Index(test["customer_id"], dtype="str"))
    history = (known >= 0) & (model.customer_attempts[np.maximum(known, 0)] > 0)
    best_baseline = min(scores[b]["log_loss"] for b in BASELINES)
    return {
        "cutoff": cutoff.isoformat(),
        "split": chosen,
        "train": model.fitted["attempts"],
        "test": {
            "attempts": len(test),
            "answered": int(y.sum()),
            "customers": int(test["customer_id"].nunique()),
            "attempts_of_customers_with_history": int(history.sum()),
        },
        "predictors": scores,
        "log_loss_gain": {b: round(scores[b]["log_loss"] - scores["callwise"]["log_loss"], 6) for b in BASELINES},
        "beats_baselines": bool(scores["callwise"]["log_loss"] < best_baseline),
        "model": {
            k: model.fitted[k]
            for k in ("kappa_customer", "customer_mean", "kappa_daypart", "segments", "strengths", "fit_seconds")
        },
    }


def predict_all(model: AnswerModel, attempts: pd.DataFrame, customers: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """p(answer) of every attempt under each predictor."""
    ids, how = attempts["customer_id"].to_numpy(), attempts["hour_of_week"].to_numpy().astype(np.int64)
    rows = model.profile_rows(ids, customers)

    def raw(r: np.ndarray) -> np.ndarray:
        return (model.answered[r, how] + 0.5) / (model.attempts[r, how] + 1.0)

    return {
        "global_empirical": raw(np.zeros(len(ids), np.int64)),
        "segment_empirical": raw(rows),
        **{
            name: model.probability_at(ids, how, customers=customers, level=level)
            for name, level in LEVEL_OF_BASELINE.items()
        },
    }


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return {
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "auc": round(float(roc_auc_score(y, p)), 6) if 0 < y.sum() < len(y) else None,
        "mean_predicted": round(float(p.mean()), 6),
        "observed": round(float(y.mean()), 6),
        "calibration": calibration_bins(y, p),
    }


def evaluate_from_lake(
    lake: Any,
    segment_columns: tuple[str, ...] = DEFAULT_SEGMENT_COLUMNS,
    *,
    holdout_days: float | None = None,
    before: datetime | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Evaluate on the lake's call attempts (those before ``before`` only, when given); ages on the cutoff day."""
    contacts = read_contacts(lake, before=before)
    if contacts.empty:
        raise TimingError(f"{lake.path('contacts')}: no call attempts to evaluate on")
    cutoff, chosen = holdout_cutoff(contacts, holdout_days)
    customers = read_customers(lake, tuple(segment_columns), cutoff)
    result = evaluate_answer_model(contacts, customers, cutoff, segment_columns=tuple(segment_columns), **options)
    return {**result, "split": chosen}
