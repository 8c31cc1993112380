"""Every HTML report, in both languages: no label cut short, and no text of the other language.

Customer and bank data (ids, masked phones, team names, feature values) are marked ``class="data"`` and are
left out of the language checks: a team called 财富一组 stays 财富一组 in the English report.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from html import unescape
from html.parser import HTMLParser
from importlib.resources import files

import pytest

from callwise.i18n import catalog, t
from callwise.lists.build import build_list
from callwise.lists.campaign import Campaign
from callwise.models import make_model
from callwise.models.evaluation import cross_validate
from callwise.pipeline import train_from_lake, training_frame
from callwise.report import render_list_report, render_model_report
from callwise.report.svg import hbar_chart

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,'()-]+[A-Za-z]{2,}){3,}")  # four English words in a row
LABEL_COLUMN = 230 - 6  # hbar labels end here (text-anchor="end")


def text_width(text: str, size: float = 11) -> float:
    """An upper bound of the rendered width: a CJK or full-width character one em, others at most 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size for ch in text)


class _Visible(HTMLParser):
    """The report's own text: everything shown, without <style>, <title> tooltips and elements of class data."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: is it (or an ancestor) hidden from the check?
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = (self.stack[-1] if self.stack else False) or tag in ("style", "title") or ("class", "data") in attrs
        if tag not in ("meta", "br", "rect", "line", "polyline", "circle"):
            self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("meta", "br", "rect", "line", "polyline", "circle") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.text)


def chart_labels(html: str) -> list[list[str]]:
    """The lines of every multi-line (tspan) label of the report's bar charts."""
    texts = re.findall(r"<text[^>]*>((?:<tspan.*?</tspan>)+)</text>", html)
    return [[unescape(line) for line in re.findall(r"<tspan[^>]*>([^<]*)</tspan>", m)] for m in texts]


def assert_in_language(html: str, lang: str) -> None:
    shown = visible_text(html)
    if lang == "en":
        leaked = sorted(set(CJK.findall(shown)))
        assert not leaked, f"Chinese text in the English report: {leaked[:20]}"
    else:
        found = ENGLISH_SENTENCE.findall(shown)
        assert not found, f"English sentences in the Chinese report: {found[:5]}"


def assert_labels_whole(html: str, labels: list[str]) -> None:
    lines = chart_labels(html)
    joined = {"".join(x.replace(" ", "") for x in label) for label in lines}
    for label in labels:
        assert label.replace(" ", "") in joined, f"chart label cut: {label!r}"
    for label in lines:
        for line in label:
            assert text_width(line) <= LABEL_COLUMN, f"label line wider than its column: {line!r}"


# results: tests/results/test_report.py; uplift: tests/uplift/test_uplift_report.py
REPORTS = {"call_list.html.j2", "model.html.j2", "results.html.j2", "uplift.html.j2"}


def test_every_report_template_is_checked_here():
    templates = {p.name for p in files("callwise.report").joinpath("templates").iterdir()} - {"base.html.j2"}
    assert templates == REPORTS, "a new report needs its language and label checks in this file"


def test_long_labels_wrap_and_keep_every_character():
    long_en = "refused a marketing call recently (cool-down) and then some more words to wrap"
    long_zh = "明确拒绝营销后的冷静期内并且这是一段很长很长很长很长很长的中文标签"
    word = "a_bank_column_name_that_has_no_spaces_at_all_and_is_very_long"
    svg = hbar_chart([long_en, long_zh, word], [3, 2, 1], fmt="{:,.0f}")
    assert_labels_whole(svg, [long_en, long_zh, word])
    assert len(chart_labels(svg)[0]) > 1  # wrapped onto lines, not cut


@pytest.fixture(scope="module")
def list_result(small_bank):
    model, _ = train_from_lake(small_bank["lake"], "lightgbm", seed=3)
    campaign = Campaign(
        campaign_id="t-report",
        product_id="P_WM01",
        date=date(2026, 7, 1),
        days=3,
        capacity=150,
        arms={"A": 0.5, "B": 0.5},
        lang="zh",  # the list's own words are Chinese: the English report must word them anew
    )
    return build_list(campaign, small_bank["lake"], model)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_list_report_is_in_one_language_and_keeps_labels_whole(list_result, lang):
    html = render_list_report(list_result, None, lang)
    assert_in_language(html, lang)
    funnel = [t(f"exclusion.{s['step']}", lang) for s in list_result.summary["funnel"][1:] if s["removed"]]
    assert_labels_whole(html, funnel)
    # The reasons are worded in the report's language, whatever the campaign's language.
    reasons = html.split(t("listreport.reasons", lang))[1]
    assert t(f"feature.{list_result.reason_codes['reason_1'].dropna().iloc[0]}", lang) in reasons


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_list_report_shows_days_load_arms_and_the_control_group(list_result, lang):
    html = render_list_report(list_result, None, lang)
    for key in ("listreport.days", "listreport.teams", "listreport.experiment"):
        assert t(key, lang) in html
    for day in list_result.summary["plan"]["days"]:
        assert day["date"] in html
    for agent in list_result.calls["agent_id"].unique():
        assert f">{agent}<" in html
    assert ">A<" in html and ">B<" in html  # the arms
    experiment = list_result.summary["experiment"]
    assert f"{experiment['control_held_out']:,}" in html
    # 150 called customers hold out a handful: far too few to prove a realistic lift, and the report says so.
    assert not experiment["lift_measurable"]
    from callwise.lists.measured_text import control_group_text

    lines = control_group_text(experiment, lang)
    assert all(line in unescape(html) for line in lines)
    assert t("listreport.measurable", lang, target="20%") not in unescape(html)
    assert f"{experiment['needed']['list_size']:,}" in lines[-1]


@pytest.fixture(scope="module")
def model_results(small_bank):
    X, y, _ = training_frame(small_bank["lake"])
    result = cross_validate("scorecard", X, y, folds=3, seed=1)
    return result, make_model("scorecard", random_state=1).fit(X, y)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_model_report_is_in_one_language_and_keeps_labels_whole(model_results, lang):
    result, fitted = model_results
    html = render_model_report(result, fitted, lang)
    assert_in_language(html, lang)
    labels = [t(f"feature.{k}", lang) for k in list(result["importance"])[:15] if f"feature.{k}" in catalog()]
    assert labels and all(label.replace(" ", "") for label in labels)
    assert_labels_whole(html, labels)
