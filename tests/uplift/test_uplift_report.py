"""The uplift report: the same figures give the same bytes, in zh-CN and English, and nothing in it can run."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tests.report.test_report_languages import assert_in_language, assert_labels_whole
from tests.uplift.helpers import experiment

from callwise.report.svg import interval_chart
from callwise.uplift.metrics import evaluate_uplift
from callwise.uplift.report import render_uplift_report, write_uplift_reports

HOSTILE = "<script>alert(1)</script>=cmd|' /C calc'!A0"


def result(uplift: np.ndarray, y: np.ndarray, treatment: np.ndarray, **extra) -> dict:
    facts = {
        "source": f"/data/{HOSTILE}.csv",
        "target": "bought",
        "treatment": "group",
        "treated_value": "call",
        "control_value": "hold",
        "dropped_no_target": 3,
        "positives": int(y.sum()),
        "learner": "t",
        "folds": 3,
        "cv_qini": {"t": 0.2, "s": None},
    }
    return {**evaluate_uplift(y, treatment, uplift), **facts, **extra}


@pytest.fixture(scope="module")
def figures() -> dict:
    _, y, treatment, true = experiment(2000)
    noisy = true + np.random.default_rng(0).normal(0, 0.05, len(true))
    return result(noisy, y, treatment)


def test_both_languages_hold_the_curve_the_deciles_the_calibration_and_the_learners(figures, tmp_path):
    written = write_uplift_reports(figures, tmp_path, name="uplift_t_cv")
    assert set(written) == {"zh", "en"}
    zh = (tmp_path / "uplift_t_cv_zh.html").read_text(encoding="utf-8")
    en = (tmp_path / "uplift_t_cv_en.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    zh_words = ("Qini 曲线", "十分位明细", "学习器的选择", "选中", "另有 3 行目标为空")
    en_words = ("Qini curve", "Deciles", "Choice of learner", "chosen", "3 more rows have no target")
    for html, words in ((zh, zh_words), (en, en_words)):
        assert all(w in html for w in words) and html.count("<svg") == 3 and "nan" not in html
    assert f"{figures['qini']:.3f}" in en and en.count("<tr>") >= 1 + 10 + 3  # header + deciles + learners
    assert "—" in en  # the learner without a Qini


def test_the_same_figures_give_the_same_bytes(figures):
    assert render_uplift_report(figures, "en") == render_uplift_report(dict(figures), "en")


def test_a_hostile_source_name_is_text_not_markup(figures):
    html = render_uplift_report(figures, "en")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_missing_figures_are_dashes_not_errors():
    """Deciles without a control row and a Qini that does not exist are shown as a dash."""
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0, 0] * 3)
    treatment = np.array([1] * 27 + [0] * 3)
    uplift = np.linspace(1, 0, 30)
    figures = result(uplift, y, treatment)
    assert any(d["observed"] is None for d in figures["deciles"])
    html = render_uplift_report(figures, "zh")
    assert "—" in html and "nan" not in html


def test_the_model_cards_facts_and_features_when_a_card_is_given(figures):
    card = {
        "learner": "t",
        "n_features": 3,
        "propensity": {"source": "share", "value": 0.5},
        "interval_members": 3,
        "callwise_version": "9.9.9",
        "top_features": {"a_small": 0.1, "z_large": 0.9},
    }
    html = render_uplift_report(dict(figures, card=card), "en")
    assert "Model card" in html and "the treated share in the data: 0.5000" in html and "9.9.9" in html
    assert html.count("<svg") == 4 and html.index("z_large") < html.index("a_small")  # largest first


def test_interval_bars_go_down_for_a_negative_uplift_and_skip_what_is_missing():
    svg = interval_chart(["1", "2", "3"], [0.02, -0.01, None], [0.0, -0.03, None], [0.04, 0.01, None],
                         [0.03, None, -0.02], "decile", "uplift", names=("observed", "predicted"))  # fmt: skip
    zero = float(re.search(r'<line x1="\d+" x2="[\d.]+" y1="([\d.]+)" y2="[\d.]+" stroke="#9ca3af"', svg).group(1))
    bars = [
        (float(y), float(h))
        for y, h in re.findall(
            r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#2563eb" fill-opacity', svg
        )
    ]
    (up_y, up_h), (down_y, _) = bars[:2]
    assert up_y + up_h == pytest.approx(zero) and down_y == pytest.approx(zero)
    assert svg.count("<circle") == 2 + 1  # two marks and the legend's


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_is_in_one_language_and_keeps_labels_whole(figures, lang):
    """The bank's own words (file, columns, group values, feature names) are data; all else is in ``lang``."""
    card = {
        "learner": "dr",
        "n_features": 2,
        "propensity": {"source": "estimated", "value": 0.31},
        "interval_members": 3,
        "callwise_version": "0.1",
        "top_features": {"age": 0.6, "a_bank_column_name_that_has_no_spaces_at_all_and_is_very_long": 0.4},
    }
    chinese = dict(figures, target="是否购买", treatment="组别", treated_value="外呼", control_value="对照", card=card)
    html = render_uplift_report(dict(chinese, source="/数据/实验.csv", learner="dr"), lang)
    assert_in_language(html, lang)
    assert_labels_whole(html, ["a_bank_column_name_that_has_no_spaces_at_all_and_is_very_long"])
