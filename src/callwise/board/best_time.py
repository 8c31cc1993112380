"""Best time to call, for the dashboard: weekday × hour grids of p(answer) per segment and for one customer.

Two sources, always named on the page. The **answer model** (``callwise timing fit``, saved under the
service's ``models/answer``) shrinks segment and customer rates towards their parents, so a thin cell says
something sensible. Until it is trained the page shows **the call history** as it is: answered ÷ dialled per
hour of the week, grouped in Ibis over the lake's contacts, with the counts beside each rate so a rate from
three calls reads as one. A customer's grid reveals their habits, so showing one is audited; a customer who
opted out of profiling (PIPL Art. 24) is shown the bank-wide grid, as the scheduler would use for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import ibis
import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.features.asof import age_on
from callwise.lake import Lake
from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.schema.contract import ANSWERED_DISPOSITIONS
from callwise.timing import AnswerModel, AnswerModelFileError, load_answer_model
from callwise.timing.fileformat import STATE
from callwise.timing.hours import HOURS_OF_WEEK, default_legal_hours
from callwise.timing.segments import DEFAULT_AGE_EDGES, age_band_labels

Source = Literal["model", "history"]
MODEL_DIR = "answer"  # under the service's models directory: where `callwise timing fit --out` should write
HISTORY_COLUMNS = ("occupation", "age_band", "province")  # what the history can be grouped by
ALL = "all"
_cache: dict[Path, tuple[float, AnswerModel]] = {}


@dataclass(frozen=True)
class Heatmap:
    """p(answer) on a week: ``p[weekday][i]`` for ``hours[i]`` (None: nothing to go by), with the counts behind it."""

    source: Source
    label: str
    hours: list[int]
    p: list[list[float | None]]
    attempts: list[list[int]]
    answered: list[list[int]]
    opted_out: bool = False  # a customer shown the bank-wide grid (profiling opt-out)

    @property
    def has_data(self) -> bool:
        return any(v is not None for row in self.p for v in row)

    def best(self, k: int = 3) -> list[dict[str, Any]]:
        """The ``k`` likeliest slots, earlier ones first among ties."""
        cells = [
            (-v, day, hour)
            for day, row in enumerate(self.p)
            for hour, v in zip(self.hours, row, strict=True)
            if v is not None
        ]
        return [{"weekday": d, "hour": h, "p_answer": -v} for v, d, h in sorted(cells)[:k]]

    def rows(self) -> list[dict[str, Any]]:
        """One row per weekday and hour: the table view and the export."""
        return [
            {
                "weekday": day,
                "hour": hour,
                "p_answer": self.p[day][i],
                "attempts": self.attempts[day][i],
                "answered": self.answered[day][i],
            }
            for day in range(7)
            for i, hour in enumerate(self.hours)
        ]


def model_path(models_dir: Path | None) -> Path | None:
    return None if models_dir is None else models_dir / MODEL_DIR


def find_model(models_dir: Path | None) -> AnswerModel | None:
    """The service's trained answer model, read once per saved version; None while it has not been trained."""
    path = model_path(models_dir)
    if path is None or not (path / STATE).is_file():
        return None
    stamp = (path / STATE).stat().st_mtime
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        model = load_answer_model(path)
    except AnswerModelFileError:
        return None
    _cache[path] = (stamp, model)
    return model


def _grid(
    label: str, source: Source, hours: list[int], p: np.ndarray, n: np.ndarray, k: np.ndarray, opted_out: bool = False
) -> Heatmap:
    """A heatmap from 168-long arrays, keeping the given hours of each day."""
    cols = np.asarray(hours, dtype=np.int64)
    pick = (lambda a: a.reshape(7, 24)[:, cols]) if len(cols) else (lambda a: np.zeros((7, 0)))
    rates = pick(p.astype(float))
    shown = [[None if np.isnan(v) else round(float(v), 6) for v in row] for row in rates]
    counts = pick(n).astype(np.int64).tolist()
    hits = pick(k).astype(np.int64).tolist()
    return Heatmap(source, label, hours, shown, counts, hits, opted_out)


# --- the answer model --------------------------------------------------------------------------------------
def model_hours(model: AnswerModel) -> list[int]:
    return sorted({int(h) for h in model.legal_slots % 24})


def model_segments(model: AnswerModel) -> list[str]:
    """The model's segment labels, bank-wide (``all``) first, then each level's groups."""
    return [str(s) for s in model.segments.labels()["segment"]]


def model_segment(model: AnswerModel, segment: str) -> Heatmap | None:
    """One segment's profile (None: the model has no such segment)."""
    labels = model.segments.labels()
    match = labels.index[labels["segment"] == segment]
    if len(match) == 0:
        return None
    row = int(match[0])
    p = np.where(model.legal, model.profiles[row], np.nan)
    return _grid(segment, "model", model_hours(model), p, model.attempts[row], model.answered[row])


def model_customer(model: AnswerModel, lake: Lake | None, customer_id: str, opted_out: bool) -> Heatmap:
    """The customer's own p(answer): their segment, scale and day-part habit; the global grid when opted out."""
    customers = None
    if lake is not None and lake.has("customers"):
        from callwise.timing.fit import read_customers

        as_of = model.as_of
        on = as_of if as_of is not None else utcnow().replace(tzinfo=None)
        frame = read_customers(lake, tuple(model.params["segment_columns"]), on)
        customers = frame[frame["customer_id"].astype(str) == customer_id]
    slots = np.arange(HOURS_OF_WEEK)
    p = model.probabilities([customer_id], slots, customers=customers, non_personalised=[opted_out])[0]
    p = np.where(model.legal, p.astype(float), np.nan)
    n, k = history_counts(lake, customer_id=customer_id) if lake is not None else (np.zeros(168), np.zeros(168))
    return _grid(customer_id, "model", model_hours(model), p, n, k, opted_out)


# --- the call history --------------------------------------------------------------------------------------
def history_hours() -> list[int]:
    return sorted({int(h) for h in np.flatnonzero(default_legal_hours()) % 24})


def _calls(lake: Lake) -> ibis.Table:
    """Call attempts that say whether the customer picks up: calls, not to a wrong number, with a time."""
    c = lake.table("contacts")
    if "channel" in c.columns:
        c = c.filter(c.channel == "call")
    c = c.filter(c.disposition != "wrong_number", c.ts.notnull())
    ts = c.ts.cast("timestamp")
    return c.mutate(
        weekday=ts.day_of_week.index(),
        hour=ts.hour(),
        picked=c.disposition.isin(list(ANSWERED_DISPOSITIONS)).ifelse(1, 0),
    )


def _with_segments(lake: Lake, calls: ibis.Table, on: date) -> ibis.Table:
    """The calls with their customer's occupation, age band (on ``on``) and province, where the lake has them."""
    people = lake.table("customers")
    columns: dict[str, Any] = {"cid": people.customer_id}
    for name in ("occupation", "province"):
        if name in people.columns:
            columns[name] = people[name].cast("string")
    if "birth_date" in people.columns or "age" in people.columns:
        age = age_on(people, on)
        labels = age_band_labels(DEFAULT_AGE_EDGES)  # one more label than edges: the last is "60+"
        bands = [(age < edge, label) for edge, label in zip(DEFAULT_AGE_EDGES, labels, strict=False)]
        columns["age_band"] = ibis.cases((age.isnull(), ibis.null("string")), *bands, else_=labels[-1])
    seg = people.select(**columns)
    return calls.join(seg, calls.customer_id == seg.cid)


def history_counts(
    lake: Lake,
    *,
    column: str | None = None,
    value: str | None = None,
    customer_id: str | None = None,
    on: date | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dialled and answered per hour of the week (168 each), for everyone, a segment or one customer."""
    calls = _calls(lake)
    if customer_id is not None:
        calls = calls.filter(calls.customer_id == customer_id)
    if column is not None:
        calls = _with_segments(lake, calls, on or utcnow().date())
        calls = calls.filter(calls[column] == value)
    grouped = calls.group_by("weekday", "hour").aggregate(dialled=calls.count(), answered=calls.picked.sum())
    frame = grouped.to_pandas()
    n, k = np.zeros(HOURS_OF_WEEK, np.int64), np.zeros(HOURS_OF_WEEK, np.int64)
    slot = frame["weekday"].to_numpy(np.int64) * 24 + frame["hour"].to_numpy(np.int64)
    n[slot] = frame["dialled"].to_numpy(np.int64)
    k[slot] = frame["answered"].fillna(0).to_numpy(np.int64)
    return n, k


def history_segments(lake: Lake, on: date) -> list[str]:
    """``all`` and ``column=value`` for each segment value the call history has (most calls first per column)."""
    joined = _with_segments(lake, _calls(lake), on)
    options = [ALL]
    for column in HISTORY_COLUMNS:
        if column not in joined.columns:
            continue
        present = joined.filter(joined[column].notnull())
        counts = present.group_by(column).aggregate(n=present.count())
        values = counts.order_by([ibis.desc("n"), column]).limit(40).to_pandas()[column]
        options += [f"{column}={v}" for v in values.astype(str)]
    return options


def history_grid(lake: Lake, segment: str, on: date) -> Heatmap | None:
    """The history's grid for ``all`` or ``column=value`` (None: not a segment the history can be grouped by)."""
    if segment == ALL:
        n, k = history_counts(lake)
    else:
        column, sep, value = segment.partition("=")
        if not sep or column not in HISTORY_COLUMNS:
            return None
        n, k = history_counts(lake, column=column, value=value, on=on)
    return _history(segment, n, k)


def history_customer(lake: Lake, customer_id: str) -> Heatmap:
    n, k = history_counts(lake, customer_id=customer_id)
    return _history(customer_id, n, k)


def _history(label: str, n: np.ndarray, k: np.ndarray) -> Heatmap:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    return _grid(label, "history", history_hours(), p, n, k)


# --- the customer ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """What the page needs to know of a customer: whether the lake has them, and their profiling opt-out."""

    known: bool
    opted_out: bool = False


def person(lake: Lake | None, customer_id: str) -> Person:
    """Whether the lake holds ``customer_id`` (no PII is read), and whether they opted out of profiling."""
    if lake is None or not lake.has("customers"):
        return Person(False)
    people = lake.table("customers")
    found = people.filter(people.customer_id == customer_id)
    flag = found.profiling_opt_out.cast("boolean") if "profiling_opt_out" in people.columns else ibis.literal(False)
    rows = found.select(opted=flag.fill_null(False)).limit(1).to_pyarrow().to_pylist()
    if not rows:
        return Person(False)
    return Person(True, bool(rows[0]["opted"]))


def record_view(factory: sessionmaker[Session], actor: str, customer_id: str, source: Source, ip: str | None) -> None:
    """Audit that ``actor`` saw when ``customer_id`` answers: a habit of theirs, like any look-up of them."""
    with transaction(factory) as session:
        audit.append(session, actor, "customer.best_time", f"customer:{customer_id}", {"source": source}, ip)
