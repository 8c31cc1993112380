"""Follow-ups: planned with the outcome that caused them, delivered once, retried with back-off, dead-lettered."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callwise.loop import DeliveryResult, DeliveryStatus, FileSender, load_followup_rules
from callwise.ops.db import session_factory, transaction
from callwise.ops.followups import deliver_due, outcome_planner
from callwise.ops.models import Customer, Followup, ListItem
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.policy import default_policy

PRODUCTS = {"P_WM01": {"category": "wealth", "name": "季季盈", "link": "https://bank.example/wm01"}}
CALL = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def factory(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Customer(customer_id="C1", consent_marketing=True, timezone="Asia/Shanghai"))
        s.add(Customer(customer_id="C2", consent_marketing=False, timezone="Asia/Urumqi"))
    return factory


def _record(factory, *outcomes):
    clock = lambda: CALL + timedelta(minutes=1)  # noqa: E731 - the outcomes arrive a minute after the call
    planner = outcome_planner(load_followup_rules(), default_policy(), PRODUCTS, "Asia/Shanghai", "示例银行", clock)
    with transaction(factory) as s:
        return record_outcomes(s, list(outcomes), "dialer", plan_followups=planner)


def _outbox(factory) -> list[Followup]:
    with factory() as s:
        return list(s.scalars(select(Followup).order_by(Followup.due_at, Followup.channel)))


def test_interest_plans_an_sms_next_morning_and_a_callback_and_a_retry_plans_nothing_more(factory):
    o = OutcomeIn("k1", "C1", "interested", CALL, campaign_id="K", product_id="P_WM01")
    _record(factory, o)
    _record(factory, o)
    rows = _outbox(factory)
    assert [(r.channel, r.template) for r in rows] == [("sms", "product_link_risk"), ("call", "callback_interested")]
    sms = rows[0]
    assert sms.due_at == datetime(2026, 7, 2, 1, 30, tzinfo=UTC)  # 09:30 the next morning, Beijing time
    assert "示例银行" in sms.payload["text"]["zh"] and "https://bank.example/wm01" in sms.payload["text"]["en"]
    assert rows[1].due_at == CALL + timedelta(days=3)


def test_no_marketing_follow_up_without_consent_and_none_after_a_refusal(factory):
    _record(
        factory,
        OutcomeIn("k1", "C2", "interested", CALL, product_id="P_WM01"),
        OutcomeIn("k2", "C1", "refused", CALL),
    )
    assert _outbox(factory) == []


def test_delivery_sends_each_message_once(factory, tmp_path):
    _record(factory, OutcomeIn("k1", "C1", "converted", CALL, product_id="P_WM01"))
    senders = {"sms": FileSender(tmp_path / "out")}
    early = deliver_due(factory, senders, now=CALL)
    assert early.claimed == 0  # a thank-you is due a quarter of an hour later
    later = CALL + timedelta(hours=1)
    first = deliver_due(factory, senders, now=later)
    again = deliver_due(factory, senders, now=later + timedelta(hours=1))
    assert (first.sent, again.claimed) == (1, 0)
    lines = [p.read_text(encoding="utf-8").splitlines() for p in (tmp_path / "out").glob("sms-*.jsonl")]
    assert sum(len(x) for x in lines) == 1
    assert _outbox(factory)[0].status == "sent"


class Flaky:
    """A sender that fails ``failures`` times with a retryable error, then delivers."""

    def __init__(self, failures: int, status=DeliveryStatus.RETRYABLE):
        self.failures, self.status, self.sent = failures, status, []

    def send(self, message):
        if self.failures:
            self.failures -= 1
            return DeliveryResult(self.status, "gateway busy")
        self.sent.append(message.dedupe_key)
        return DeliveryResult(DeliveryStatus.OK)


def test_a_failed_delivery_is_retried_later_and_a_permanent_failure_dead_lettered(factory):
    _record(factory, OutcomeIn("k1", "C1", "converted", CALL, product_id="P_WM01"))
    flaky = Flaky(1)
    now = CALL + timedelta(hours=1)
    assert deliver_due(factory, {"sms": flaky}, now=now).retried == 1
    row = _outbox(factory)[0]
    assert (
        row.status == "pending" and row.attempts == 1 and row.next_attempt_at > now and row.last_error == "gateway busy"
    )
    assert deliver_due(factory, {"sms": flaky}, now=row.next_attempt_at + timedelta(seconds=1)).sent == 1
    assert flaky.sent == [row.dedupe_key]

    _record(factory, OutcomeIn("k2", "C1", "converted", CALL + timedelta(minutes=1), product_id="P_WM01"))
    refused = Flaky(1, DeliveryStatus.PERMANENT)
    assert deliver_due(factory, {"sms": refused}, now=now + timedelta(days=1)).dead == 1
    assert {r.status for r in _outbox(factory)} == {"sent", "dead"}


def test_a_message_whose_deliverer_died_is_taken_again_after_its_lease(factory):
    _record(factory, OutcomeIn("k1", "C1", "converted", CALL, product_id="P_WM01"))
    now = CALL + timedelta(hours=1)
    with transaction(factory) as s:  # a deliverer claimed it and died before writing the result
        row = s.scalars(select(Followup)).one()
        row.status, row.lease_until = "sending", now + timedelta(minutes=5)
    flaky = Flaky(0)
    assert deliver_due(factory, {"sms": flaky}, now=now).claimed == 0  # still leased
    assert deliver_due(factory, {"sms": flaky}, now=now + timedelta(minutes=6)).sent == 1


def test_no_callback_is_planned_for_a_customer_at_the_30_day_call_cap(factory):
    earlier = [OutcomeIn(f"e{i}", "C1", "no_answer", CALL - timedelta(days=i + 1)) for i in range(3)]
    _record(factory, *earlier)
    _record(factory, OutcomeIn("k1", "C1", "interested", CALL, product_id="P_WM01"))  # the fourth call in 30 days
    assert [r.channel for r in _outbox(factory)] == ["sms"]  # the link, but no fifth call

    old = OutcomeIn("k2", "C2", "no_answer", CALL - timedelta(days=40))
    with transaction(factory) as s:
        s.get(Customer, "C2").consent_marketing = True
    _record(factory, old, OutcomeIn("k3", "C2", "interested", CALL, product_id="P_WM01"))
    assert sorted(r.channel for r in _outbox(factory) if r.customer_id == "C2") == ["call", "sms"]


def test_the_thank_you_after_a_conversion_has_its_text_and_the_list_items_product(factory):
    import pandas as pd

    from callwise.ops.lists import issue_list
    from callwise.ops.models import Campaign

    calls = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "product_id": ["P_WM01"],
            "call_at": pd.to_datetime(["2026-07-01 10:00"]),
            "agent_id": ["A1"],
            "attempt": [1],
            "phone_masked": ["138****8001"],
        }
    )
    with transaction(factory) as s:
        s.add(Campaign(campaign_id="K", name="k", product_id="P_WM01", spec={}, created_by="t"))
        s.flush()
        list_id = issue_list(s, "K", calls, {}, "t", None, "Asia/Shanghai").list_id
        (item,) = s.scalars(select(ListItem.item_id).where(ListItem.list_id == list_id))
    # The dialer reports the conversion with the item it dialled, but without a product.
    _record(factory, OutcomeIn("k9", "C1", "converted", CALL, item_id=item))
    (thanks,) = _outbox(factory)
    assert thanks.template == "thank_you" and thanks.payload["product_id"] == "P_WM01"
    assert thanks.payload["text"]["zh"].startswith("【示例银行】") and "季季盈" in thanks.payload["text"]["zh"]


def test_no_sms_is_planned_without_a_bank_name_and_nothing_without_a_product(factory):
    planner = outcome_planner(load_followup_rules(), default_policy(), PRODUCTS, "Asia/Shanghai", "")
    with transaction(factory) as s:
        record_outcomes(
            s,
            [
                OutcomeIn("k1", "C1", "interested", CALL, product_id="P_WM01"),
                OutcomeIn("k2", "C1", "converted", CALL + timedelta(minutes=5)),
            ],
            "dialer",
            plan_followups=planner,
        )
    rows = _outbox(factory)
    assert [(r.channel, r.template) for r in rows] == [("call", "callback_interested")]
    assert all(r.payload["text"] is not None for r in rows)


def test_an_sms_planned_without_text_or_signed_with_empty_brackets_is_dead_lettered_never_sent(factory):
    due = CALL - timedelta(minutes=1)
    payloads = {
        "no-text": {"rule_id": "converted-thanks", "product_id": None, "text": None},
        "unsigned": {"rule_id": "converted-thanks", "text": {"zh": "【】感谢您选择季季盈", "en": "[] Thank you"}},
        "fine": {"rule_id": "converted-thanks", "text": {"zh": "【示例银行】感谢您", "en": "[示例银行] Thank you"}},
    }
    with transaction(factory) as s:
        for key, payload in payloads.items():
            s.add(
                Followup(
                    dedupe_key=key,
                    customer_id="C1",
                    channel="sms",
                    template="thank_you",
                    payload=payload,
                    due_at=due,
                    next_attempt_at=due,
                )
            )
    sender = Flaky(0)
    report = deliver_due(factory, {"sms": sender}, now=CALL)
    assert (report.sent, report.dead) == (1, 2) and sender.sent == ["fine"]
    errors = {r.dedupe_key: (r.status, r.last_error) for r in _outbox(factory)}
    assert errors["no-text"][0] == "dead" and errors["no-text"][1].startswith("no_text")
    assert errors["unsigned"][0] == "dead" and errors["unsigned"][1].startswith("no_bank_name")
