"""`callwise campaigns close`: the campaign is closed and audited; closing again is one clear sentence."""

from __future__ import annotations

from sqlalchemy import select

from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Campaign


def test_close_then_close_again_is_refused_in_one_sentence(migrated, db):
    with transaction(db) as s:
        s.add(Campaign(campaign_id="K1", name="k", product_id="P1", spec={}, created_by="t"))
    assert migrated.json("campaigns", "close", "K1") == {"campaign_id": "K1", "from": "draft", "status": "closed"}
    again = migrated.run("campaigns", "close", "K1")
    assert again.exit_code == 2 and again.stderr.strip() == "error: campaign K1 is closed already"
    missing = migrated.run("campaigns", "close", "K9")
    assert missing.exit_code == 2 and missing.stderr.strip() == "error: there is no campaign K9"
    with db() as s:
        (entry,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.status"))
    assert entry.actor == "cli" and entry.detail == {"from": "draft", "to": "closed", "event": "closed"}
