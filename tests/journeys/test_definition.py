"""The journey file: a good one loads; every ugly one is one sentence in zh and en naming the file and line."""

from __future__ import annotations

import re

import pytest

from callwise.journeys.definition import JourneyError, journey_from_bytes, load_journey
from tests.journeys.conftest import CARE

GOOD = """id: j
name: {zh: 旅程, en: Journey}
entry:
  moment: [salary_arrived]
steps:
  - id: a
    action: {channel: sms, template: t}
    next: w
  - id: w
    wait: {for: PT2H}
    next: b
  - id: b
    branch: {event: clicked, within: P1D, then: done, else: done}
  - id: done
    exit: completed
templates:
  t: {zh: "【银行】好", en: "[Bank] hi"}
"""


def _refused(text: str | bytes) -> JourneyError:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(JourneyError) as caught:
        journey_from_bytes(raw, "j.yaml")
    error = caught.value
    en, zh = error.message("en"), error.message("zh")
    assert en.startswith("j.yaml") and zh.startswith("j.yaml")
    assert "Traceback" not in en and "\n" not in en.strip()
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("旅程", ""))  # English says it in English
    assert re.search(r"[\u4e00-\u9fff]", zh)  # and Chinese in Chinese
    return error


def test_a_good_file_loads_with_a_stable_digest():
    journey = journey_from_bytes(GOOD.encode(), "j.yaml")
    assert journey.first.id == "a" and journey.step("b").branch is not None
    again = journey_from_bytes(GOOD.replace("\n", "\n\n").encode(), "j.yaml")
    assert again.sha256 == journey.sha256  # the content decides the version, not the layout
    assert journey_from_bytes(CARE, "care.yaml").product_id == "P1"


@pytest.mark.parametrize(
    "change, line, words",
    [
        (("next: w", "next: nowhere"), 8, "no step 'nowhere'"),
        (("then: done", "then: ghost"), 13, "no step 'ghost'"),
        (("channel: sms", "channel: fax"), 7, "'fax'"),
        (("for: PT2H", "for: P200D"), 10, "out of range"),
        (("for: PT2H", "for: PT10S"), 10, "out of range"),
        (("for: PT2H", "for: soon"), 10, "soon"),
        (("within: P1D", "within: P1M"), 13, "P1M"),
        (("event: clicked", "event: liked"), 13, "'liked'"),
        (("exit: completed", "exit: happy"), 15, "'happy'"),
        (("template: t}", "template: nope}"), 7, "no template 'nope'"),
        (("id: w\n", "id: a\n"), 9, "used twice"),
        (("  moment: [salary_arrived]", "  moment: [salary_arrived]\n  tag: vip"), 3, "exactly one of moment"),
        (("id: j", 'id: "j\'; DROP TABLE journeys;--"'), 1, "id"),
        (("id: a\n", 'id: "a\\u0000"\n'), 6, "id"),
        (("next: b\n", "next: b\n    on_refused: done\n"), 9, "only an action"),
        (("    wait: {for: PT2H}", "    wait: {for: PT2H, until: '09:00'}"), 10, "exactly one of for or until"),
        (("    wait: {for: PT2H}", "    wait: {until: '25:00'}"), 10, "25:00"),
    ],
)
def test_an_ugly_file_is_one_sentence_at_its_line(change, line, words):
    old, new = change
    assert old in GOOD
    error = _refused(GOOD.replace(old, new, 1))
    assert error.line == line, error.message("en")
    assert words in error.message("en")


def test_a_cycle_is_refused_at_the_step_that_closes_it():
    error = _refused(GOOD.replace("then: done, else: done", "then: a, else: done"))
    assert "leads back to itself" in error.message("en") and "不能成环" in error.message("zh")


def test_a_step_nothing_leads_to_is_refused():
    text = GOOD.replace("  - id: done\n", "  - id: lost\n    exit: timed_out\n  - id: done\n")
    error = _refused(text)
    assert "'lost'" in error.message("en") and error.line == 14


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"", "empty"),
        (b"   \n# nothing\n", "empty"),
        (GOOD.encode("gbk"), "UTF-8"),
        (b"- a\n- b\n", "journey file"),
        (b"id: j\nid: k\n", "id"),
        (GOOD.replace("id: j\n", "").encode(), "id"),
        (GOOD.replace("steps:", "stepz:").encode(), "stepz"),
        (b"id: [unclosed\n", "j.yaml:"),
        (GOOD.replace('"[Bank] hi"', '"' + "x" * 5000 + '"').encode(), "1000"),
        (GOOD.replace("{zh: 旅程, en: Journey}", "{zh: 旅程, en: " + "y" * 300 + "}").encode(), "name.en"),
    ],
)
def test_unusable_files_say_why(raw, words):
    error = _refused(raw)
    assert words in error.message("en"), error.message("en")


def test_a_missing_file_names_the_kind_of_file(tmp_path):
    with pytest.raises(JourneyError) as caught:
        load_journey(tmp_path / "nope.yaml")
    assert "journey file" in caught.value.message("en") and "客户旅程文件" in caught.value.message("zh")


def test_the_shipped_example_loads():
    from importlib.resources import files

    path = files("callwise.journeys") / "examples" / "deposit_maturity.yaml"
    journey = journey_from_bytes(path.read_bytes(), "deposit_maturity.yaml")
    assert journey.first.id == "push" and journey.entry.kind == "moment" and len(journey.steps) == 8
