"""Best-time grids from the trained answer model and, before it is trained, from the raw call history."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import select

from callwise.board import best_time as bt
from callwise.ops.db import session_factory
from callwise.ops.models import AuditEntry
from callwise.timing import fit_from_lake

ON = date(2026, 7, 1)
# Written out rather than imported, so the page's notion of an answer is checked, not restated.
ANSWERED = ["answered", "refused", "callback_requested", "interested", "converted", "dnc_requested", "complaint"]


@pytest.fixture(scope="module")
def models_dir(small_bank, tmp_path_factory):
    root = tmp_path_factory.mktemp("service-models")
    fit_from_lake(small_bank["lake"], datetime(2026, 7, 1)).save(root / bt.MODEL_DIR)
    return root


def _a_customer(lake, opted: bool) -> str:
    people = lake.table("customers")
    found = people.filter(people.profiling_opt_out == opted).order_by("customer_id").limit(1).to_pandas()
    return str(found["customer_id"].iloc[0])


def test_no_model_until_one_is_trained(tmp_path, models_dir):
    assert bt.find_model(None) is None and bt.find_model(tmp_path) is None
    (tmp_path / bt.MODEL_DIR).mkdir()
    (tmp_path / bt.MODEL_DIR / "answer_model.json").write_text("{not json", encoding="utf-8")
    assert bt.find_model(tmp_path) is None  # a broken file is "not trained", not a crash
    assert bt.find_model(models_dir) is bt.find_model(models_dir)  # read once per saved version


def test_the_model_gives_a_grid_per_segment_inside_calling_hours(models_dir):
    model = bt.find_model(models_dir)
    segments = bt.model_segments(model)
    assert segments[0] == "all" and len(segments) > 5
    grid = bt.model_segment(model, segments[-1])
    assert grid.source == "model" and grid.hours == list(range(9, 21)) and grid.has_data
    values = np.array(grid.p, dtype=float)
    assert values.shape == (7, 12) and (values > 0).all() and (values < 1).all()
    best = grid.best(3)
    assert len(best) == 3 and best[0]["p_answer"] == values.max()
    assert len(grid.rows()) == 84 and {"weekday", "hour", "p_answer", "attempts", "answered"} <= set(grid.rows()[0])
    assert bt.model_segment(model, "no such segment") is None


def test_a_customer_gets_their_own_grid_and_an_opted_out_one_the_bank_wide(small_bank, models_dir):
    lake, model = small_bank["lake"], bt.find_model(models_dir)
    own = bt.model_customer(model, lake, _a_customer(lake, False), opted_out=False)
    overall = bt.model_segment(model, "all")
    assert own.has_data and own.p != overall.p and not own.opted_out
    who = _a_customer(lake, True)
    assert bt.person(lake, who) == bt.Person(True, True)
    hidden = bt.model_customer(model, lake, who, opted_out=True)
    assert hidden.opted_out and np.allclose(np.array(hidden.p, float), np.array(overall.p, float), atol=1e-6)


def test_the_history_counts_answered_over_dialled_by_hour_of_week(small_bank):
    lake = small_bank["lake"]
    grid = bt.history_grid(lake, bt.ALL, ON)
    assert grid.source == "history" and grid.has_data
    contacts = lake.table("contacts").to_pandas()
    calls = contacts[(contacts["channel"] == "call") & (contacts["disposition"] != "wrong_number")]
    ts = calls["ts"].astype("datetime64[ns]")
    tuesday_ten = calls[(ts.dt.day_of_week == 1) & (ts.dt.hour == 10)]
    answered = tuesday_ten["disposition"].isin(ANSWERED)
    i = grid.hours.index(10)
    assert grid.attempts[1][i] == len(tuesday_ten) > 0 and grid.answered[1][i] == int(answered.sum())
    assert grid.p[1][i] == pytest.approx(answered.mean(), abs=1e-6)


def test_history_segments_and_a_customer(small_bank):
    lake = small_bank["lake"]
    options = bt.history_segments(lake, ON)
    assert options[0] == "all" and any(o.startswith("occupation=") for o in options)
    assert any(o.startswith("age_band=") for o in options) and any(o.startswith("province=") for o in options)
    by_segment = [bt.history_grid(lake, o, ON) for o in options[1:3]]
    total = bt.history_grid(lake, bt.ALL, ON)
    assert all(g.has_data for g in by_segment)
    assert all(np.sum(g.attempts) < np.sum(total.attempts) for g in by_segment)
    assert bt.history_grid(lake, "phone=13800138000", ON) is None and bt.history_grid(lake, "nonsense", ON) is None
    someone = _a_customer(lake, False)
    mine = bt.history_customer(lake, someone)
    assert 0 < np.sum(mine.attempts) < 60
    assert bt.person(lake, "C-no-such") == bt.Person(False)


def test_a_customers_grid_is_audited_without_pii(db_engine):
    factory = session_factory(db_engine)
    bt.record_view(factory, "agent1", "C00000042", "model", "10.1.1.1")
    with factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.best_time")).one()
    assert entry.actor == "agent1" and entry.target == "customer:C00000042" and entry.detail == {"source": "model"}
