"""The fitted answer model: p(answer) per customer and hour-of-week, and heatmap-ready tables.

A probability is ``profile[row, slot] × scale × part_adjust[part(slot)]``, capped: ``row`` is the
customer's deepest segment (or the global profile), ``scale`` the customer's own propensity and
``part_adjust`` the customer's habit by day-part, both shrunk by empirical Bayes (see ``fit.py``).
Illegal hours are 0. The scheduler asks for a million customers × ~110 slots, so the matrix is built in
float32 blocks from a small table of segment profiles, never through a per-customer loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import callwise
from callwise.jsonfile import write_json
from callwise.timing.fileformat import CARD, FORMAT, KIND, STATE
from callwise.timing.hours import HOURS_OF_WEEK, TimeGrid, TimingError, check_hours
from callwise.timing.segments import SegmentLevels, positions, segment_values

Level = Literal["global", "segment", "customer"]
LEVELS: tuple[Level, ...] = ("global", "segment", "customer")
BLOCK = 65_536  # customers per block when building the probability matrix (keeps temporaries small)


@dataclass
class AnswerModel:
    """Fitted state. Build it with ``fit_answer_model``; read it back with ``load_answer_model``."""

    params: dict[str, Any]  # legal_hours, segment_columns, age_edges, daypart_bounds, weekend, cap, as_of
    segments: SegmentLevels
    profiles: np.ndarray  # rows × 168 float64: row 0 global, then each segment level's groups
    attempts: np.ndarray  # rows × 168 training attempts per profile row and slot
    answered: np.ndarray  # rows × 168 answered among them
    customer_ids: pd.Index  # every customer the model knows (from the customers frame and the contacts)
    customer_rows: np.ndarray  # int32: each known customer's deepest profile row
    customer_scale: np.ndarray  # float32: own propensity (1 without history)
    customer_attempts: np.ndarray  # int32
    customer_answered: np.ndarray  # int32
    part_adjust: np.ndarray | None  # float32 customers × (day type, day-part) cells, or None
    fitted: dict[str, Any] = field(default_factory=dict)  # strengths, κ, data window, counts
    card: dict[str, Any] = field(default_factory=dict)  # extra model-card entries (e.g. evaluation)

    # --- derived -----------------------------------------------------------------------------------
    @property
    def legal(self) -> np.ndarray:
        return np.asarray(self.params["legal_hours"], dtype=bool)

    @property
    def legal_slots(self) -> np.ndarray:
        return np.flatnonzero(self.legal)

    @property
    def grid(self) -> TimeGrid:
        return TimeGrid(tuple(self.params["daypart_bounds"]), tuple(self.params["weekend"]))

    @property
    def as_of(self) -> datetime | None:
        value = self.params.get("as_of")
        return datetime.fromisoformat(value) if value else None

    # --- probabilities -----------------------------------------------------------------------------
    def _resolve(
        self,
        customer_ids: Any,
        customers: pd.DataFrame | None,
        non_personalised: Any,
        level: Level,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per requested customer: profile row, scale, position among known customers (−1: none to use)."""
        if level not in LEVELS:
            raise TimingError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        ids = pd.Index(customer_ids, dtype="str")
        pos = positions(ids, self.customer_ids)
        known = pos >= 0
        rows = np.where(known, self.customer_rows[np.maximum(pos, 0)], 0).astype(np.int64)
        if customers is not None and not known.all():
            rows[~known] = self._rows_for(ids[~known], customers)
        scale = np.where(known, self.customer_scale[np.maximum(pos, 0)], 1.0).astype(np.float32)
        if non_personalised is not None:
            opted = np.asarray(non_personalised, dtype=bool)
            if opted.shape != (len(ids),):
                raise TimingError(f"non_personalised must have one flag per customer ({len(ids)}), got {opted.shape}")
            rows[opted], scale[opted], pos[opted] = 0, 1.0, -1
        if level == "global":
            rows[:] = 0
        if level != "customer":
            scale[:], pos[:] = 1.0, -1
        return rows, scale, pos

    def profile_rows(self, customer_ids: Any, customers: pd.DataFrame | None = None) -> np.ndarray:
        """Each customer's deepest segment row (0 = global), as ``probabilities`` would use it."""
        return self._resolve(customer_ids, customers, None, "segment")[0]

    def _rows_for(self, ids: pd.Index, customers: pd.DataFrame) -> np.ndarray:
        """Profile rows of customers the model has not seen, from their segment columns."""
        if "customer_id" not in customers.columns:
            raise TimingError("customers: missing column 'customer_id'")
        frame = customers.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        frame.index = frame.index.astype(str)
        found = frame.reindex(ids)
        values = segment_values(found, self.segments.columns, self.as_of, tuple(self.params["age_edges"]))
        return self.segments.rows(values)

    def probabilities(
        self,
        customer_ids: Any,
        hours_of_week: Any = None,
        *,
        customers: pd.DataFrame | None = None,
        non_personalised: Any = None,
        level: Level = "customer",
    ) -> np.ndarray:
        """float32 matrix (customers × slots) of p(answer); slots default to the legal hours, illegal ones are 0.

        Unknown customers get their segment's profile when ``customers`` (customer_id + segment columns) is
        given, else the global profile; ``non_personalised`` flags (profiling opt-out, PIPL Art. 24) get the
        global profile. ``level`` = ``global`` or ``segment`` leaves out the finer levels (the baselines).
        """
        hours = self.legal_slots if hours_of_week is None else check_hours(hours_of_week)
        rows, scale, pos = self._resolve(customer_ids, customers, non_personalised, level)
        table = self.profiles[:, hours].astype(np.float32)
        parts = self.grid.part_cells[hours]
        cap = np.float32(self.params["cap"])
        out = np.empty((len(rows), len(hours)), np.float32)
        for start in range(0, len(rows), BLOCK):
            sl = slice(start, start + BLOCK)
            block = out[sl]
            np.take(table, rows[sl], axis=0, out=block)
            if self.part_adjust is not None and (pos[sl] >= 0).any():
                # Scale × day-part multiplier per customer and (day type, day-part) cell, then per slot.
                factor = self.part_adjust[np.maximum(pos[sl], 0)] * scale[sl, None]
                factor[pos[sl] < 0] = scale[sl][pos[sl] < 0, None]
                block *= factor[:, parts]
            else:
                block *= scale[sl, None]
            np.minimum(block, cap, out=block)
        return out

    def probability_at(
        self,
        customer_ids: Any,
        hours_of_week: Any,
        *,
        customers: pd.DataFrame | None = None,
        non_personalised: Any = None,
        level: Level = "customer",
    ) -> np.ndarray:
        """p(answer) of each (customer, slot) pair — e.g. for scoring past attempts (float64, 1-D)."""
        hours = check_hours(hours_of_week)
        rows, scale, pos = self._resolve(customer_ids, customers, non_personalised, level)
        if len(hours) != len(rows):
            raise TimingError(f"{len(rows)} customers but {len(hours)} hours; give one hour per customer")
        p = self.profiles[rows, hours] * scale
        if self.part_adjust is not None:
            adjust = self.part_adjust[np.maximum(pos, 0), self.grid.part_cells[hours]]
            p = p * np.where(pos >= 0, adjust, 1.0)
        return np.minimum(p, self.params["cap"])

    # --- tables ------------------------------------------------------------------------------------
    def segment_table(self) -> pd.DataFrame:
        """Heatmap-ready: level, segment, weekday, hour, hour_of_week, p_answer, attempts, answered (legal slots)."""
        slots = self.legal_slots
        labels = self.segments.labels()
        n_rows = len(labels)
        return pd.DataFrame(
            {
                "level": np.repeat(labels["level"].to_numpy(), len(slots)),
                "segment": np.repeat(labels["segment"].to_numpy(), len(slots)),
                "weekday": np.tile(slots // 24, n_rows),
                "hour": np.tile(slots % 24, n_rows),
                "hour_of_week": np.tile(slots, n_rows),
                "p_answer": self.profiles[:, slots].ravel(),
                "attempts": self.attempts[:, slots].ravel(),
                "answered": self.answered[:, slots].ravel(),
            }
        ).astype({"level": "str", "segment": "str"})

    def customer_table(self, customer_ids: Any, customers: pd.DataFrame | None = None) -> pd.DataFrame:
        """Long and heatmap-ready: customer_id, weekday, hour, hour_of_week, p_answer, rank (1 = best slot)."""
        ids = np.asarray(customer_ids, dtype=object).astype(str)
        slots = self.legal_slots
        p = self.probabilities(ids, slots, customers=customers)
        rank = np.empty_like(p, dtype=np.int64)
        order = np.argsort(-p, axis=1, kind="stable")
        np.put_along_axis(rank, order, np.arange(1, len(slots) + 1)[None, :].repeat(len(ids), 0), axis=1)
        return pd.DataFrame(
            {
                "customer_id": pd.array(np.repeat(ids, len(slots)), dtype="str"),
                "weekday": np.tile(slots // 24, len(ids)),
                "hour": np.tile(slots % 24, len(ids)),
                "hour_of_week": np.tile(slots, len(ids)),
                "p_answer": p.ravel(),
                "rank": rank.ravel(),
            }
        )

    def best_slots(self, customer_ids: Any, k: int = 3, customers: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each customer's ``k`` likeliest legal slots: customer_id, slot_1, p_1, … (ties: earlier slot first)."""
        ids = np.asarray(customer_ids, dtype=object).astype(str)
        slots = self.legal_slots
        p = self.probabilities(ids, slots, customers=customers)
        top = np.argsort(-p, axis=1, kind="stable")[:, :k]
        out: dict[str, Any] = {"customer_id": pd.array(ids, dtype="str")}
        for i in range(top.shape[1]):
            out[f"slot_{i + 1}"] = slots[top[:, i]]
            out[f"p_{i + 1}"] = np.take_along_axis(p, top[:, i : i + 1], axis=1)[:, 0]
        return pd.DataFrame(out)

    def heatmap(self, *, segment: str | None = None, customer: str | None = None) -> pd.DataFrame:
        """A weekday × hour grid of p(answer) for one segment label (``all`` = global) or one customer."""
        if (segment is None) == (customer is None):
            raise TimingError("give exactly one of a segment or a customer for the heatmap")
        if segment is not None:
            labels = self.segments.labels()
            match = labels.index[labels["segment"] == segment]
            if len(match) == 0:
                known = ", ".join(labels["segment"].head(12))
                raise TimingError(f"the model has no segment {segment!r} (e.g. {known})")
            p = self.profiles[int(match[0])]
        else:
            if self.customer_ids.get_indexer(pd.Index([customer]))[0] < 0:
                raise TimingError(f"the model has no customer {customer!r}")
            p = self.probabilities([customer], np.arange(HOURS_OF_WEEK))[0].astype(float)
        hours = sorted({int(h) for h in self.legal_slots % 24})
        grid = p.reshape(7, 24)[:, hours]
        frame = pd.DataFrame(grid, columns=[f"{h:02d}" for h in hours])
        frame.insert(0, "weekday", np.arange(7))
        return frame

    # --- persistence -------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Parquet tables + JSON state + model card; never pickle (read back with ``load_answer_model``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        slots = self.legal_slots
        labels = self.segments.labels()
        pq.write_table(pa.Table.from_pandas(labels, preserve_index=False), directory / "segments.parquet")
        rows = self.profiles.shape[0]
        profiles = pa.table(
            {
                "row": np.repeat(np.arange(rows), len(slots)),
                "hour_of_week": np.tile(slots, rows),
                "p_answer": self.profiles[:, slots].ravel(),
                "attempts": self.attempts[:, slots].ravel(),
                "answered": self.answered[:, slots].ravel(),
            }
        )
        pq.write_table(profiles, directory / "profiles.parquet", compression="zstd")
        columns: dict[str, Any] = {
            "customer_id": pa.array(self.customer_ids.to_numpy(), pa.string()),
            "row": self.customer_rows,
            "scale": self.customer_scale,
            "attempts": self.customer_attempts,
            "answered": self.customer_answered,
        }
        if self.part_adjust is not None:
            for cell in range(self.part_adjust.shape[1]):
                columns[f"part_{cell}"] = self.part_adjust[:, cell]
        pq.write_table(pa.table(columns), directory / "customers.parquet", compression="zstd")
        state = {"model": KIND, "format": FORMAT, "params": self.params, "fitted": self.fitted, "card": self.card}
        write_json(directory / STATE, state)
        write_json(directory / CARD, self.model_card())
        return directory

    def model_card(self) -> dict[str, Any]:
        """What the model is, what it learnt from and how well it did (when evaluated)."""
        f = self.fitted
        return {
            "model": KIND,
            "callwise_version": callwise.__version__,
            "as_of": self.params["as_of"],
            "data_window": f.get("data_window"),
            "attempts": f.get("attempts"),
            "answer_rate": f.get("answer_rate"),
            "customers": f.get("customers"),
            "customers_with_history": f.get("customers_with_history"),
            "segment_columns": self.params["segment_columns"],
            "segments": f.get("segments"),
            "legal_slots": len(self.legal_slots),
            "prior_strengths": f.get("strengths"),
            "kappa_customer": f.get("kappa_customer"),
            "kappa_daypart": f.get("kappa_daypart"),
            "fit_seconds": f.get("fit_seconds"),
            **self.card,
        }
