"""A campaign in an ops DB made through the real ops functions: an issued list with its members (treatment in
two arms, control), then outcomes recorded as a dialer reports them. Shared by the data and the page tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from callwise.ops.db import transaction
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, Customer
from callwise.ops.outcomes import OutcomeIn, record_outcomes
from callwise.security.pii import Pii

CAMPAIGN = "camp-board"
START = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
# Twelve treatment members (arms A and B alternate, deciles 1..3), six control members.
TREATMENT = [f"T{i:02d}" for i in range(12)]
CONTROL = [f"C{i:02d}" for i in range(6)]
# What the dialer reports for the first eight treatment members (the other four are not called yet).
DISPOSITIONS = {
    "T00": "converted",
    "T01": "interested",
    "T02": "answered",
    "T03": "no_answer",
    "T04": "converted",
    "T05": "refused",
    "T06": "busy",
    "T07": "no_answer",
}
FUNNEL = [
    {"step": "customers", "removed": 0, "remaining": 40},
    {"step": "dnc", "removed": 5, "remaining": 35},
    {"step": "no_consent", "removed": 7, "remaining": 28},
    {"step": "control_group", "removed": 6, "remaining": 22},
    {"step": "below_capacity", "removed": 10, "remaining": 12},
]
PLAN_DAYS = [{"date": "2026-07-01", "expected_calls": 9.5, "capacity": 10.0}]


def seed_campaign(
    factory: sessionmaker[Session], customers: list[str] | None = None, pii: Pii | None = None
) -> dict[str, str]:
    """Create the campaign, its customers (with sealed phones when ``pii`` is given) and its list; returns the
    ids used by code (the fixed ones, or the lake's ``customers``)."""
    ids = customers or [*TREATMENT, *CONTROL]
    names = dict(zip([*TREATMENT, *CONTROL], ids, strict=False))
    treated = [names[c] for c in TREATMENT]
    held = [names[c] for c in CONTROL]
    calls = pd.DataFrame(
        {
            "customer_id": treated,
            "product_id": ["P1"] * len(treated),
            "call_at": [pd.Timestamp("2026-07-01 09:00") + pd.Timedelta(hours=i % 3) for i in range(len(treated))],
            "agent_id": ["A1", "A2"] * (len(treated) // 2),
            "attempt": [1] * len(treated),
            "arm": ["A", "B"] * (len(treated) // 2),
            "phone_masked": ["138****0000"] * len(treated),
        }
    )
    members = pd.DataFrame(
        {
            "customer_id": [*treated, *held],
            "group": ["treatment"] * len(treated) + ["control"] * len(held),
            "arm": ["A", "B"] * (len(treated) // 2) + [None] * len(held),
            "score": [0.3 - 0.01 * i for i in range(len(treated) + len(held))],
            "score_decile": [1 + i % 3 for i in range(len(treated))] + [1 + i % 3 for i in range(len(held))],
        }
    )
    summary = {"funnel": FUNNEL, "plan": {"days": PLAN_DAYS}, "experiment": {"seed": 7}}
    with transaction(factory) as s:
        for i, cid in enumerate(ids):
            phone = f"1380013{i:04d}"
            sealed = pii.seal(cid, "phone", phone) if pii is not None else None
            s.add(Customer(customer_id=cid, phone_enc=sealed, consent_marketing=True))
        s.add(Campaign(campaign_id=CAMPAIGN, name="Board test", product_id="P1", spec={}, created_by="setup"))
        s.flush()
        issue_list(s, CAMPAIGN, calls, summary, "setup", None, "Asia/Shanghai", members=members, assigned_at=START)  # type: ignore[arg-type]
    return names


def report_outcomes(factory: sessionmaker[Session], names: dict[str, str], which: dict[str, str] | None = None) -> None:
    """Record the dialer's outcomes (one call each, an hour apart within the morning)."""
    outcomes = [
        OutcomeIn(
            idempotency_key=f"k-{code}",
            customer_id=names[code],
            disposition=disposition,
            ts=START + timedelta(minutes=20 * i),
            campaign_id=CAMPAIGN,
            product_id="P1",
            agent_id="A1",
            duration_s=60.0 if disposition not in ("no_answer", "busy") else None,
        )
        for i, (code, disposition) in enumerate((which or DISPOSITIONS).items())
    ]
    with transaction(factory) as s:
        results = record_outcomes(s, outcomes, "dialer")
    assert all(r.status == "stored" for r in results), results
