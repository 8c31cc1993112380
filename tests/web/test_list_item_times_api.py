"""An issued list's items: slot_start in UTC with Z, and the same instant on the customer's clock with its zone."""

from __future__ import annotations

from tests.dialer_lists import seed_list


def test_items_carry_utc_and_the_customers_local_start_with_its_zone(api):
    list_id = seed_list(api.services.factory, api.services.pii)
    page = api.client.get(f"/api/v1/lists/{list_id}/items", headers=api.as_("agent"))
    assert page.status_code == 200, page.text
    items = {(i["customer_id"], i["attempt"]): i for i in page.json()["items"]}
    first, urumqi = items[("D1", 1)], items[("D2", 1)]
    assert first["slot_start"] == "2026-07-01T01:00:00Z"
    assert first["slot_start_local"] == "2026-07-01T09:00:00+08:00" and first["timezone"] == "Asia/Shanghai"
    assert urumqi["slot_start"] == "2026-07-01T02:00:00Z"
    assert urumqi["slot_start_local"] == "2026-07-01T08:00:00+06:00" and urumqi["timezone"] == "Asia/Urumqi"
