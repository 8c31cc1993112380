"""The compliance page through the browser's path (TestClient): auditors only, charts with their tables, the
audit viewer scrubbed and filtered, exports formula-safe, and "verify the chain" finding a tampered entry."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import update

from callwise.ops import audit
from callwise.ops.db import transaction
from callwise.ops.models import AuditEntry, Campaign, IssuedList, PolicyEvent
from callwise.policy import default_policy

HOSTILE = '=HYPERLINK("http://evil.example/x","click")'
PHONE = "13800138001"


def _seed(board) -> None:
    now = datetime.now(UTC)
    with transaction(board.services.factory) as s:
        s.add(Campaign(campaign_id="K1", name="K1", product_id="P1", spec={}, created_by="t"))
        s.flush()
        funnel = [
            {"step": "customers", "removed": 0, "remaining": 50},
            {"step": "dnc", "removed": 4, "remaining": 46},
            {"step": "no_consent", "removed": 6, "remaining": 40},
        ]
        s.add(
            IssuedList(
                campaign_id="K1", issued_at=now, issued_by="t", policy_sha256="b" * 64, summary={"funnel": funnel}
            )
        )
        s.add(PolicyEvent(customer_id="C1", kind="dnc", ts=now, source="api", actor="t"))
        s.add(PolicyEvent(customer_id="C2", kind="consent_withdrawn", ts=now, source="api", actor="t"))
        audit.append(s, HOSTILE, "login.failed", f"user:{PHONE}", {"note": f"typed {PHONE}"}, "10.0.0.9")


@pytest.mark.parametrize("role", ["analyst", "supervisor", "agent", "admin"])
def test_only_holders_of_audit_read_see_the_page_or_its_exports(board, role):
    client = board.client_for(role)
    assert client.get("/board/compliance").status_code == 403
    assert client.get("/board/compliance/export/audit.csv").status_code == 403
    assert client.post("/board/compliance/verify", data={"csrf_token": board.csrf(client)}).status_code == 403


def test_the_page_shows_exclusions_changes_the_policy_and_the_audit_log(board):
    _seed(board)
    client = board.client_for("auditor")
    page = client.get("/board/compliance")
    assert page.status_code == 200
    html = page.text
    assert "exclusions" in html and "policy_changes" in html  # the two charts (ids), each with its table view
    assert "拒绝来电名单（DNC）" in html and "无营销授权记录" in html  # reasons in the reader's language (zh default)
    assert "login.failed" in html and "*" * 11 in html
    assert PHONE not in html  # a phone typed at a login is starred in the viewer
    assert "=HYPERLINK(&#34;http://evil" in html  # shown as text, escaped by the template
    # The service runs without a policy file here: the built-in defaults, which list builds then use, are shown.
    assert board.services.policy is None and default_policy().sha256 in html
    assert "b" * 64 in html  # the hash an issued list recorded, with its count of lists


def test_the_audit_viewer_filters_by_action_and_actor_and_pages(board):
    _seed(board)
    with transaction(board.services.factory) as s:
        for i in range(60):
            audit.append(s, "bob", "customers.lookup", f"customer:C{i}", {}, None)
    client = board.client_for("auditor")
    only = client.get("/board/compliance", params={"action": "login.failed"})
    assert only.status_code == 200 and "customer:C5" not in only.text and "login.failed" in only.text
    first = client.get("/board/compliance", params={"actor": "bob"})
    assert first.status_code == 200 and "customer:C59<" in first.text and "customer:C9<" not in first.text
    second = client.get("/board/compliance", params={"actor": "bob", "page": 2})
    # newest first, 50 a page: page 2 of bob's 60 holds the oldest ten (C0..C9)
    assert second.status_code == 200 and "customer:C9<" in second.text and "customer:C10<" not in second.text
    assert "login.failed</td>" not in second.text


def test_exports_are_formula_safe_and_never_hold_a_phone(board):
    _seed(board)
    client = board.client_for("auditor")
    got = client.get("/board/compliance/export/audit.csv")
    assert got.status_code == 200
    text = got.content.decode("utf-8-sig")
    assert PHONE not in text
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("HYPERLINK" in c for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    xlsx = client.get("/board/compliance/export/audit.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("HYPERLINK" in v for v in values) and not any(v.startswith("=") for v in values)
    assert PHONE not in str(values)
    ex = client.get("/board/compliance/export/exclusions.csv")
    assert ex.status_code == 200 and "dnc" in ex.content.decode("utf-8-sig")
    assert client.get("/board/compliance/export/nothing.csv").status_code == 404
    assert client.get("/board/compliance/export/audit.pdf").status_code == 404


def test_verify_needs_csrf_then_reports_ok_and_then_the_tampered_entry(board):
    _seed(board)
    client = board.client_for("auditor")
    assert client.post("/board/compliance/verify").status_code == 403
    assert client.post("/board/compliance/verify", data={"csrf_token": "wrong"}).status_code == 403
    ok = client.post(
        "/board/compliance/verify", data={"csrf_token": board.csrf(client)}, headers={"HX-Request": "true"}
    )
    assert ok.status_code == 200 and "完整" in ok.text and "<html" not in ok.text
    with board.services.factory() as s:
        last = s.query(AuditEntry.entry_id).order_by(AuditEntry.entry_id.desc()).first()[0]
    with transaction(board.services.factory) as s:
        s.execute(update(AuditEntry).where(AuditEntry.entry_id == last).values(target="user:someone_else"))
    bad = client.post("/board/compliance/verify", data={"csrf_token": board.csrf(client)})
    assert bad.status_code == 200 and "已损坏" in bad.text and f"第 {last} 条" in bad.text


def test_the_page_in_english(board):
    _seed(board)
    client = board.client_for("auditor")
    page = client.get("/board/compliance", params={"lang": "en"})
    assert page.status_code == 200
    assert "Compliance" in page.text and "on the do-not-call list" in page.text
    verified = client.post("/board/compliance/verify", params={"lang": "en"}, data={"csrf_token": board.csrf(client)})
    assert "Intact" in verified.text
