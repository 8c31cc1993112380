"""The lake's customers and contacts with the operational DB's live state laid over them.

``callwise.ops.overlay`` writes ``ops_customer_state`` (DNC, consent, erasure as recorded since the last
load) and ``ops_contacts`` (call outcomes) into the lake. Every policy rule reads customers and contacts
through these two functions, so state recorded a moment ago is in force for the next list.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from callwise.lake import Lake
from callwise.security.pii import check_sealed


def live_customers(lake: Lake) -> ir.Table:
    """Customers with DNC switched on and consent replaced where the operational DB says so."""
    c = lake.table("customers")
    check_sealed(c.columns, str(lake.path("customers")))
    if not lake.has("ops_customer_state"):
        return c
    s = lake.table("ops_customer_state").rename(ops_dnc="dnc", ops_consent="consent_marketing", ops_erased="erased")
    joined = c.left_join(s, "customer_id").drop("customer_id_right")
    lake_dnc = joined.dnc.fill_null(False) if "dnc" in c.columns else ibis.literal(False)
    lake_consent = joined.consent_marketing if "consent_marketing" in c.columns else ibis.literal(None, "boolean")
    return joined.mutate(
        dnc=lake_dnc | joined.ops_dnc.fill_null(False) | joined.ops_erased.fill_null(False),
        consent_marketing=joined.ops_consent.coalesce(lake_consent),
    ).drop("ops_dnc", "ops_consent", "ops_erased")


def all_contacts(lake: Lake) -> ir.Table | None:
    """The lake's contacts and the outcomes recorded since, as one table (None when there are neither)."""
    parts = [lake.table(name) for name in ("contacts", "ops_contacts") if lake.has(name)]
    if not parts:
        return None
    aligned = [_aligned(t) for t in parts]
    return aligned[0] if len(aligned) == 1 else ibis.union(*aligned)


def _aligned(t: ir.Table) -> ir.Table:
    return t.select(
        customer_id=t.customer_id.cast("string"),
        campaign_id=t.campaign_id.cast("string") if "campaign_id" in t.columns else ibis.literal(None, "string"),
        channel=t.channel.cast("string"),
        ts=t.ts.cast("timestamp"),
        disposition=t.disposition.cast("string"),
    )
