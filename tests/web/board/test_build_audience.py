"""The build form's audience: its live size (an HTMX fragment) on a three-customer bank, and its check."""

from __future__ import annotations

import pyarrow as pa
import pytest

from callwise.board.build import check_form
from callwise.tags import load_catalogue
from tests.tags.conftest import write_bank
from tests.tags.helpers import entry, write

TAGS = (
    entry("old", "age >= 50", "flag", zh="年长"),
    entry("secret", "income_monthly > 10000", "flag", sensitivity="sensitive"),
)
FORM = {"campaign_id": "aud-1", "product_id": "P_WM01", "date": "2026-06-01"}


@pytest.fixture
def tiny(board, tmp_path):
    lake = write_bank(tmp_path / "lake")
    lake.write(
        "products",
        pa.table(
            {"product_id": ["P_WM01"], "name": ["稳健理财"], "category": ["wealth"], "value_per_conversion": [800.0]}
        ),
    )
    board.services.lake = lake
    board.services.tags = load_catalogue(write(tmp_path / "tags.yaml", *TAGS))
    return board


def _size(board, client, audience: str, day: str = "2026-06-01"):
    form = {**FORM, "date": day, "audience": audience, "csrf_token": board.csrf(client)}
    return client.post("/board/build/audience", data=form, headers={"HX-Request": "true"})


def test_the_form_has_an_audience_field_asking_for_its_size_as_it_is_typed(tiny):
    client = tiny.client_for("analyst")
    page = client.get("/board/build?lang=en").text
    assert 'name="audience"' in page and 'hx-post="/board/build/audience"' in page
    assert 'hx-trigger="input changed delay:400ms, load"' in page and 'id="audience-size"' in page


def test_the_fragment_says_the_size_exactly_in_both_languages(tiny):
    client = tiny.client_for("analyst")
    client.get("/board/build?lang=en")
    answer = _size(tiny, client, "not 年长")  # A and C
    assert answer.status_code == 200 and "<html" not in answer.text
    assert "2 customers, 66.7% of the bank&#39;s 3 (as of 2026-06-01)" in answer.text
    client.get("/board/build?lang=zh")
    assert "受众 2 人，占全行 3 人的 66.7%（截至 2026-06-01）" in _size(tiny, client, "old or secret").text
    assert _size(tiny, client, "").text.strip() == ""


def test_a_bad_audience_is_said_in_the_fragment_and_beside_the_field(tiny):
    client = tiny.client_for("analyst")
    client.get("/board/build?lang=en")
    answer = _size(tiny, client, "old and olld")
    assert "column 9 of the audience expression: unknown name &#39;olld&#39;" in answer.text
    checks = client.post(
        "/board/build/validate", data={**FORM, "audience": "age + 1", "csrf_token": tiny.csrf(client)}
    ).text
    assert 'id="error-audience"' in checks and "must be a condition" in checks


def test_only_builders_get_the_fragment_and_sensitive_tags_need_their_permission(tiny):
    supervisor = tiny.client_for("supervisor")
    assert _size(tiny, supervisor, "old").status_code == 403
    form = {**FORM, "audience": "secret"}
    refused = check_form(form, tiny.services.lake, tiny.services.factory, {"lists:build"}, tiny.services.tags)
    assert "needs the permission tags:sensitive" in refused.messages("en")["audience"]
    allowed = check_form(form, tiny.services.lake, tiny.services.factory, {"tags:sensitive"}, tiny.services.tags)
    assert "audience" not in allowed.errors
