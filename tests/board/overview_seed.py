"""A small ops DB whose overview figures are known by hand: two campaigns, their members, calls and conversions.

Today is 2026-07-10 (Shanghai); the default period is 07-04..07-10, the previous one 06-27..07-03.

K1 (product P1, 5 CNY a dial, 800 CNY a conversion): 40 treatment, 20 control members. On 07-05 each treatment
member is called once: 10 convert, 10 answer, 1 complains, 1 asks for DNC, 18 no answer; 10 were called on 06-30
too (no answer). Two control members buy P1 on 07-06 (the bank's sales feed); one buys P2 (not the product) and
one bought P1 before the assignment: neither counts.
K2 (product P2, no value): 30 treatment, 10 control. On 07-08 ten answer (agent A1) and one converts (agent A2);
one busy call at 2026-07-03 16:30 UTC (07-04 in Shanghai: in the period), one at 2026-07-10 16:30 UTC (07-11: out).
One control member buys P2 on 07-09.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from callwise.ops.db import transaction
from callwise.ops.models import Campaign, Conversion, Customer, IssuedList, ListMember
from callwise.ops.outcomes import OutcomeIn, record_outcomes

TODAY = date(2026, 7, 10)
LOCAL = timezone(timedelta(hours=8))
ASSIGNED = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


def cid(i: int) -> str:
    return f"C{i:03d}"


def seed(factory) -> None:
    with transaction(factory) as s:
        s.add_all([Customer(customer_id=cid(i), consent_marketing=True) for i in range(100)])
        s.add(
            Campaign(
                campaign_id="K1",
                name="理财 July",
                product_id="P1",
                status="running",
                created_by="t",
                spec={"cost_per_call": 5.0, "value_per_conversion": 800.0},
            )
        )
        s.add(
            Campaign(
                campaign_id="K2",
                name="Card",
                product_id="P2",
                status="issued",
                created_by="t",
                spec={"cost_per_call": 2.0},
            )
        )
        s.flush()
        _members(s, "K1", "P1", range(0, 40), range(40, 60))
        _members(s, "K2", "P2", range(60, 90), range(90, 100))
    outcomes = []
    day5 = datetime(2026, 7, 5, 10, 0, tzinfo=LOCAL)
    for i in range(40):
        disposition = (
            "converted"
            if i < 10
            else "answered"
            if i < 20
            else {20: "complaint", 21: "dnc_requested"}.get(i, "no_answer")
        )
        duration = 120.0 if i < 10 else 60.0 if i < 20 else None
        outcomes.append(_o(f"k1-{i}", i, disposition, day5, "K1", "P1", "A1", duration))
    for i in range(10):
        outcomes.append(_o(f"k1-prev-{i}", i, "no_answer", datetime(2026, 6, 30, 10, tzinfo=LOCAL), "K1", "P1", "A1"))
    day8 = datetime(2026, 7, 8, 11, 0, tzinfo=LOCAL)
    for i in range(60, 70):
        outcomes.append(_o(f"k2-{i}", i, "answered", day8, "K2", "P2", "A1", 30.0))
    outcomes.append(_o("k2-70", 70, "converted", day8, "K2", "P2", "A2", 200.0))
    outcomes.append(_o("k2-72", 72, "busy", datetime(2026, 7, 3, 16, 30, tzinfo=UTC), "K2", "P2", "A1"))
    outcomes.append(_o("k2-71", 71, "no_answer", datetime(2026, 7, 10, 16, 30, tzinfo=UTC), "K2", "P2", "A1"))
    with transaction(factory) as s:
        record_outcomes(s, outcomes, actor="dialer", bank_timezone=ZONE)
        sales = [
            (40, "P1", datetime(2026, 7, 6, 12, tzinfo=LOCAL)),
            (41, "P1", datetime(2026, 7, 6, 13, tzinfo=LOCAL)),
            (42, "P2", datetime(2026, 7, 6, 13, tzinfo=LOCAL)),
            (43, "P1", datetime(2026, 6, 30, 13, tzinfo=LOCAL)),
            (90, "P2", datetime(2026, 7, 9, 15, tzinfo=LOCAL)),
        ]
        s.add_all([Conversion(customer_id=cid(i), product_id=p, ts=ts) for i, p, ts in sales])


def _members(s: Session, campaign: str, product: str, treatment: range, control: range) -> None:
    issued = IssuedList(campaign_id=campaign, issued_by="t", policy_sha256="0" * 64, summary={})
    s.add(issued)
    s.flush()
    for group, ids in (("treatment", treatment), ("control", control)):
        s.add_all(
            ListMember(
                list_id=issued.list_id,
                campaign_id=campaign,
                customer_id=cid(i),
                group=group,
                product_id=product,
                assigned_at=ASSIGNED,
            )
            for i in ids
        )


def _o(key, i, disposition, ts, campaign, product, agent, duration=None) -> OutcomeIn:
    return OutcomeIn(
        key, cid(i), disposition, ts, campaign_id=campaign, product_id=product, agent_id=agent, duration_s=duration
    )
