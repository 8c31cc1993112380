"""The overview's figures equal what was put in, computed by hand and by the scalar Newcombe reference."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from callwise.board.filters import Filters
from callwise.board.overview import overview
from callwise.experiments.analysis import lift_with_ci
from callwise.ops.db import session_factory, transaction
from callwise.ops.models import Conversion, IssuedList, ListMember
from tests.board.overview_seed import ASSIGNED, LOCAL, TODAY, ZONE, cid, seed


@pytest.fixture
def factory(db_engine):
    factory = session_factory(db_engine)
    seed(factory)
    return factory


def _view(factory, filters: Filters | None = None, **kw):
    with factory() as s:
        return overview(s, filters or Filters(), TODAY, ZONE, **kw)


def _kpi(view, name):
    return next(k for k in view.kpis if k.name == name)


def test_volumes_rates_and_the_previous_period(factory):
    view = _view(factory)
    assert (view.start, view.end, view.previous_start) == (date(2026, 7, 4), TODAY, date(2026, 6, 27))
    dials = _kpi(view, "dials")
    assert (dials.value, dials.previous) == (52, 10)
    assert dials.trend == [1, 40, 0, 0, 11, 0, 0]  # 07-04 is the 16:30 UTC call; 07-11's is out
    assert _kpi(view, "connect_rate").value == pytest.approx(33 / 52)
    assert _kpi(view, "connect_rate").previous == 0
    assert _kpi(view, "conversion_per_connect").value == pytest.approx(11 / 33)
    assert _kpi(view, "complaints_per_1k").value == pytest.approx(1000 / 52)
    assert _kpi(view, "dnc_per_1k").value == pytest.approx(1000 / 52)
    assert view.has_outcomes


def test_incremental_matches_newcombe_per_campaign_and_combines_them(factory):
    view = _view(factory)
    rows = {r["campaign_id"]: r for r in view.campaigns}
    ref = {"K1": lift_with_ci(10, 40, 2, 20), "K2": lift_with_ci(1, 30, 1, 10)}
    n_t = {"K1": 40, "K2": 30}
    for campaign, r in ref.items():
        row = rows[campaign]
        assert row["incremental"] == pytest.approx(n_t[campaign] * r["lift_absolute"])
        assert row["incremental_low"] == pytest.approx(n_t[campaign] * r["ci_low"])
        assert row["incremental_high"] == pytest.approx(n_t[campaign] * r["ci_high"])
    inc = _kpi(view, "incremental")
    assert inc.value == pytest.approx(6 - 2)
    low_sq = sum((n_t[c] * (r["lift_absolute"] - r["ci_low"])) ** 2 for c, r in ref.items())
    assert inc.low == pytest.approx(4 - math.sqrt(low_sq))
    assert inc.trend == pytest.approx([0, 10, -4, 0, 1, -3, 0])
    assert inc.previous == 0  # nobody converted in the previous period
    # ROI: K1 only (K2 has no value per conversion): (6 × 800 − 40 dials × 5) / 200
    assert rows["K1"]["roi"] == pytest.approx((6 * 800 - 200) / 200)
    assert rows["K2"]["roi"] is None
    assert _kpi(view, "roi").value == pytest.approx(23)
    assert rows["K1"]["status"] == "running" and rows["K1"]["dials"] == 40
    assert rows["K1"]["complaints_per_1k"] == pytest.approx(25)
    assert [r["campaign_id"] for r in view.campaigns] == ["K1", "K2"]


def test_product_values_from_the_lake_override_the_spec(factory):
    view = _view(factory, product_values={"P1": 100.0, "P2": 50.0})
    rows = {r["campaign_id"]: r for r in view.campaigns}
    assert rows["K1"]["roi"] == pytest.approx((6 * 100 - 200) / 200)
    assert rows["K2"]["roi"] == pytest.approx((-2 * 50 - 24) / 24)


def test_filters_narrow_every_figure(factory):
    k2 = _view(factory, Filters(campaign="K2"))
    assert _kpi(k2, "dials").value == 12 and [r["campaign_id"] for r in k2.campaigns] == ["K2"]
    assert _kpi(k2, "incremental").value == pytest.approx(-2)
    p1 = _view(factory, Filters(product="P1"))
    assert _kpi(p1, "dials").value == 40 and _kpi(p1, "dials").previous == 10
    team = _view(factory, Filters(team="B"), team_agents=["A2"])
    assert _kpi(team, "dials").value == 1 and _kpi(team, "conversion_per_connect").value == 1
    assert _kpi(team, "incremental").value is None and _kpi(team, "incremental").note == "by_team"
    assert _kpi(team, "dials").trend == [0, 0, 0, 0, 1, 0, 0]
    late = _view(factory, Filters(team="A"), team_agents=["A1"])
    assert _kpi(late, "dials").value == 51  # the 07-04 (local) call counted by its local day here too
    assert _kpi(late, "dials").trend[0] == 1
    days = _view(factory, Filters(date_from=date(2026, 7, 8), date_to=date(2026, 7, 9)))
    assert _kpi(days, "dials").value == 11 and len(days.days) == 2
    assert _kpi(days, "incremental").value == pytest.approx(1 - 3)


def test_new_sales_and_a_new_list_show_up_at_once(factory):
    _view(factory)  # counts the members (cached until an issued list changes them)
    with transaction(factory) as s:
        s.add(Conversion(customer_id=cid(50), product_id="P1", ts=datetime(2026, 7, 7, 9, tzinfo=LOCAL)))
    rows = {r["campaign_id"]: r for r in _view(factory).campaigns}
    assert rows["K1"]["incremental"] == pytest.approx(40 * (10 / 40 - 3 / 20))
    with transaction(factory) as s:  # a second list of K1 adds ten control members
        issued = IssuedList(campaign_id="K1", issued_by="t", policy_sha256="0" * 64, summary={})
        s.add(issued)
        s.flush()
        s.add_all(
            ListMember(
                list_id=issued.list_id,
                campaign_id="K1",
                customer_id=cid(i),
                group="control",
                product_id="P1",
                assigned_at=ASSIGNED,
            )
            for i in range(90, 100)
        )
    rows = {r["campaign_id"]: r for r in _view(factory).campaigns}
    assert rows["K1"]["incremental"] == pytest.approx(40 * (10 / 40 - 3 / 30))


def test_an_empty_database_says_so(db_engine):
    view = _view(session_factory(db_engine))
    assert not view.has_outcomes and view.campaigns == []
    assert _kpi(view, "dials").value == 0 and _kpi(view, "connect_rate").value is None
    assert _kpi(view, "incremental").value is None
    assert len(view.days) == 7 and view.days[-1] - view.days[0] == timedelta(days=6)
