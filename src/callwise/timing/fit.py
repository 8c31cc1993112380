"""Fitting the answer model: global → segment levels → customer, each shrunk by empirical Bayes.

1. Global hour-of-week profile: the bank-wide rate, refined week → (day type, day-part) → (day type, hour)
   → slot, each step a beta-binomial posterior whose strength is fitted on the cells of that step.
2. Each segment level (occupation, then occupation × age band …): the same refinement, starting from the
   parent's profile, so a thin segment stays close to its parent.
3. Customer: a multiplier of the segment rates with a Gamma(κ, κ) prior (mean 1), its posterior mean
   computed from the exact Bernoulli likelihood of the customer's attempts; then, optionally, the same per
   (day type, day-part) on top, so a customer who answers only in the evening shows it once the evidence
   is there. κ of each is fitted by marginal likelihood over all customers.

Only call attempts at legal hours, before ``as_of``, and not to a wrong number are learnt from. The
disposition of an attempt is its label and nothing about it is a predictor.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from callwise.schema.contract import ANSWERED_DISPOSITIONS
from callwise.threads import one_thread
from callwise.timing.hours import (
    DEFAULT_DAYPARTS,
    HOURS_OF_WEEK,
    WEEKEND,
    TimeGrid,
    TimingError,
    hour_of_week,
    legal_mask,
)
from callwise.timing.model import AnswerModel
from callwise.timing.segments import (
    AGE_BAND,
    DEFAULT_AGE_EDGES,
    DEFAULT_SEGMENT_COLUMNS,
    SegmentLevels,
    segment_values,
)
from callwise.timing.shrink import grid_multiplier, shrink_profiles

CONTACT_COLUMNS = ("customer_id", "ts", "disposition")
CAP = 0.99


def clean_attempts(
    contacts: pd.DataFrame, legal: np.ndarray, as_of: datetime | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Call attempts worth learning from: customer_id, ts, hour_of_week, answered; and what was dropped."""
    if not isinstance(contacts, pd.DataFrame):
        raise TimingError(f"contacts must be a DataFrame, got {type(contacts).__name__}")
    missing = [c for c in CONTACT_COLUMNS if c not in contacts.columns]
    if missing:
        raise TimingError(f"contacts: missing column {missing[0]!r} (needs {', '.join(CONTACT_COLUMNS)})")
    frame = contacts
    counts = {"read": len(frame)}
    if "channel" in frame.columns:
        frame = frame[frame["channel"].astype("str") == "call"]
    counts["calls"] = len(frame)
    ts = pd.to_datetime(frame["ts"], errors="coerce")
    if getattr(ts.dt, "tz", None) is not None:
        raise TimingError("contacts: column 'ts' must be naive customer-local time, not zoned")
    keep = ts.notna().to_numpy() & frame["customer_id"].notna().to_numpy()
    counts["no_time_or_customer"] = int((~keep).sum())
    if as_of is not None:
        after = keep & (ts >= as_of).to_numpy()
        counts["at_or_after_as_of"] = int(after.sum())
        keep &= ~after
    disposition = frame["disposition"].astype("str")
    wrong = keep & (disposition == "wrong_number").to_numpy()
    counts["wrong_number"] = int(wrong.sum())
    keep &= ~wrong
    how = hour_of_week(ts.fillna(pd.Timestamp(0)))
    illegal = keep & ~legal[how]
    counts["outside_legal_hours"] = int(illegal.sum())
    keep &= ~illegal
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("str").to_numpy()[keep],
            "ts": ts.to_numpy()[keep],
            "hour_of_week": how[keep],
            "answered": disposition.isin(ANSWERED_DISPOSITIONS).to_numpy()[keep],
        }
    )
    counts["used"] = len(out)
    return out, counts


@one_thread
def fit_answer_model(
    contacts: pd.DataFrame,
    customers: pd.DataFrame,
    legal_hours: np.ndarray | None = None,
    segment_columns: tuple[str, ...] = DEFAULT_SEGMENT_COLUMNS,
    as_of: datetime | None = None,
    *,
    age_edges: tuple[int, ...] = DEFAULT_AGE_EDGES,
    daypart_bounds: tuple[int, ...] = DEFAULT_DAYPARTS,
    weekend: tuple[int, ...] = WEEKEND,
    customer_dayparts: bool = True,
    customer_mean: bool = True,
    cap: float = CAP,
) -> AnswerModel:
    """Fit p(answer) per customer and hour-of-week from past call attempts (strictly before ``as_of``).

    ``customers`` needs ``customer_id`` and the segment columns (``age_band`` is derived from ``age`` or
    ``birth_date``). ``legal_hours`` is a mask of 168 booleans (default 09:00–20:59 every day).
    BLAS runs on one thread: its calls here are small products (the marginal likelihood of a few dozen grid
    points), and on a busy machine a thread pool costs more than it saves (decision 0022; the same model).
    """
    started = time.perf_counter()
    legal = legal_mask(legal_hours)
    grid = TimeGrid(tuple(daypart_bounds), tuple(weekend))
    segment_columns = tuple(segment_columns)
    if not isinstance(customers, pd.DataFrame) or "customer_id" not in customers.columns:
        raise TimingError("customers: missing column 'customer_id'")
    attempts, counts = clean_attempts(contacts, legal, as_of)
    if attempts.empty:
        raise TimingError(f"contacts: no call attempts to learn from ({_describe(counts)})")

    people = customers.drop_duplicates("customer_id", keep="last")
    seg_as_of = as_of or pd.Timestamp(attempts["ts"].max()).to_pydatetime()
    values = segment_values(people, segment_columns, seg_as_of, tuple(age_edges)) if segment_columns else None
    # One hash pass over the customers' ids followed by the attempts' ids: customers keep their order,
    # customers known only from the contacts follow in order of appearance.
    n_people = len(people)
    codes, uniques = pd.factorize(pd.concat([people["customer_id"].astype("str"), attempts["customer_id"]]))
    customer_ids = pd.Index(uniques, dtype="str")
    att_cust = codes[n_people:].astype(np.int64)
    n_extra = len(customer_ids) - n_people
    how = attempts["hour_of_week"].to_numpy().astype(np.int64)
    y = attempts["answered"].to_numpy()

    levels = SegmentLevels.learn(values) if values is not None else SegmentLevels((), ())
    codes = [np.concatenate([c, np.full(n_extra, -1)]) for c in levels.codes(values)] if values is not None else []
    profiles, n_rows, y_rows, strengths = _profiles(levels, codes, att_cust, how, y, legal, grid)

    rows = np.zeros(len(customer_ids), np.int64)
    for offset, code in zip(levels.offsets, codes, strict=True):
        rows = np.where(code >= 0, offset + code, rows)
    p_seg = profiles[rows[att_cust], how]
    n_cust = len(customer_ids)
    answered = np.bincount(att_cust, weights=y, minlength=n_cust)
    # The prior mean μ of the multipliers is learnt too: a dialler that retries non-answerers gives slow
    # answerers more attempts, so rates per attempt understate a typical customer's; μ puts that back
    # into every profile, so a customer without history gets the segment profile as it is.
    scale, kappa, mean = grid_multiplier(att_cust, p_seg, y, n_cust, cap, fit_mean=customer_mean)
    profiles = np.minimum(profiles * mean, cap)
    scale /= mean
    part_adjust, kappa_part = None, None
    if customer_dayparts:
        part_adjust, kappa_part = _part_adjust(att_cust, how, y, p_seg * scale[att_cust], n_cust, grid, cap)

    params = {
        "legal_hours": legal.tolist(),
        "segment_columns": list(segment_columns),
        "age_edges": list(age_edges),
        "daypart_bounds": list(daypart_bounds),
        "weekend": list(weekend),
        "customer_dayparts": customer_dayparts,
        "cap": cap,
        "as_of": seg_as_of.isoformat(),
    }
    fitted = {
        "attempts": counts,
        "data_window": [str(attempts["ts"].min()), str(attempts["ts"].max())],
        "answer_rate": round(float(y.mean()), 6),
        "customers": n_cust,
        "customers_with_history": int((np.bincount(att_cust, minlength=n_cust) > 0).sum()),
        "customers_without_segment": int((rows == 0).sum()),
        "segments": {name: len(k) for name, k in zip(_level_names(levels), levels.keys, strict=True)},
        "strengths": strengths,
        "kappa_customer": round(kappa, 6),
        "customer_mean": round(mean, 6),
        "kappa_daypart": None if kappa_part is None else round(kappa_part, 6),
        "fit_seconds": round(time.perf_counter() - started, 3),
    }
    return AnswerModel(
        params=params,
        segments=levels,
        profiles=profiles,
        attempts=n_rows,
        answered=y_rows,
        customer_ids=customer_ids,
        customer_rows=rows.astype(np.int32),
        customer_scale=scale.astype(np.float32),
        customer_attempts=np.bincount(att_cust, minlength=n_cust).astype(np.int32),
        customer_answered=answered.astype(np.int32),
        part_adjust=part_adjust,
        fitted=fitted,
    )


def _profiles(
    levels: SegmentLevels,
    codes: list[np.ndarray],
    att_cust: np.ndarray,
    how: np.ndarray,
    y: np.ndarray,
    legal: np.ndarray,
    grid: TimeGrid,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, list[float]]]:
    """Profiles of the global row and every segment row, each shrunk towards its parent's."""
    n_rows = levels.n_rows
    attempts = np.zeros((n_rows, HOURS_OF_WEEK), np.int64)
    answered = np.zeros((n_rows, HOURS_OF_WEEK), np.int64)
    profiles = np.zeros((n_rows, HOURS_OF_WEEK))
    parents = levels.parents()
    strengths: dict[str, list[float]] = {}
    attempts[0] = np.bincount(how, minlength=HOURS_OF_WEEK)
    answered[0] = np.bincount(how, weights=y, minlength=HOURS_OF_WEEK)
    overall = np.full((1, HOURS_OF_WEEK), answered[0].sum() / attempts[0].sum())
    profiles[:1], strengths["global"] = shrink_profiles(attempts[:1], answered[:1], overall, grid.levels, legal)
    for name, offset, keys, code in zip(_level_names(levels), levels.offsets, levels.keys, codes, strict=True):
        group = code[att_cust]
        has = group >= 0
        cell = group[has] * HOURS_OF_WEEK + how[has]
        size = len(keys) * HOURS_OF_WEEK
        n = np.bincount(cell, minlength=size).reshape(len(keys), HOURS_OF_WEEK)
        k = np.bincount(cell, weights=y[has], minlength=size).reshape(len(keys), HOURS_OF_WEEK)
        sl = slice(offset, offset + len(keys))
        attempts[sl], answered[sl] = n, k
        prior = profiles[parents[sl]]
        profiles[sl], strengths[name] = shrink_profiles(n, k, prior, grid.levels, legal)
    strengths = {k: [round(s, 6) for s in v] for k, v in strengths.items()}
    return profiles, attempts, answered, strengths


def _part_adjust(
    att_cust: np.ndarray, how: np.ndarray, y: np.ndarray, rate: np.ndarray, n_cust: int, grid: TimeGrid, cap: float
) -> tuple[np.ndarray, float]:
    """Customer × (day type, day-part) multipliers on top of the customer's scale, shrunk by one fitted κ."""
    cells = grid.n_part_cells
    adjust, kappa, _ = grid_multiplier(att_cust * cells + grid.part_cells[how], rate, y, n_cust * cells, cap)
    return adjust.astype(np.float32).reshape(n_cust, cells), kappa


def _level_names(levels: SegmentLevels) -> list[str]:
    return ["|".join(levels.columns[:d]) for d in range(1, len(levels.keys) + 1)]


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def read_contacts(lake: Any, before: datetime | None = None) -> pd.DataFrame:
    """Call attempts from the lake (customer_id, ts, disposition, campaign_id when present), before a cutoff."""
    from callwise.lake.frames import to_pandas

    t = lake.table("contacts")
    missing = [c for c in CONTACT_COLUMNS if c not in t.columns]
    if missing:
        raise TimingError(f"{lake.path('contacts')}: missing column {missing[0]!r}")
    if "channel" in t.columns:
        t = t.filter(t.channel == "call")
    if before is not None:
        t = t.filter(t.ts.cast("timestamp") < before)
    cols = [*CONTACT_COLUMNS, *(["campaign_id"] if "campaign_id" in t.columns else [])]
    # A full order (ties by every column), so the fit reads the attempts in the same order on every engine.
    return to_pandas(t.select(*cols).order_by(cols))


def read_customers(lake: Any, segment_columns: tuple[str, ...], on: datetime) -> pd.DataFrame:
    """customer_id and the segment columns; ``age`` on the given day (from birth_date, else age) for bands."""
    from callwise.features.asof import age_on
    from callwise.lake.frames import to_pandas

    t = lake.table("customers")
    missing = [c for c in segment_columns if c not in t.columns and c != AGE_BAND]
    if missing:
        raise TimingError(f"{lake.path('customers')}: no segment column {missing[0]!r}")
    select: dict[str, Any] = {"customer_id": t.customer_id}
    select.update({c: t[c] for c in segment_columns if c in t.columns})
    if AGE_BAND in segment_columns and AGE_BAND not in t.columns:
        if "age" not in t.columns and "birth_date" not in t.columns:
            raise TimingError(f"{lake.path('customers')}: 'age_band' needs a 'birth_date' or 'age' column")
        select["age"] = age_on(t, on.date())
    return to_pandas(t.select(**select).order_by("customer_id"))


def fit_from_lake(
    lake: Any,
    as_of: datetime,
    legal_hours: np.ndarray | None = None,
    segment_columns: tuple[str, ...] = DEFAULT_SEGMENT_COLUMNS,
    **options: Any,
) -> AnswerModel:
    """Fit on the lake's call attempts strictly before ``as_of``, with customers' ages on that day."""
    contacts = read_contacts(lake, before=as_of)
    customers = read_customers(lake, tuple(segment_columns), as_of)
    return fit_answer_model(contacts, customers, legal_hours, tuple(segment_columns), as_of, **options)
