"""The results report in each language: no text of the other language, every section, no customer data."""

from __future__ import annotations

import pytest

from callwise.i18n import t
from callwise.results.report import render_results
from callwise.results.summary import campaign_results
from tests.report.test_report_languages import assert_in_language, assert_labels_whole
from tests.results.frames import hand_frame

COSTS = {"cost_per_call": 2, "cost_per_minute": 1, "cost_per_sms": 0.1}


@pytest.fixture(scope="module")
def result():
    return campaign_results(hand_frame(120, 400, 10, 100), COSTS, 30, campaign_id="c-report")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_in_one_language(result, lang):
    html = render_results(result, lang)
    assert_in_language(html, lang)
    for key in ("resultsreport.headline", "resultsreport.costs", "resultsreport.harm", "resultsreport.breakdowns"):
        assert t(key, lang) in html
    assert t("resultsreport.small_cell", lang) in html  # the province cells are small
    assert "C00001" not in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_has_an_interval_chart_per_breakdown_with_whole_labels(result, lang):
    html = render_results(result, lang)
    assert html.count("<svg") == sum(
        any(c["lift"]["estimate"] is not None for c in b["cells"]) for b in result["breakdowns"].values()
    )
    assert_labels_whole(html, ["北京", "上海", "A", "B"])
    inc = result["itt"]["incremental_conversions"]
    assert f"{inc['estimate']:,.1f}" in html and f"{inc['low']:,.1f}" in html


def test_unbounded_cpia_is_said_not_shown_as_a_number():
    r = campaign_results(hand_frame(12, 100, 5, 50), COSTS, 30)
    html = render_results(r, "en")
    assert t("resultsreport.cpia_unbounded_high", "en") in html and "∞" in html


def test_unknown_language_is_refused(result):
    with pytest.raises(ValueError, match="unknown language"):
        render_results(result, "fr")
