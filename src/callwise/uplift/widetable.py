"""The wide-table path of an experiment: one row per customer, a target column and a treatment column.

The features and the target are read as the response models read a wide table
(:func:`callwise.models.widetable.wide_from_frame`: the target recognised or told by ``positive``, rows without
a target counted in ``dropped_no_target``). The treatment column says who got the treatment (``treated``) and who
was the randomised control (``control``). A row holding any other value — a third arm, a blank, a typo — is
refused, naming the file, the row and the value: an uplift model fitted on a guess about such rows would measure
something else than the experiment did, so the analyst keeps only the two groups' rows in the file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from callwise.i18n.message import clipped
from callwise.ingest.readers import read_frame
from callwise.models.widetable import WideTableError, refuse_duplicate_columns, wide_from_frame
from callwise.uplift.base import UpliftModel
from callwise.uplift.errors import UpliftInputError
from callwise.uplift.learners import LEARNERS
from callwise.uplift.select import AUTO, CHOICES, cross_validate_uplift, fit_uplift

DATA_WINDOW = ("source", "target", "treatment", "treated_value", "control_value", "dropped_no_target")
SHOWN_VALUE_CHARS = 40  # a value quoted in a refusal is cut here (a cell may hold a whole document)


@dataclass
class ExperimentTable:
    """Features ``X``, bought ``y`` (0/1) and ``treatment`` (1 treated, 0 control), in file order."""

    X: pd.DataFrame
    y: np.ndarray
    treatment: np.ndarray
    source: str
    target: str
    treatment_column: str
    treated_value: str
    control_value: str
    dropped_no_target: int

    def facts(self) -> dict[str, object]:
        """What the table was, for a model card and the ``--json`` output."""
        return {
            "source": self.source,
            "target": self.target,
            "treatment": self.treatment_column,
            "treated_value": self.treated_value,
            "control_value": self.control_value,
            "dropped_no_target": self.dropped_no_target,
            "rows": len(self.y),
            "treated": int(self.treatment.sum()),
            "control": int(len(self.treatment) - self.treatment.sum()),
            "positives": int(self.y.sum()),
        }


def _matches(values: pd.Series, wanted: str) -> np.ndarray:
    """Cells equal to ``wanted``: as numbers in a number column (``1`` matches 1.0), else as trimmed text, any case."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number = pd.to_numeric(pd.Series([wanted.strip()]), errors="coerce").iloc[0]
        if pd.isna(number):  # a word asked of a number column: no cell holds it
            return np.zeros(len(values), dtype=bool)
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan) == number)
    text = values.astype("str").str.strip().str.lower()
    return np.asarray((text == wanted.strip().lower()).to_numpy(dtype=bool, na_value=False))


def _shown(value: object) -> str:
    text = "" if pd.isna(value) else str(value)  # type: ignore[call-overload]
    return repr(text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS] + "…")


def treatment_of(frame: pd.DataFrame, path: str | Path, column: str, treated: str, control: str) -> np.ndarray:
    """1 where ``column`` holds ``treated``, 0 where it holds ``control``; any other value is refused by row."""
    if column not in frame.columns:
        columns = clipped([str(c) for c in frame.columns])
        raise WideTableError("uplift.wide.no_treatment", path=path, column=repr(column), columns=columns)
    if treated.strip().lower() == control.strip().lower():
        raise WideTableError("uplift.wide.same_values", path=path, value=repr(treated))
    values = frame[column]
    is_treated, is_control = _matches(values, treated), _matches(values, control)
    other = ~(is_treated | is_control)
    if other.any():
        first = int(np.flatnonzero(other)[0])
        raise WideTableError(
            "uplift.wide.other_value",
            path=path,
            row=first + 1,
            column=repr(column),
            value=_shown(values.iloc[first]),
            treated=repr(treated),
            control=repr(control),
            rows=f"{int(other.sum()):,}",
        )
    for group, found, value in (("treated", is_treated, treated), ("control", is_control, control)):
        if not found.any():
            raise WideTableError(f"uplift.wide.no_{group}", path=path, column=repr(column), value=repr(value))
    return is_treated.astype(np.int64)


def load_experiment_table(
    path: str | Path,
    target: str,
    positive: str | None,
    treatment: str,
    treated: str,
    control: str,
    drop: list[str] | tuple[str, ...] = (),
) -> ExperimentTable:
    """Read ``path`` (CSV in any common encoding, XLSX, Parquet) as an experiment; refuse what cannot be one."""
    frame = read_frame(path)
    refuse_duplicate_columns(frame, path)
    if treatment == target:
        raise WideTableError("uplift.wide.treatment_is_target", path=path, column=repr(treatment))
    if treatment in drop:
        raise WideTableError("uplift.wide.treatment_dropped", path=path, column=repr(treatment))
    assigned = treatment_of(frame, path, treatment, treated, control)
    wide = wide_from_frame(frame.drop(columns=[treatment]), path, target, positive, drop)
    kept = np.arange(len(frame)) if wide.rows is None else wide.rows
    return ExperimentTable(
        wide.X,
        wide.y,
        assigned[kept],
        str(path),
        target,
        treatment,
        treated,
        control,
        wide.dropped_no_target,
    )


def evaluate_experiment(
    table: ExperimentTable, learner: str = "auto", folds: int = 5, seed: int = 0, propensity: float | None = None
) -> dict[str, Any]:
    """Out-of-fold figures of ``learner`` on the table (``auto``: of each learner, and the best one's in full).

    With ``auto`` the result is the chosen learner's :func:`~callwise.uplift.select.cross_validate_uplift` and
    ``cv_qini`` of every learner, chosen by the rule ``fit_uplift`` uses (the highest Qini, ties to the simpler).
    The chosen one's figures are then a little optimistic, as any best-of-four is; a named learner's are not.
    """
    if learner not in CHOICES:
        raise UpliftInputError("uplift.unknown_learner", name=repr(learner), choices=", ".join(CHOICES))
    tried = LEARNERS if learner == AUTO else (learner,)
    started = time.perf_counter()
    results = {
        name: cross_validate_uplift(name, table.X, table.y, table.treatment, folds, seed, propensity) for name in tried
    }
    cv_qini = {name: r["qini"] for name, r in results.items()}
    chosen = max(tried, key=lambda name: -np.inf if cv_qini[name] is None else cv_qini[name])
    return {
        **results[chosen],
        **table.facts(),
        "requested": learner,
        "cv_qini": cv_qini,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 2),
    }


def fit_experiment(
    table: ExperimentTable, learner: str = "auto", folds: int = 3, seed: int = 0, propensity: float | None = None
) -> tuple[UpliftModel, dict[str, Any]]:
    """The model :func:`~callwise.uplift.select.fit_uplift` fits on every row, and its card's facts of the table."""
    model, selection = fit_uplift(table.X, table.y, table.treatment, learner, folds, seed, propensity)
    facts = table.facts()
    card = {
        "data_window": {k: facts[k] for k in DATA_WINDOW},
        **{k: facts[k] for k in ("rows", "treated", "control", "positives")},
        "seed": seed,
        "selection": selection,
    }
    return model, card
