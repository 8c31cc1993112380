"""One customer seen whole (customer 360): identity, tags, segment, money, activity, contacts, consent, scores, lists.

``customer_profile`` assembles it for the API (``GET /api/v1/customers/{id}/profile``), the CLI
(``callwise customers show``) and the dashboard's customer page; every read is audited. See docs/customer360.md.
"""

from __future__ import annotations

from callwise.customers.profile import (
    AUDIT_ACTION,
    ID_MAX,
    CustomerNotFound,
    customer_profile,
)

__all__ = ["AUDIT_ACTION", "ID_MAX", "CustomerNotFound", "customer_profile"]
