"""Issuing a list: the calls callwise planned become a frozen snapshot the dialer works through.

Items carry the customer's encrypted phone (copied, never decrypted here) and the masked one; a dialer
holding ``pii:read`` gets the number in clear, and that export is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from callwise.ops import audit
from callwise.ops.db import insert_columns, table_of
from callwise.ops.models import Customer, IssuedList, ListItem, ListMember

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
    members: pd.DataFrame | None = None,
    assigned_at: datetime | None = None,
) -> IssuedList:
    """Store ``calls`` (from ``build_list``) as an issued list with one item per planned call, and its
    experiment's ``members`` (``ListResult.members``: treatment and control) as ``list_members`` rows.

    Members carry the campaign seed of ``summary["experiment"]`` and ``assigned_at`` (default: the issue time;
    the callers give the campaign's first calling slot, as the lake records it).

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
    recorded = 0
    if members is not None and len(members):
        seed = summary.get("experiment", {}).get("seed")
        columns = member_columns(members, issued.list_id, campaign_id, seed, assigned_at or issued.issued_at)
        insert_columns(session, table_of(ListMember), columns)
        recorded = len(members)
    audit.append(
        session,
        actor,
        "list.issue",
        f"campaign:{campaign_id}",
        {"list_id": issued.list_id, "items": len(calls), "members": recorded},
    )
    return issued


MEMBER_TEXT = ("arm", "product_id", "province", "age_band", "segment")


def member_columns(
    members: pd.DataFrame, list_id: int, campaign_id: str, seed: int | None, assigned_at: datetime
) -> dict[str, list[Any]]:
    """The ``list_members`` rows of ``members`` as columns for ``insert_columns`` (missing values as None)."""
    n = len(members)

    def cells(name: str) -> list[Any]:
        if name not in members:
            return [None] * n
        column = members[name].astype(object)
        return column.where(column.notna(), None).tolist()

    decile = pd.to_numeric(members["score_decile"], errors="coerce").astype("Int64")
    score = pd.to_numeric(members["score"], errors="coerce").astype(float)
    return {
        "list_id": [list_id] * n,
        "campaign_id": [campaign_id] * n,
        "customer_id": members["customer_id"].astype(str).tolist(),
        "group": members["group"].astype(str).tolist(),
        "score": score.astype(object).where(score.notna(), None).tolist(),
        "score_decile": decile.astype(object).where(decile.notna(), None).tolist(),
        "seed": [None if seed is None else int(seed)] * n,
        "assigned_at": [assigned_at] * n,
        **{name: cells(name) for name in MEMBER_TEXT},
    }


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
