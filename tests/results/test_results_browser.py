"""The results report renders in a real browser that cannot reach the internet, in zh-CN and in English.

The report of a past campaign of the synthetic bank is loaded by headless Chromium with every non-loopback request
refused (it needs nothing from outside: styles and charts are inline). The DOM must hold the headline and a chart
per breakdown; screenshots go to the test's directory, or to ``CALLWISE_SCREENSHOTS`` (docs/screenshots/ is made so).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callwise.results.campaign import results_for
from callwise.results.report import render_results
from tests.web import browser

WORDS = {"zh": ("增量成交", "分维度"), "en": ("incremental conversions", "breakdown")}


@pytest.fixture(scope="module")
def result(small_bank) -> dict:
    return results_for("CMP2605W", small_bank["lake"], 30, overrides={"cost_per_call": 5.0, "cost_per_minute": 0.5})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_results_report_renders_offline(result, lang, tmp_path):
    page = tmp_path / f"results-{lang}.html"
    page.write_text(render_results(result, lang), encoding="utf-8")
    dom = browser.run(page.as_uri(), tmp_path / "profile", browser.offline())
    headline, breakdowns = WORDS[lang]
    assert headline in dom and "CMP2605W" in dom
    assert breakdowns in dom.lower()
    assert dom.count("<svg") >= 5  # an interval chart per breakdown
    wanted = os.environ.get("CALLWISE_SCREENSHOTS")
    directory = Path(wanted) if wanted else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    shot = directory / f"results-{lang}.png"
    browser.run(page.as_uri(), tmp_path / "profile-shot", browser.offline(), screenshot=shot)
    assert shot.stat().st_size > 10_000
