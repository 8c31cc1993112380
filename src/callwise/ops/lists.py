"""Issuing a list: the calls callwise planned become a frozen snapshot the dialer works through.

Items carry the customer's encrypted phone (copied, never decrypted here) and the masked one; a dialer
holding ``pii:read`` gets the number in clear, and that export is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.ops import audit
from callwise.ops.db import insert_columns, table_of
from callwise.ops.models import Customer, IssuedList, ListItem

if TYPE_CHECKING:  # the list stage itself is imported only by the job that builds one
    from callwise.lists.summary import ListSummary


def issue_list(
    session: Session,
    campaign_id: str,
    calls: pd.DataFrame,
    summary: ListSummary,
    actor: str,
    job_id: str | None,
    bank_timezone: str,
    model_version: str | None = None,
) -> IssuedList:
    """Store ``calls`` (from ``build_list``) as an issued list with one item per planned call.

    Keyed by ``job_id``: a job issues one list, so a retried build gets the list already issued (the column is
    unique, which also stops two workers that both reach this point).
    """
    if job_id is not None:
        existing = session.scalars(select(IssuedList).where(IssuedList.job_id == job_id)).first()
        if existing is not None:
            return existing
    issued = IssuedList(
        campaign_id=campaign_id,
        job_id=job_id,
        issued_by=actor,
        policy_sha256=str(summary.get("policy", {}).get("sha256", "")),
        model_version=model_version,
        items=len(calls),
        summary=summary,
    )
    session.add(issued)
    session.flush()
    if len(calls):
        phones = _phones(session, calls["customer_id"].unique().tolist())
        starts = pd.to_datetime(calls["call_at"]).dt.tz_localize(bank_timezone).dt.tz_convert("UTC")
        rows = pd.DataFrame(
            {
                "list_id": issued.list_id,
                "customer_id": calls["customer_id"].astype(str),
                "product_id": calls["product_id"].astype(str),
                "slot_start": starts.dt.to_pydatetime(),
                "agent_id": calls["agent_id"].astype("string").where(calls["agent_id"].notna(), None),
                "attempt": calls["attempt"].astype(int),
                "arm": calls["arm"].where(calls["arm"].notna(), None) if "arm" in calls else None,
                "phone_enc": calls["customer_id"].map(phones),
                "phone_masked": calls["phone_masked"].astype(str),
                "hints": calls["script_hint"].where(calls["script_hint"].notna(), None)
                if "script_hint" in calls
                else None,
                "status": "pending",
            }
        ).astype(object)
        rows = rows.where(rows.notna(), None)
        insert_columns(session, table_of(ListItem), {name: rows[name].tolist() for name in rows.columns})
    audit.append(
        session, actor, "list.issue", f"campaign:{campaign_id}", {"list_id": issued.list_id, "items": len(calls)}
    )
    return issued


def _phones(session: Session, customer_ids: list[str]) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for i in range(0, len(customer_ids), 500):
        chunk = customer_ids[i : i + 500]
        found.update(
            session.execute(
                select(Customer.customer_id, Customer.phone_enc).where(Customer.customer_id.in_(chunk))
            ).all()
        )
    return found
