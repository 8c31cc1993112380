"""Outcomes are stored exactly once and change the policy state and issued lists in the same transaction."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from callwise.ops.db import session_factory, transaction
from callwise.ops.models import (
    CallOutcome,
    Campaign,
    Conversion,
    Customer,
    Followup,
    IssuedList,
    ListItem,
    PolicyEvent,
)
from callwise.ops.outcomes import OutcomeIn, record_outcomes

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def _seed(engine) -> dict[str, list[int]]:
    """Three customers, one issued list with two attempts each; returns item ids per customer."""
    factory = session_factory(engine)
    with transaction(factory) as s:
        for cid in ("C1", "C2", "C3"):
            s.add(Customer(customer_id=cid, consent_marketing=True))
        s.add(Campaign(campaign_id="K", name="k", product_id="P_WM01", spec={}, created_by="t"))
        s.flush()
        lst = IssuedList(campaign_id="K", issued_by="t", policy_sha256="0" * 64, summary={})
        s.add(lst)
        s.flush()
        items = {}
        for cid in ("C1", "C2", "C3"):
            rows = [
                ListItem(
                    list_id=lst.list_id,
                    customer_id=cid,
                    product_id="P_WM01",
                    slot_start=T0 + timedelta(days=d),
                    attempt=d + 1,
                    phone_masked="138****0000",
                )
                for d in range(2)
            ]
            s.add_all(rows)
            s.flush()
            items[cid] = [r.item_id for r in rows]
    return items


def _record(engine, outcomes, **kw):
    with transaction(session_factory(engine)) as s:
        return record_outcomes(s, outcomes, actor="dialer", **kw)


def _o(key, cid, disposition, item=None, minutes=0, **kw) -> OutcomeIn:
    return OutcomeIn(key, cid, disposition, T0 + timedelta(minutes=minutes), campaign_id="K", item_id=item, **kw)


def test_each_key_is_stored_once_even_when_retried_or_repeated_in_a_batch(db_engine):
    items = _seed(db_engine)
    first = _record(db_engine, [_o("k1", "C1", "no_answer", items["C1"][0]), _o("k1", "C1", "no_answer")])
    assert [r.status for r in first] == ["stored", "duplicate"]
    assert first[0].outcome_id == first[1].outcome_id is not None
    again = _record(db_engine, [_o("k1", "C1", "no_answer"), _o("k2", "C2", "busy")])
    assert [r.status for r in again] == ["duplicate", "stored"]
    assert again[0].outcome_id == first[0].outcome_id
    with session_factory(db_engine)() as s:
        assert s.scalar(select(func.count()).select_from(CallOutcome)) == 2


def test_bad_items_are_rejected_one_by_one_and_the_good_ones_stored(db_engine):
    _seed(db_engine)
    naive = OutcomeIn("k3", "C1", "refused", datetime(2026, 7, 1, 10))
    future = OutcomeIn("k4", "C1", "refused", datetime.now(UTC) + timedelta(days=1))
    batch = [
        _o("k1", "C1", "answered"),
        _o("k2", "NOPE", "answered"),
        naive,
        future,
        _o("k5", "C2", "hung_up"),
        _o("", "C2", "answered"),
        _o("k6", "NOPE", "answered"),
        _o("k6", "NOPE", "answered"),
    ]
    results = _record(db_engine, batch)
    assert [(r.status, r.code) for r in results] == [
        ("stored", None),
        ("rejected", "unknown_customer"),
        ("rejected", "naive_time"),
        ("rejected", "future_time"),
        ("rejected", "unknown_disposition"),
        ("rejected", "bad_idempotency_key"),
        ("rejected", "unknown_customer"),
        ("rejected", "unknown_customer"),
    ]
    assert "hung_up" in results[4].message and "dnc_requested" in results[4].message
    with session_factory(db_engine)() as s:
        assert s.scalars(select(CallOutcome.idempotency_key)).all() == ["k1"]


def test_dnc_request_blocks_the_customer_and_withdraws_their_waiting_calls(db_engine):
    items = _seed(db_engine)
    _record(db_engine, [_o("k1", "C1", "dnc_requested", items["C1"][0], minutes=5)])
    with session_factory(db_engine)() as s:
        c1 = s.get(Customer, "C1")
        assert c1.dnc and c1.dnc_at == T0 + timedelta(minutes=5)
        status = dict(s.execute(select(ListItem.item_id, ListItem.status)).all())
        reasons = dict(s.execute(select(ListItem.item_id, ListItem.status_reason)).all())
        assert status[items["C1"][0]] == "dialled"
        assert status[items["C1"][1]] == "withdrawn" and reasons[items["C1"][1]] == "dnc_requested"
        assert {status[i] for i in items["C2"] + items["C3"]} == {"pending"}
        events = s.execute(select(PolicyEvent.customer_id, PolicyEvent.kind, PolicyEvent.source)).all()
        assert [tuple(e) for e in events] == [("C1", "dnc", "outcome")]


def test_refusal_keeps_the_latest_time_and_conversion_is_recorded(db_engine):
    items = _seed(db_engine)
    _record(db_engine, [_o("k1", "C1", "refused", minutes=60), _o("k2", "C1", "refused", minutes=10)])
    _record(db_engine, [_o("k3", "C2", "converted", items["C2"][0], product_id="P_WM01")])
    _record(db_engine, [_o("k4", "C3", "no_answer", items["C3"][0])])
    with session_factory(db_engine)() as s:
        assert s.get(Customer, "C1").refused_at == T0 + timedelta(minutes=60)
        conversions = s.execute(select(Conversion.customer_id, Conversion.product_id)).all()
        assert [tuple(c) for c in conversions] == [("C2", "P_WM01")]
        status = dict(s.execute(select(ListItem.item_id, ListItem.status_reason)).all())
        assert status[items["C2"][1]] == "converted"  # no second attempt after a sale
        pending = s.scalars(select(ListItem.item_id).where(ListItem.status == "pending")).all()
        assert set(pending) == {*items["C1"], items["C3"][1]}  # a no-answer keeps the re-attempt


def test_followups_are_planned_for_new_outcomes_only_and_never_twice(db_engine):
    _seed(db_engine)
    seen = []

    def planner(session, stored):
        seen.extend(s.outcome.idempotency_key for s in stored)
        return [
            {
                "dedupe_key": f"{s.outcome.customer_id}:thanks",
                "outcome_id": s.outcome_id,
                "customer_id": s.outcome.customer_id,
                "channel": "sms",
                "template": "thanks",
                "payload": {},
                "due_at": T0 + timedelta(hours=1),
            }
            for s in stored
        ]

    _record(db_engine, [_o("k1", "C1", "converted"), _o("k2", "C2", "interested")], plan_followups=planner)
    _record(db_engine, [_o("k1", "C1", "converted"), _o("k3", "C1", "converted")], plan_followups=planner)
    assert seen == ["k1", "k2", "k3"]
    with session_factory(db_engine)() as s:
        rows = s.execute(select(Followup.dedupe_key, Followup.status, Followup.next_attempt_at)).all()
    assert sorted(r[0] for r in rows) == ["C1:thanks", "C2:thanks"]
    assert {r[1] for r in rows} == {"pending"} and {r[2] for r in rows} == {T0 + timedelta(hours=1)}
