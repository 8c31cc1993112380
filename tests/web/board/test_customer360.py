"""The customer page's 360 sections through TestClient on the tiny hand-made bank: every section in zh and en,
a sensitive tag absent from the page for every role without tags:sensitive, each view audited from the board."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callwise.ops.models import AuditEntry
from callwise.tags import load_catalogue
from tests.customers.tiny import tiny_lake_at
from tests.web.conftest import PHONES

SECTIONS = ("c360-tags", "c360-segment", "c360-holdings", "c360-transactions", "c360-activity", "c360-consent",
            "c360-lists")  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_lake_at(tmp_path_factory.mktemp("tiny360board"))


@pytest.fixture
def board360(board, tiny):
    board.services.lake = tiny
    board.services.tags = load_catalogue(tiny.root.parent / "tags.yaml")
    return board


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh",
            [
                "标签",
                "价值",
                "高净值",
                "持有产品与余额",
                "稳健理财",
                ">理财<",
                ">存款<",
                "近 90 天",
                "手机银行活跃度",
                "授权与拒呼",
                "当前名单",
            ],
        ),
        (
            "en",
            [
                "Tags",
                "Value",
                "High net worth",
                "Holdings and balances",
                ">wealth management<",
                ">deposit<",
                "Last 90 days",
                "App activity",
                "Current lists",
            ],
        ),
    ],
)
def test_every_section_shows_in_both_languages(board360, lang, words):
    page = board360.client_for("analyst").get(f"/board/customers/C1?lang={lang}")
    assert page.status_code == 200, page.text[:500]
    for section in SECTIONS:
        assert f'id="{section}"' in page.text
    for word in words:
        assert word in page.text, word
    assert 'data-tag="secret_income"' in page.text  # the analyst holds tags:sensitive
    assert PHONES["C1"] not in page.text


@pytest.mark.parametrize("role", ["supervisor", "agent", "admin"])
def test_a_sensitive_tag_is_absent_from_the_page_without_the_permission(board360, role):
    page = board360.client_for(role).get("/board/customers/C1?lang=zh")
    assert page.status_code == 200
    assert 'data-tag="high_net_worth"' in page.text
    assert "secret_income" not in page.text and "高收入敏感" not in page.text
    english = board360.client_for(role).get("/board/customers/C1?lang=en")
    assert "High income (sensitive)" not in english.text


def test_each_view_is_audited_as_a_profile_read_from_the_board(board360):
    board360.client_for("supervisor").get("/board/customers/C1")
    with board360.services.factory() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.profile")))
    assert [(e.actor, e.target, e.detail["source"]) for e in entries] == [("supervisor1", "customer:C1", "board")]


def test_an_unknown_or_hostile_id_is_the_look_up_page(board360):
    for hostile in ("NOPE", "X" * 500, "C1%27%20OR%201=1", "%E5%AE%A2", "C1%00"):
        page = board360.client_for("agent").get(f"/board/customers/{hostile}")
        assert page.status_code == 404 and "Traceback" not in page.text
