"""The tag catalogue page through the app: the list, the search fragment, a tag's page with its lineage and
quality, both languages, the empty state, hostile query strings, and sensitive tags hidden entirely from a role
without tags:sensitive (list, search, export, detail and lineage)."""

from __future__ import annotations

import pytest

from tests.web.board.tag_data import SENSITIVE, built_lake, catalogue


@pytest.fixture(scope="module")
def tagged(small_bank, tmp_path_factory):
    cat = catalogue()
    return cat, built_lake(small_bank["root"] / "lake", tmp_path_factory.mktemp("board-tags") / "lake", cat)


@pytest.fixture
def tag_board(board, tagged):
    board.services.tags, board.services.lake = tagged
    return board


def test_the_catalogue_lists_every_tag_with_its_quality_in_both_languages(tag_board):
    client = tag_board.client_for("analyst")
    en = client.get("/board/tags?lang=en")
    assert en.status_code == 200 and 'lang="en"' in en.text
    assert "8 of 8 tags" in en.text and 'href="/board/tags/wealthy"' in en.text and "Newest build" in en.text
    assert "Private VIP" in en.text and 'id="chart-categories"' in en.text  # an analyst holds tags:sensitive
    zh = client.get("/board/tags?lang=zh")
    assert zh.status_code == 200 and "显示 8 / 8 个标签" in zh.text and "富裕客户" in zh.text and "规则标签" in zh.text
    rows = client.get("/board/tags/export/tags.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert rows[0] == ("Tag id,Name,Category,Kind,Value,Owner,Refresh,Coverage,Customers changed since the last build")
    assert len(rows) == 9 and rows[1].startswith("app_active,App active,Behaviour,Rule,Flag,零售数据组,Daily,0.")


def test_search_is_a_fragment_filtered_by_words_and_category(tag_board):
    client = tag_board.client_for("analyst")
    found = client.get("/board/tags/list?q=wealthy&lang=en")
    assert found.status_code == 200 and "<html" not in found.text and 'id="tag-count"' in found.text
    assert 'href="/board/tags/wealthy"' in found.text and 'href="/board/tags/app_active"' not in found.text
    assert 'href="/board/tags/vip_private"' in found.text  # its description says wealthy
    by_zh = client.get("/board/tags/list", params={"q": "年龄", "lang": "zh"})
    assert 'href="/board/tags/age_band"' in by_zh.text and "显示 1 / 8 个标签" in by_zh.text
    basic = client.get("/board/tags/list?category=basic&lang=en")
    assert "1 of 8 tags" in basic.text
    none = client.get("/board/tags/list?q=nothing-like-it&lang=en")
    assert "No tag matches." in none.text
    export = client.get("/board/tags/export/tags.csv?q=wealthy&category=value&lang=en")
    assert len(export.content.decode("utf-8-sig").splitlines()) == 4  # header, wealthy, wealthy_active, vip
    page = client.get("/board/tags?q=wealthy&lang=en")
    assert 'value="wealthy"' in page.text and 'href="/board/tags/export/tags.csv?q=wealthy"' in page.text


def test_a_tag_page_shows_definition_lineage_and_quality(tag_board):
    client = tag_board.client_for("analyst")
    page = client.get("/board/tags/wealthy_active?lang=en")
    assert page.status_code == 200 and "Wealthy and active" in page.text
    assert "富裕客户 and app_active" in page.text
    assert 'href="/board/tags/wealthy"' in page.text and 'href="/board/tags/app_active"' in page.text
    assert "<code>balance_total</code>" in page.text and "<code>n_logins_30d</code>" in page.text
    assert "Customers changed since the last build" in page.text and 'id="chart-distribution"' in page.text
    readers = client.get("/board/tags/wealthy?lang=en")
    assert 'href="/board/tags/wealthy_active"' in readers.text and 'href="/board/tags/vip_private"' in readers.text
    assert 'href="/board/tags/secret_income_k"' in readers.text  # through vip_private
    level = client.get("/board/tags/age_band/export/distribution.csv?lang=zh").content.decode("utf-8-sig")
    assert level.splitlines()[0] == "取值,数量或占比" and "青年," in level and "未知," in level
    number = client.get("/board/tags/balance_k?lang=zh")
    assert "中位数" in number.text and "上四分位数" in number.text
    assert client.get("/board/tags/wealthy/export/other.csv").status_code == 404


def test_sensitive_tags_are_hidden_entirely_from_a_role_without_the_permission(tag_board):
    client = tag_board.client_for("supervisor")  # tags:read without tags:sensitive
    pages = [
        client.get("/board/tags?lang=en"),
        client.get("/board/tags?lang=zh"),
        client.get("/board/tags/list?q=wealthy&lang=en"),
        client.get("/board/tags/list", params={"q": "私密", "lang": "zh"}),
        client.get("/board/tags/list?q=vip_private"),
        client.get("/board/tags/wealthy?lang=en"),  # a normal tag that a sensitive tag reads
        client.get("/board/tags/wealthy?lang=zh"),
        client.get("/board/tags/export/tags.csv?lang=en"),
        client.get("/board/tags/export/categories.csv?lang=en"),
    ]
    for answer in pages:
        assert answer.status_code == 200
        body = answer.content.decode("utf-8-sig")
        assert not [word for word in SENSITIVE if word in body], answer.url
    assert "5 of 5 tags" in pages[0].text and "wealthy_active" in pages[5].text
    hidden = ("/board/tags/vip_private", "/board/tags/secret_income_k", "/board/tags/vip_private/export/x.csv")
    for path in hidden:
        missing = client.get(path + "?lang=en")  # as an unknown id: the page only echoes its own URL (the switch)
        assert missing.status_code == 404 and "Private VIP" not in missing.text and "Wealthy with" not in missing.text
    assert client.get("/board/tags/no_such_tag?lang=en").status_code == 404
    assert tag_board.client_for("agent").get("/board/tags").status_code == 403
    assert tag_board.client_for("agent").get("/board/tags/list?q=a").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "q=" + "x" * 65,
        "q=%00drop",
        "q=a%0Ab",
        "category=health",
        "category=%3Cscript%3E",
    ],
)
def test_hostile_query_strings_are_refused_not_echoed(tag_board, query):
    client = tag_board.client_for("analyst")
    for path in ("/board/tags", "/board/tags/list", "/board/tags/export/tags.csv"):
        answer = client.get(f"{path}?{query}&lang=en")
        assert answer.status_code == 422, (path, query)
        assert "<script>" not in answer.text and "\x00" not in answer.text  # the switch link echoes it encoded
        assert "at most 64 characters" in answer.text or "category" in answer.text


def test_markup_in_a_search_is_escaped(tag_board):
    client = tag_board.client_for("analyst")
    page = client.get("/board/tags", params={"q": '"><script>alert(1)</script>', "lang": "en"})
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.text
    assert "No tag matches." in page.text
    odd = client.get("/board/tags/%E2%80%AE%3Cb%3E?lang=en")
    assert odd.status_code == 404 and "<b>" not in odd.text


def test_without_a_build_the_page_says_how_to_make_one(board, small_bank):
    board.services.tags = catalogue()
    client = board.client_for("analyst")
    en = client.get("/board/tags?lang=en")
    assert en.status_code == 200 and "No tag build yet" in en.text and "callwise tags build --cutoff" in en.text
    zh = client.get("/board/tags/wealthy?lang=zh")
    assert zh.status_code == 200 and "还没有计算过标签" in zh.text and 'id="chart-distribution"' not in zh.text
    shipped = board.services
    shipped.tags = None  # the default catalogue
    assert client.get("/board/tags?lang=en").status_code == 200
