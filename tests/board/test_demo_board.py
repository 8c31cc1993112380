"""The demo board's seeding: campaigns, lists, a fortnight of outcomes from the synthetic truth, and one user per
role, on a fresh SQLite file and on PostgreSQL; the same seed gives the same rows; no password reaches a log."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import func, select

from callwise.demo_board import SCHEDULE, USERS, seed_board, seed_data
from callwise.ops.db import make_engine, session_factory
from callwise.ops.migrate import upgrade
from callwise.ops.models import (
    CallOutcome,
    Campaign,
    Conversion,
    Followup,
    ListItem,
    ListMember,
    PolicyEvent,
    User,
)
from callwise.ops.users import login, roles_of

TODAY = date(2026, 11, 30)  # a fixed day (in the past, so no simulated call lies in the future)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def model(small_bank):
    from callwise.pipeline import train_from_lake

    fitted, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=7)
    return fitted


def _outcomes(engine) -> pd.DataFrame:
    columns = ["campaign_id", "customer_id", "disposition", "ts", "agent_id", "duration_s", "item_id"]
    with session_factory(engine)() as session:
        rows = session.execute(select(*(getattr(CallOutcome, c) for c in columns)).order_by(CallOutcome.ts)).all()
    frame = pd.DataFrame(rows, columns=columns)
    ts = pd.to_datetime(frame["ts"])
    frame["ts"] = ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC")
    frame["local"] = frame["ts"].dt.tz_convert(ZONE)
    return frame


def test_seed_board_gives_every_page_data_and_every_role_a_login(db_engine, small_bank, model, caplog):
    started = time.perf_counter()
    with caplog.at_level(logging.DEBUG):
        seed = seed_board(db_engine, small_bank["lake"], small_bank["bank"], seed=7, today=TODAY, model=model)
    seconds = time.perf_counter() - started
    assert seconds < 60, f"seeding took {seconds:.1f} s"

    # One user per role, each logging in with the password returned; the passwords differ and reach no log.
    assert sorted(u.role for u in seed.users) == sorted(USERS)
    passwords = [u.password for u in seed.users]
    assert len(set(passwords)) == len(passwords)
    for password in passwords:
        assert password not in caplog.text and password not in repr(seed)
    factory = session_factory(db_engine)
    with factory() as session:
        for user in seed.users:
            assert login(session, user.username, user.password, "127.0.0.1").status == "ok"
            assert login(session, user.username, user.password + "x", "127.0.0.1").status == "failed"
            row = session.scalars(select(User).where(User.username == user.username)).one()
            assert user.role in roles_of(session, row.user_id)
        session.commit()
        supervisor = session.scalars(select(User).where(User.username == USERS["supervisor"])).one()
        agent = session.scalars(select(User).where(User.username == USERS["agent"])).one()
    teams = pd.read_parquet(small_bank["bank"] / "agents.parquet").set_index("agent_id")["team"]
    assert supervisor.teams is not None and len(supervisor.teams.split()) == 2
    assert set(supervisor.teams.split()) <= set(teams) and agent.agent_id in teams.index
    assert seed.user("supervisor").teams == tuple(supervisor.teams.split())

    # Outcomes for several campaigns, over days in the board's default period and the one before it, by several
    # agents of several teams, at legal hours on the bank's clock, each tied to its campaign (and mostly its item).
    calls = _outcomes(db_engine)
    assert calls["campaign_id"].nunique() == len(SCHEDULE) == len(seed.campaign_ids)
    assert calls.groupby("campaign_id").size().min() > 100
    days = calls["local"].dt.date
    assert days.nunique() >= 8 and days.max() < TODAY
    assert (days >= TODAY - timedelta(days=6)).any() and (days < TODAY - timedelta(days=6)).any()
    assert calls["local"].dt.hour.between(9, 20).all()
    assert calls["agent_id"].nunique() >= 5 and teams.reindex(calls["agent_id"].unique()).nunique() >= 3
    assert calls["item_id"].notna().mean() > 0.9
    assert (calls["duration_s"] >= 0).all()
    assert {"no_answer", "answered", "refused", "interested", "converted"} <= set(calls["disposition"])

    with factory() as session:
        # Conversions on calls (from record_outcomes) and without (the sales feed), treatment and control members.
        on_call = session.scalar(select(func.count()).select_from(Conversion).where(Conversion.outcome_id.is_not(None)))
        assert on_call == (calls["disposition"] == "converted").sum() > 0
        groups = dict(session.execute(select(ListMember.group, func.count()).group_by(ListMember.group)).all())
        assert groups["control"] > 50 and groups["treatment"] > 5 * groups["control"]
        # What the outcome path does besides the row: policy events, follow-ups, item states, campaign states.
        kinds = set(session.scalars(select(PolicyEvent.kind)))
        assert "refusal" in kinds
        assert session.scalar(select(func.count()).select_from(Followup)) > 0
        assert session.scalar(select(func.count()).select_from(ListItem).where(ListItem.status == "dialled")) > 0
        states = set(session.scalars(select(Campaign.status)))
        assert states == {"running"}
        example = select(func.count()).select_from(CallOutcome).where(CallOutcome.customer_id == seed.customer_id)
        assert session.scalar(example) >= 1

    # A second seeding refuses, and adds nothing.
    with pytest.raises(ValueError, match="holds the demo board already"):
        seed_board(db_engine, small_bank["lake"], small_bank["bank"], seed=7, today=TODAY, model=model)
    assert len(_outcomes(db_engine)) == len(calls)
    print(f"seed_board on the 4,000-customer bank: {seconds:.1f} s, {len(calls)} outcomes")


def test_the_same_seed_and_day_give_the_same_board(small_bank, model, tmp_path):
    def seeded(name: str, seed: int) -> pd.DataFrame:
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade(engine)
        try:
            seed_data(session_factory(engine), small_bank["lake"], small_bank["bank"], seed, today=TODAY, model=model)
            return _outcomes(engine)
        finally:
            engine.dispose()

    first, again = seeded("a.db", 7), seeded("b.db", 7)
    pd.testing.assert_frame_equal(first, again)
    other = seeded("c.db", 8)
    assert not first[["customer_id", "ts"]].equals(other[["customer_id", "ts"]])


def test_seed_uplift_gives_the_uplift_page_a_model_and_a_list_ranked_by_it(small_bank, tmp_path):
    from callwise.board.uplift import negative_uplift_lists, uplift_card
    from callwise.demo_board import seed_uplift
    from callwise.ops.db import make_engine, session_factory
    from callwise.ops.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'board.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    model_id, list_id = seed_uplift(factory, small_bank["lake"], tmp_path / "uplift", seed=7)
    with factory() as session:
        card = uplift_card(session)
        (issued,) = negative_uplift_lists(session)
    assert card is not None and card.model_id == model_id and card.active and card.evaluated
    assert set(card.cv_qini) == {"t", "s", "x", "dr"} and card.treated > card.control > 0
    assert issued["list_id"] == list_id and issued["eligible"] > 0 and issued["listed"] > 0
    engine.dispose()


def test_seed_tags_builds_the_shipped_catalogue_twice_for_the_tag_pages(small_bank, tmp_path):
    import shutil

    from callwise.demo_board import seed_tags, tags_cutoff
    from callwise.lake import Lake
    from callwise.tags.quality import latest_quality

    shutil.copytree(small_bank["root"] / "lake", tmp_path / "lake")
    lake = Lake(tmp_path / "lake", threads=1)
    cutoff = tags_cutoff(lake, date(2030, 1, 1))
    newest = lake.table("transactions").ts.max().to_pyarrow().as_py()
    assert cutoff.date() == newest.date() + timedelta(days=1)
    assert tags_cutoff(lake, date(2026, 1, 5)) == datetime(2026, 1, 5)  # never after today
    assert seed_tags(lake, date(2030, 1, 1)) and lake.has("tags")
    assert not seed_tags(lake, date(2030, 1, 1))  # a lake with tags keeps them
    quality = latest_quality(lake)
    assert quality is not None and quality["cutoff"] == cutoff.isoformat()
    assert all(entry["change"] is not None for entry in quality["tags"])  # a change since the build before
