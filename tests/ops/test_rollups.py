"""The outcome roll-ups always equal a GROUP BY over call_outcomes: through the API, the import, duplicates and
concurrent writers, and after a rebuild."""

import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from callwise.ops.db import session_factory, transaction
from callwise.ops.models import CallOutcome, Customer, OutcomeRollup
from callwise.ops.outcome_import import import_dialer_outcomes
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.ops.rollups import rebuild_rollups

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
ZONE = "Asia/Shanghai"
# 16:30 UTC is 00:30 the next day in Shanghai: the local day, not the UTC one, is counted.
LATE = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)


def _rollups(factory) -> dict[tuple[str, date, str], tuple[int, float]]:
    with factory() as s:
        rows = s.execute(select(OutcomeRollup)).scalars().all()
        return {(r.campaign_id, r.day, r.disposition): (r.calls, round(r.talk_seconds, 6)) for r in rows}


def _group_by(factory) -> dict[tuple[str, date, str], tuple[int, float]]:
    """The same counts straight from call_outcomes (the local day computed here, independently)."""
    o = CallOutcome
    with factory() as s:
        rows = s.execute(select(o.campaign_id, o.ts, o.disposition, o.duration_s)).all()
    out: dict[tuple[str, date, str], tuple[int, float]] = {}
    for campaign, ts, disposition, duration in rows:
        key = (campaign or "", ts.astimezone(ZoneInfo(ZONE)).date(), disposition)
        calls, talk = out.get(key, (0, 0.0))
        out[key] = (calls + 1, round(talk + (duration or 0.0), 6))
    return out


def _factory_with_customers(engine, ids):
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add_all([Customer(customer_id=c, consent_marketing=True) for c in ids])
    return factory


def _record(factory, outcomes):
    with transaction(factory) as s:
        return record_outcomes(s, outcomes, actor="t", bank_timezone=ZONE)


def test_rollups_count_new_outcomes_by_local_day_and_never_a_duplicate(db_engine):
    factory = _factory_with_customers(db_engine, ["C1", "C2"])
    batch = [
        OutcomeIn("a", "C1", "answered", LATE, campaign_id="K", duration_s=60.0),
        OutcomeIn("b", "C2", "converted", LATE - timedelta(hours=12), campaign_id="K", duration_s=30.5),
        OutcomeIn("c", "C2", "no_answer", LATE, duration_s=None),  # no campaign
        OutcomeIn("a", "C1", "answered", LATE, campaign_id="K", duration_s=60.0),  # repeated in the batch
        OutcomeIn("d", "C9", "answered", LATE, campaign_id="K"),  # unknown customer: rejected, not counted
    ]
    assert [r.status for r in _record(factory, batch)] == ["stored", "stored", "stored", "duplicate", "rejected"]
    _record(factory, [batch[0], OutcomeIn("e", "C1", "answered", LATE, campaign_id="K", duration_s=40.0)])
    expected = {
        ("K", date(2026, 7, 2), "answered"): (2, 100.0),
        ("K", date(2026, 7, 1), "converted"): (1, 30.5),
        ("", date(2026, 7, 2), "no_answer"): (1, 0.0),
    }
    assert _rollups(factory) == expected == _group_by(factory)


def test_the_import_path_keeps_rollups_and_reimporting_adds_nothing(db_engine, tmp_path):
    known = [f"C0001{i:02d}" for i in range(1, 12) if i != 7]
    factory = _factory_with_customers(db_engine, known)
    for name in ("dialer_export.csv", "dialer_mapping.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    files = (tmp_path / "dialer_export.csv", tmp_path / "dialer_mapping.yaml")
    first = import_dialer_outcomes(factory, *files, batch=3, bank_timezone=ZONE)
    assert first.stored == 7
    counted = _rollups(factory)
    assert sum(c for c, _ in counted.values()) == 7 and counted == _group_by(factory)
    again = import_dialer_outcomes(factory, *files, batch=2, bank_timezone=ZONE)
    assert again.stored == 0 and _rollups(factory) == counted


def test_concurrent_writers_lose_no_count(db_engine):
    factory = _factory_with_customers(db_engine, [f"C{i}" for i in range(8)])
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(6):
                outcomes = [
                    OutcomeIn(f"w{worker}-{n}-{i}", f"C{i}", "answered", LATE, campaign_id="K", duration_s=1.0)
                    for i in range(8)
                ]
                _record(factory, outcomes)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _rollups(factory) == {("K", date(2026, 7, 2), "answered"): (4 * 6 * 8, 4 * 6 * 8.0)} == _group_by(factory)


def test_rebuild_recounts_everything_from_the_outcomes(db_engine):
    factory = _factory_with_customers(db_engine, ["C1", "C2"])
    _record(
        factory,
        [
            OutcomeIn("a", "C1", "complaint", LATE, campaign_id="K", duration_s=12.0),
            OutcomeIn("b", "C2", "dnc_requested", LATE - timedelta(days=3), campaign_id="J"),
        ],
    )
    before = _rollups(factory)
    with transaction(factory) as s:
        s.execute(OutcomeRollup.__table__.delete())
    assert _rollups(factory) == {}
    with transaction(factory) as s:
        assert rebuild_rollups(s, ZONE, chunk=1) == 2  # a chunk per outcome: the parts are added up
    assert _rollups(factory) == before == _group_by(factory)
    with transaction(factory) as s:  # in UTC the late call falls on the day before
        rebuild_rollups(s, "UTC")
    assert ("K", date(2026, 7, 1), "complaint") in _rollups(factory)
    with factory() as s:
        assert s.scalar(select(func.sum(OutcomeRollup.calls))) == 2


def test_migration_0005_counts_the_outcomes_stored_before_it(tmp_path, monkeypatch):
    from callwise.ops.db import make_engine
    from callwise.ops.migrate import upgrade

    monkeypatch.setenv("CALLWISE_TIMEZONE", ZONE)
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add(Customer(customer_id="C1", consent_marketing=True))
        s.flush()
        for key, disposition in (("a", "answered"), ("b", "answered"), ("c", "busy")):
            s.execute(
                CallOutcome.__table__.insert().values(
                    idempotency_key=key, customer_id="C1", campaign_id="K", ts=LATE, disposition=disposition,
                    duration_s=10.0, source="api", received_at=LATE,
                )
            )  # fmt: skip
    upgrade(engine)
    assert _rollups(factory) == {
        ("K", date(2026, 7, 2), "answered"): (2, 20.0),
        ("K", date(2026, 7, 2), "busy"): (1, 10.0),
    }
    engine.dispose()
