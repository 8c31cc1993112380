"""A campaign's status follows its life (draft → built → issued → running → closed) at the real events,
refuses illegal moves in one sentence, and audits every change; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from callwise.ops.campaign_state import IllegalTransition, close, reach
from callwise.ops.db import session_factory, transaction
from callwise.ops.lists import issue_list
from callwise.ops.models import AuditEntry, Campaign, Customer, ListItem
from callwise.ops.outcomes import OutcomeIn, record_outcomes

CALL = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def factory(db_engine):
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.add(Customer(customer_id="C1", consent_marketing=True))
        for cid in ("K1", "K2"):
            s.add(Campaign(campaign_id=cid, name=cid, product_id="P1", spec={}, created_by="t"))
    return factory


def _status(factory, campaign_id: str) -> str:
    with factory() as s:
        return s.get(Campaign, campaign_id).status


def _moves(factory, campaign_id: str) -> list[tuple[str, str, str]]:
    with factory() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "campaign.status", AuditEntry.target == f"campaign:{campaign_id}")
            .order_by(AuditEntry.entry_id)
        )
        return [(e.detail["from"], e.detail["to"], e.detail["event"]) for e in entries]


def _issue(factory, campaign_id: str) -> int:
    """What a build job does: the list built, then issued, in one transaction. Returns the item id."""
    calls = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "product_id": ["P1"],
            "call_at": pd.to_datetime(["2026-07-01 10:00"]),
            "agent_id": ["A1"],
            "attempt": [1],
            "phone_masked": ["138****8001"],
        }
    )
    with transaction(factory) as s:
        reach(s, campaign_id, "built", "analyst1", "list_built")
        issued = issue_list(s, campaign_id, calls, {}, "analyst1", None, "Asia/Shanghai")
        reach(s, campaign_id, "issued", "analyst1", "list_issued")
        return s.scalars(select(ListItem.item_id).where(ListItem.list_id == issued.list_id)).one()


def _outcome(factory, key: str, **fields) -> None:
    with transaction(factory) as s:
        record_outcomes(s, [OutcomeIn(key, "C1", "no_answer", CALL, **fields)], "dialer")


def test_status_moves_at_build_issue_and_first_outcome_and_each_move_is_audited(factory):
    assert _status(factory, "K1") == "draft"
    item = _issue(factory, "K1")
    assert _status(factory, "K1") == "issued"
    _issue(factory, "K1")  # a second list for the same campaign keeps it where it is
    _outcome(factory, "o1", item_id=item)  # the dialer names only the item it dialled
    _outcome(factory, "o2", campaign_id="K1")
    assert _status(factory, "K1") == "running"
    assert _moves(factory, "K1") == [
        ("draft", "built", "list_built"),
        ("built", "issued", "list_issued"),
        ("issued", "running", "first_outcome"),
    ]
    closed = None
    with transaction(factory) as s:
        closed = close(s, "K1", "supervisor1").status
    assert closed == "closed" and _moves(factory, "K1")[-1] == ("running", "closed", "closed")


def test_illegal_moves_are_refused_in_one_sentence_and_nothing_changes(factory):
    with transaction(factory) as s:
        close(s, "K2", "supervisor1")
    for wanted in ("built", "issued"):
        with pytest.raises(IllegalTransition) as refused, transaction(factory) as s:
            reach(s, "K2", wanted, "analyst1", "list_built")
        assert refused.value.message("en") == (
            f"campaign K2 is closed: it cannot become {wanted}, and no list is built for it again"
        )
        assert "K2" in refused.value.message("zh")
    with pytest.raises(IllegalTransition) as again, transaction(factory) as s:
        close(s, "K2", "supervisor1")
    assert again.value.message("en") == "campaign K2 is closed already"
    _outcome(factory, "late", campaign_id="K2")  # a late outcome is still recorded; the campaign stays closed
    assert _status(factory, "K2") == "closed" and _moves(factory, "K2") == [("draft", "closed", "closed")]


def test_outcomes_of_a_campaign_not_yet_issued_do_not_move_it(factory):
    _outcome(factory, "early", campaign_id="K1")
    assert _status(factory, "K1") == "draft" and _moves(factory, "K1") == []
