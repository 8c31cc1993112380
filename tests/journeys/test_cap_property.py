"""Property: across random journeys, customers, prior touches and clocks, no touch a journey queues breaks the
cross-channel cap (in any window of the cap's days) or falls in its channel's quiet hours; and no call falls on a
closed day, within the minimum gap of another call, or over the phone number's daily limit (customers share
numbers at random)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from callwise.journeys.definition import journey_from_json
from callwise.journeys.gate import TableFacts
from callwise.journeys.store import enter, save_journey
from callwise.journeys.worker import JourneyWorker, WorkerConfig
from callwise.ops.db import make_engine, session_factory, transaction
from callwise.ops.migrate import upgrade
from callwise.ops.models import (
    CallOutcome,
    Customer,
    Followup,
    JourneyAction,
    JourneyDefinition,
    JourneyEvent,
    JourneyInstance,
)
from callwise.policy.config import Policy, load_policy
from callwise.policy.rules import WEEKDAYS

CHANNELS = ("call", "sms", "app_push", "wechat", "email", "task")
ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Europe/London")
CAP, DAYS = 3, 7
CLOSED_DATE, CLOSED_WEEKDAYS = date(2026, 11, 5), ("sat", "sun")
PHONE_LIMIT = 2  # two calls a day to one number: the minimum gap binds between them
NUMBERS = (None, b"a" * 32, b"b" * 32)


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> Policy:
    from importlib.resources import files

    text = (files("callwise.policy") / "default.yaml").read_text(encoding="utf-8")
    tight = text.replace("touches: 6\n    days: 30", f"touches: {CAP}\n    days: {DAYS}")
    closed = "dates: []\n    weekdays: []"
    assert tight != text and closed in tight
    tight = tight.replace(closed, f'dates: ["{CLOSED_DATE.isoformat()}"]\n    weekdays: [{", ".join(CLOSED_WEEKDAYS)}]')
    limit = (
        "phone_daily_limit:          # calls per phone number per local day, across customers sharing it\n    max: 1"
    )
    assert limit in tight
    tight = tight.replace(limit, limit[:-1] + str(PHONE_LIMIT))
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(tight, encoding="utf-8")
    return load_policy(path)


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def _journey(index: int, steps: list[tuple[str, int, bool]]) -> dict:
    """Actions in a row, each after an optional wait (minutes), a refusal going on or ending the journey."""
    body: list[dict] = []
    for i, (channel, wait, on) in enumerate(steps):
        after = f"w{i}" if wait else (f"a{i + 1}" if i + 1 < len(steps) else "end")
        action = {"id": f"a{i}", "action": {"channel": channel, "template": "t"}, "next": after}
        if on:
            action["on_refused"] = after
        body.append(action)
        if wait:
            body.append(
                {"id": f"w{i}", "wait": {"for": f"PT{wait}M"}, "next": f"a{i + 1}" if i + 1 < len(steps) else "end"}
            )
    body.append({"id": "end", "exit": "completed"})
    return {
        "id": f"j{index}",
        "name": {"zh": "j", "en": "j"},
        "entry": {"moment": ["salary_arrived"]},
        "steps": body,
        "templates": {"t": {"zh": "【银行】t", "en": "[Bank] t"}},
    }


step = st.tuples(
    st.sampled_from((*CHANNELS, "call", "call")), st.sampled_from([0, 0, 1, 30, 240, 900, 2000]), st.booleans()
)
journeys = st.lists(st.lists(step, min_size=1, max_size=6), min_size=1, max_size=2)
customer = st.tuples(
    st.sampled_from(ZONES),
    st.lists(st.integers(-240, 0), max_size=4),  # calls made, hours before the start
    st.lists(st.integers(-240, 0), max_size=4),  # lake contacts of any channel, hours before
    st.lists(st.integers(0, 240), max_size=2),  # touches another campaign queued for later, hours after
    st.sampled_from(range(len(NUMBERS))),  # the phone number (customers with the same one share it)
    st.booleans(),  # whether the lake's contacts are calls
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plans=journeys,
    customers=st.lists(customer, min_size=1, max_size=4),
    start_minute=st.integers(0, 14 * 24 * 60),
    steps=st.lists(st.integers(5, 20 * 60), min_size=5, max_size=25),
)
def test_no_queued_touch_breaks_the_cap_quiet_hours_closed_days_gap_or_phone_limit(
    factory, policy, plans, customers, start_minute, steps
):
    _clear(factory)
    start = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(minutes=start_minute)
    ids = [f"c{i}" for i in range(len(customers))]
    touches: dict[str, list[datetime]] = {c: [] for c in ids}
    calls_on_record: dict[str, list[datetime]] = {c: [] for c in ids}
    lake: dict[str, list[datetime]] = {}
    lake_calls: dict[str, list[tuple[datetime, str | None]]] = {}
    with transaction(factory) as session:
        for c, (zone, calls, contacts, later, number, lake_called) in zip(ids, customers, strict=True):
            session.add(Customer(customer_id=c, timezone=zone, consent_marketing=True, phone_lookup=NUMBERS[number]))
            session.flush()
            for k, hours in enumerate(calls):
                ts = start + timedelta(hours=hours)
                session.add(CallOutcome(idempotency_key=f"{c}-{k}", customer_id=c, ts=ts, disposition="no_answer"))
                touches[c].append(ts)
                calls_on_record[c].append(ts)
            for hours in contacts:
                ts = start + timedelta(hours=hours)
                local = ts.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
                lake.setdefault(c, []).append(local)
                touches[c].append(ts)
                if lake_called:
                    lake_calls.setdefault(c, []).append((local, None))
                    calls_on_record[c].append(ts)
            for k, hours in enumerate(later):
                ts = start + timedelta(hours=hours)
                session.add(
                    Followup(
                        dedupe_key=f"other-{c}-{k}",
                        customer_id=c,
                        channel="sms",
                        template="x",
                        payload={},
                        due_at=ts,
                        next_attempt_at=ts,
                    )
                )
                touches[c].append(ts)
    for index, plan in enumerate(plans):
        save_journey(factory, journey_from_json(_journey(index, plan)), "test")
        enter(factory, f"j{index}", ids, start)
    facts = TableFacts(bars={(c, ch): None for c in ids for ch in CHANNELS}, touches=lake, calls=lake_calls)
    clock = [start]
    worker = JourneyWorker(factory, policy, {}, facts=facts, config=WorkerConfig(), clock=lambda: clock[0])
    for minutes in steps:
        worker.run_once()
        clock[0] += timedelta(minutes=minutes)
    worker.run_once()

    with factory() as session:
        new = session.execute(
            select(JourneyAction.customer_id, JourneyAction.channel, JourneyAction.created_at).where(
                JourneyAction.status != "refused", JourneyAction.channel != "task"
            )
        ).all()
        zones = dict(session.execute(select(Customer.customer_id, Customer.timezone)).all())
        numbers = dict(session.execute(select(Customer.customer_id, Customer.phone_lookup)).all())
    _calls_keep_the_call_rules(policy, new, calls_on_record, zones, numbers)
    span = timedelta(days=DAYS)
    for c, _, at in new:
        touches[c].append(at)
    for c, channel, at in new:
        local = at.astimezone(ZoneInfo(zones[c])).replace(tzinfo=None)
        minute = local.hour * 60 + local.minute
        if channel == "call":
            assert not policy.rules.quiet_hours.quiet_minutes()[minute], (c, channel, local)
        else:
            window = policy.channels.channel(channel).quiet_hours
            assert window is None or not window.quiet_at(minute), (c, channel, local)
        # Every window of DAYS days that holds this new touch holds at most CAP touches of any kind.
        for left in [t for t in touches[c] if at - span < t <= at]:
            inside = [t for t in touches[c] if left <= t < left + span]
            assert len(inside) <= CAP, (c, channel, at, sorted(inside))


def _clear(factory) -> None:
    with transaction(factory) as session:
        for model in (JourneyEvent, JourneyAction, JourneyInstance, JourneyDefinition, Followup, CallOutcome, Customer):
            session.execute(delete(model))


def _calls_keep_the_call_rules(policy, new, calls_on_record, zones, numbers) -> None:
    """No new call on a closed local day, within the minimum gap of another call of the customer, or over the
    number's calls per local day (on the calendar of the number's first customer, as the policy counts it)."""
    gap = timedelta(hours=policy.rules.min_gap.hours)
    limit = policy.rules.phone_daily_limit.max
    calls = {c: list(times) for c, times in calls_on_record.items()}
    fresh = [(c, at) for c, channel, at in new if channel == "call"]
    for c, at in fresh:
        calls[c].append(at)
    sharing = {c: sorted(o for o in zones if numbers[c] is not None and numbers[o] == numbers[c]) or [c] for c in zones}
    for c, at in fresh:
        day = at.astimezone(ZoneInfo(zones[c])).date()
        assert day != CLOSED_DATE and WEEKDAYS[day.weekday()] not in CLOSED_WEEKDAYS, (c, at)
        others = list(calls[c])
        others.remove(at)
        assert all(abs(at - t) >= gap for t in others), (c, at, sorted(others))
        calendar = ZoneInfo(zones[sharing[c][0]])
        same_day = [
            t for o in sharing[c] for t in calls[o] if t.astimezone(calendar).date() == at.astimezone(calendar).date()
        ]
        assert len(same_day) <= limit, (c, at, sorted(same_day))
