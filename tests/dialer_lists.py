"""A small issued list in an operational DB: three customers, one with a withdrawn call, hints that look like
formulas, customers in two time zones. Shared by the dialer-export tests of the library, the CLI and the API."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from callwise.clock import utcnow
from callwise.ops.customers import Pii
from callwise.ops.db import transaction
from callwise.ops.lists import issue_list
from callwise.ops.models import Campaign, Customer, ListItem
from callwise.ops.users import create_user, issue_token

PASSWORD = "Correct-Horse-42"
PHONES = {"D1": "13800138001", "D2": "13900139002", "D3": "13700137003"}
ZONES = {"D1": "Asia/Shanghai", "D2": "Asia/Urumqi", "D3": "Asia/Shanghai"}
FORMULA_HINT = '=HYPERLINK("http://x","y")'
CAMPAIGN = "dial-1"


def seed_list(factory: sessionmaker[Session], pii: Pii, customers: bool = True) -> int:
    """Issue a list of four calls (D1 twice); D3's call is withdrawn afterwards. Returns the list id."""
    calls = pd.DataFrame(
        {
            "customer_id": ["D1", "D2", "D3", "D1"],
            "product_id": ["P1"] * 4,
            "call_at": pd.to_datetime(["2026-07-01 09:00", "2026-07-01 10:00", "2026-07-01 11:00", "2026-07-02 14:00"]),
            "agent_id": ["A1", "@A2", "A1", "A1"],
            "attempt": [1, 1, 1, 2],
            "arm": ["control", "treatment", "treatment", "control"],
            "phone_masked": ["138****8001", "139****9002", "137****7003", "138****8001"],
            "script_hint": [FORMULA_HINT, "+cmd", "ok", None],
        }
    )
    with transaction(factory) as s:
        if customers:
            for cid, phone in PHONES.items():
                s.add(
                    Customer(
                        customer_id=cid,
                        phone_enc=pii.seal(cid, "phone", phone),
                        phone_lookup=pii.lookup(phone),
                        timezone=ZONES[cid],
                        consent_marketing=True,
                    )
                )
        s.add(Campaign(campaign_id=CAMPAIGN, name="dial", product_id="P1", spec={}, created_by="setup"))
        s.flush()
        issued = issue_list(s, CAMPAIGN, calls, {}, "setup", None, "Asia/Shanghai")
        list_id = issued.list_id
        s.execute(update(ListItem).where(ListItem.customer_id == "D3").values(status="withdrawn", status_reason="dnc"))
    return list_id


def token_for(factory: sessionmaker[Session], username: str, roles: list[str]) -> str:
    """A session token of a new user holding ``roles``."""
    with transaction(factory) as s:
        user = create_user(s, username, PASSWORD, roles, "setup", None)
        secret, _ = issue_token(s, "test", "session", None, utcnow() + timedelta(hours=1), user)
    return secret
