"""The trigger catalogue loader: the shipped file, and ugly files refused in one sentence with file and line."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from callwise.moments import TriggerError, Triggers, UnknownTrigger, default_triggers, load_triggers

DEFAULT_IDS = [
    "salary_arrived",
    "large_inflow",
    "deposit_maturing",
    "wealth_maturing",
    "birthday",
    "repeated_product_views",
    "card_bill_due",
    "competitor_transfer_out",
]


def trigger(trigger_id: str, kind: str, **more: object) -> dict:
    return {
        "id": trigger_id,
        "name": {"zh": f"节点{trigger_id}", "en": f"Moment {trigger_id}"},
        "description": {"zh": "测试触发器", "en": "A test trigger"},
        "kind": kind,
        **more,
    }


def write(path: Path, *triggers: dict) -> Path:
    entries = [copy.deepcopy(t) for t in triggers]  # no YAML aliases: each entry written out in full
    text = yaml.safe_dump({"version": 1, "triggers": entries}, allow_unicode=True, sort_keys=False)
    path.write_text(text, "utf-8")
    return path


def catalogue_of(tmp_path: Path, *triggers: dict) -> Triggers:
    return load_triggers(write(tmp_path / "triggers.yaml", *triggers))


SALARY = trigger("salary", "transaction", transaction={"categories": ["工资"]}, validity={"days": 3})


def line_of_key(path: Path, key: str) -> int:
    """The first line of the file where ``key:`` is written (as a key of a mapping or a list item's first key)."""
    for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if text.strip().removeprefix("- ").startswith(f"{key}:"):
            return number
    raise AssertionError(f"{key} is not in {path}")


def refused(path: Path) -> TriggerError:
    with pytest.raises(TriggerError) as info:
        load_triggers(path)
    error = info.value
    assert "Traceback" not in str(error) and "\n" not in str(error)
    assert error.message("zh") != str(error)  # said in both languages
    return error


def test_the_shipped_catalogue_has_exactly_the_moments_of_the_brief():
    shipped = default_triggers()
    assert list(shipped.triggers) == DEFAULT_IDS
    assert shipped.get("birthday").validity.delta.days == 4
    assert shipped.get("salary_arrived").cooldown is not None
    for t in shipped:
        assert t.name_zh and t.name_en and t.description_zh and t.description_en
    with pytest.raises(UnknownTrigger) as info:
        shipped.get("birthdya")
    assert "did you mean 'birthday'" in str(info.value)


def test_a_good_file_loads_with_its_lines(tmp_path):
    loaded = catalogue_of(
        tmp_path,
        SALARY,
        trigger(
            "views",
            "event_repeat",
            event_repeat={"event": "view_product", "min_count": 2, "window": {"hours": 12}},
            validity={"hours": 6},
        ),
    )
    assert list(loaded.triggers) == ["salary", "views"]
    assert loaded.get("salary").line == 3 and loaded.get("views").line > 3
    assert loaded.get("views").validity.delta.total_seconds() == 6 * 3600
    dated = catalogue_of(
        tmp_path, trigger("bd", "date_ahead", date_ahead={"column": "customers.birth_date", "within": {"days": 2}})
    )
    assert dated.get("bd").validity.delta.days == 1  # a date_ahead moment lasts through the date by default


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ({**SALARY, "id": "Salary!"}, "id", "a trigger id is 2 to 64 lower-case letters"),
        ({**SALARY, "kind": "transactoin"}, "kind", "did you mean 'transaction'"),
        ({**SALARY, "validity": {"days": 0}}, "validity", "one of days: or hours:"),
        ({**SALARY, "validity": {"days": 2, "hours": 3}}, "validity", "one of days: or hours:"),
        ({**SALARY, "validity": {"days": 400}}, "validity", "at most 366 days"),
        ({**SALARY, "validity": {"days": "three"}}, "days", "whole number"),
        ({k: v for k, v in SALARY.items() if k != "validity"}, "kind", "needs validity:"),
        ({k: v for k, v in SALARY.items() if k != "transaction"}, "kind", "needs a transaction: block"),
        (
            {**SALARY, "date_ahead": {"column": "customers.birth_date", "within": {"days": 3}}},
            "date_ahead",
            "only for triggers of kind: date_ahead",
        ),
        ({**SALARY, "transaction": {"direction": "in"}}, "transaction", "min_amount: or income_multiple:"),
        ({**SALARY, "transaction": {"categories": ["工资"], "min_amount": -5}}, "min_amount", "min_amount"),
        ({**SALARY, "colour": "red"}, "colour", "unknown key 'colour'"),
        ({**SALARY, "where": "income_monthly >="}, "where", "where: expression"),
        ({**SALARY, "where": "income_monthly + 1"}, "where", "must be a condition"),
        ({**SALARY, "where": "phone == '1'"}, "where", "phone"),
        ({**SALARY, "where": "__import__('os').system('x')"}, "where", "where: expression"),
        (
            trigger("bill", "date_ahead", date_ahead={"column": "events.detail", "within": {"days": 3}}),
            "column",
            "needs event:",
        ),
        (
            trigger(
                "bd",
                "date_ahead",
                date_ahead={"column": "customers.birth_date", "category": "deposit", "within": {"days": 3}},
            ),
            "category",
            "category: is only for",
        ),
        (
            trigger("bd", "date_ahead", date_ahead={"column": "customers.name", "within": {"days": 3}}),
            "column",
            "customers.birth_date",
        ),
        (
            trigger(
                "bd",
                "date_ahead",
                date_ahead={"column": "customers.birth_date", "within": {"days": 3}},
                cooldown={"days": 2},
            ),
            "cooldown",
            "cooldown: is only for",
        ),
    ],
)
def test_a_bad_trigger_is_refused_at_its_line(tmp_path, entry, key, words):
    path = write(tmp_path / "t.yaml", entry)
    line = line_of_key(path, key)
    error = refused(path)
    assert error.line == line, str(error)
    assert words in str(error)
    assert str(error).startswith(f"{tmp_path / 't.yaml'}:{line}")


def test_a_duplicate_id_is_refused_at_the_second(tmp_path):
    error = refused(write(tmp_path / "t.yaml", SALARY, SALARY))
    second = [n for n, text in enumerate(path_lines(tmp_path / "t.yaml"), start=1) if "id: salary" in text][1]
    assert "the trigger id 'salary' is used twice" in str(error) and error.line == second


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"version: 1\ntriggers: []\n", "triggers"),
        ("triggers:\n  - id: 工资\n".encode("gbk"), "UTF-8"),
        (b"version: 1\nversion: 2\ntriggers: []\n", "twice"),
        (b"triggers: [\n", "YAML"),
        (b"- just\n- a list\n", "mapping of keys"),
        (b"version: 1\ntriggers:\n  - id: " + b"x" * 2_000_000 + b"\n", "larger than 1 MB"),
    ],
)
def test_ugly_files_are_refused_in_one_sentence(tmp_path, raw, words):
    path = tmp_path / "t.yaml"
    path.write_bytes(raw)
    error = refused(path)
    assert words.lower() in str(error).lower(), str(error)


def path_lines(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def test_a_missing_file_names_the_kind(tmp_path):
    error = refused(tmp_path / "nope.yaml")
    assert "trigger catalogue file" in str(error)
    assert "触发器目录文件" in error.message("zh")


def test_a_huge_name_is_refused(tmp_path):
    error = refused(write(tmp_path / "t.yaml", {**SALARY, "name": {"zh": "长" * 5000, "en": "x"}}))
    assert error.line == line_of_key(tmp_path / "t.yaml", "zh") and "name.zh" in str(error)
