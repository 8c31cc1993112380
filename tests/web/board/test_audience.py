"""The audience builder through the app: the live size fragment against the library's own count, the tag picker,
a bad expression's translated reason with its character position, sensitive tags refused to a role without
tags:sensitive, hostile expressions, the empty states and the exports, in both languages."""

from __future__ import annotations

import re
from html import unescape

import pytest

from callwise.tags.audience import audience_filter
from tests.web.board.tag_data import SECOND, SENSITIVE, built_lake, catalogue


@pytest.fixture(scope="module")
def tagged(small_bank, tmp_path_factory):
    cat = catalogue()
    return cat, built_lake(small_bank["root"] / "lake", tmp_path_factory.mktemp("board-audience") / "lake", cat)


@pytest.fixture
def audience_board(board, tagged):
    board.services.tags, board.services.lake = tagged
    return board


def size_of(html: str) -> int:
    found = re.search(r'data-size="(\d+)"', html)
    assert found, html[:2000]
    return int(found.group(1))


def test_the_page_offers_the_tags_by_category_and_a_prompt(audience_board):
    client = audience_board.client_for("analyst")
    en = client.get("/board/audience?lang=en")
    assert en.status_code == 200 and 'hx-get="/board/audience/size"' in en.text and "delay:500ms" in en.text
    assert 'data-audience-insert="wealthy"' in en.text and 'data-audience-insert="vip_private"' in en.text
    assert "Type an expression" in en.text and "Value (" in en.text  # the value category, with its count
    zh = client.get("/board/audience?lang=zh")
    assert zh.status_code == 200 and "受众圈选" in zh.text and "点击标签即在光标处插入其 id" in zh.text


def test_the_live_size_is_the_librarys_count_with_a_profile(audience_board, tagged):
    cat, lake = tagged
    expected = audience_filter(lake, cat, "wealthy and app_active", SECOND).count().to_pyarrow().as_py()
    client = audience_board.client_for("analyst")
    fragment = client.get("/board/audience/size", params={"expression": "wealthy and app_active", "lang": "en"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert size_of(fragment.text) == expected > 0
    assert "of the bank&#39;s 4,000" in fragment.text and "as of 2026-06-01" in fragment.text
    assert 'hx-get="/board/audience/profile?expression=wealthy+and+app_active"' in fragment.text
    profile = client.get("/board/audience/profile", params={"expression": "wealthy and app_active", "lang": "en"})
    assert "Monthly income" in profile.text and 'id="figure-lifted"' in profile.text and "<html" not in profile.text
    zh = client.get("/board/audience/size", params={"expression": "富裕客户 and app_active", "lang": "zh"})
    assert size_of(zh.text) == expected and "占全行 4,000 人" in zh.text
    assert "月收入" in client.get("/board/audience/profile", params={"expression": "富裕客户", "lang": "zh"}).text
    page = client.get("/board/audience", params={"expression": "wealthy and app_active", "lang": "en"})
    assert size_of(page.text) == expected and ">wealthy and app_active</textarea>" in page.text
    profile = client.get("/board/audience/export/profile.csv", params={"expression": "wealthy", "lang": "en"})
    rows = profile.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "Feature,Audience mean,Bank mean,Audience ÷ bank" and len(rows) >= 5
    assert client.get("/board/audience/export/profile.csv?lang=en").status_code == 422  # nothing typed
    assert client.get("/board/audience/export/other.csv?expression=wealthy").status_code == 404


@pytest.mark.parametrize(
    ("expression", "en", "zh", "caret"),
    [
        ("富裕客户 and nope", "column 10 of the audience expression: unknown name 'nope'", "受众表达式第 10 列", 10),
        ("wealthy and (", "column 13 of the audience expression: the expression is not well formed", "第 13 列", 13),
        ("balance_k", "must be a condition", "受众表达式无法使用", None),
    ],
)
def test_a_bad_expression_says_why_and_where_in_characters(audience_board, expression, en, zh, caret):
    client = audience_board.client_for("analyst")
    answer = client.get("/board/audience/size", params={"expression": expression, "lang": "en"})
    text = unescape(answer.text)
    assert answer.status_code == 200 and 'id="audience-problem"' in text and en in text, text
    if caret:  # the character pointed at is marked in the expression
        assert f"<code>{expression[: caret - 1]}<mark>{expression[caret - 1 : caret] or ' '}</mark>" in text
    assert zh in client.get("/board/audience/size", params={"expression": expression, "lang": "zh"}).text


def test_sensitive_tags_are_refused_to_a_role_without_the_permission(audience_board):
    supervisor = audience_board.client_for("supervisor")
    page = supervisor.get("/board/audience?lang=en")
    assert page.status_code == 200 and not [w for w in SENSITIVE if w in page.text]
    hidden = (
        ("vip_private", 1),
        ("wealthy and 私密贵宾", 13),
        ("secret_income_k > 1", 1),
        ("富裕客户 or income_monthly > 1", 9),
    )
    for expression, column in hidden:  # the last one would otherwise resolve as the feature of that name
        answer = supervisor.get("/board/audience/size", params={"expression": expression, "lang": "en"})
        assert f"column {column} of the audience expression: unknown name" in unescape(answer.text), answer.text
        assert "Private VIP" not in answer.text and "sensitive" not in answer.text
    shown = supervisor.get("/board/audience/size", params={"expression": "wealthy", "lang": "en"})
    assert size_of(shown.text) > 0 and not [w for w in SENSITIVE if w in shown.text]
    profile = supervisor.get("/board/audience/profile", params={"expression": "wealthy", "lang": "en"})
    assert "Monthly income" in profile.text and not [w for w in SENSITIVE if w in profile.text]
    refused = supervisor.get("/board/audience/profile", params={"expression": "vip_private", "lang": "en"})
    assert "unknown name" in unescape(refused.text) and "Private VIP" not in refused.text
    lifted = supervisor.get("/board/audience/export/lifted.csv", params={"expression": "wealthy"}).content
    assert not [w for w in SENSITIVE if w in lifted.decode("utf-8-sig")]
    analyst = audience_board.client_for("analyst")
    assert size_of(analyst.get("/board/audience/size", params={"expression": "vip_private"}).text) >= 0
    assert audience_board.client_for("agent").get("/board/audience/size?expression=wealthy").status_code == 403


@pytest.mark.parametrize(
    "expression",
    [
        "x" * 2_500,
        "wealthy\x00 and app_active",
        "__import__('os').system('id')",
        "wealthy and '<script>alert(1)</script>' == city",
        "(" * 200 + "wealthy" + ")" * 200,
        "phone == '13800000000'",
    ],
)
def test_hostile_expressions_are_refused_in_words(audience_board, expression):
    client = audience_board.client_for("analyst")
    answer = client.get("/board/audience/size", params={"expression": expression, "lang": "en"})
    assert answer.status_code == 200
    assert "<script>" not in answer.text and "Traceback" not in answer.text
    assert 'id="audience-problem"' in answer.text or 'id="audience-result"' in answer.text
    page = client.get("/board/audience", params={"expression": expression, "lang": "zh"})
    assert page.status_code == 200 and "<script>alert" not in page.text


def test_without_a_lake_the_page_says_to_ingest_first(board):
    board.services.lake = None
    client = board.client_for("analyst")
    assert "There is no lake yet" in client.get("/board/audience?lang=en").text
    assert "还没有数据湖" in client.get("/board/audience/size?expression=wealthy&lang=zh").text
