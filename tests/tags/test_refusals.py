"""Every refusal of the catalogue loader names the file, the line of the key at fault and the reason."""

from __future__ import annotations

import re

import pytest

from callwise.tags import CatalogueError, load_catalogue
from callwise.tags.expr import MAX_CHARS, MAX_DEPTH

from .helpers import entry, write

GOOD = entry("good", "balance_total >= 1000000", "flag")


def _refused(tmp_path, *tags: dict, raw: str | None = None) -> CatalogueError:
    path = tmp_path / "bad.yaml"
    if raw is not None:
        path.write_text(raw, encoding="utf-8")
    else:
        write(path, *tags)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    error = caught.value
    assert str(error).startswith(f"{path}:"), str(error)
    assert error.message("zh") != str(error)  # said in both languages
    return error


def _line_of(tmp_path, key: str, occurrence: int = 1) -> int:
    lines = (tmp_path / "bad.yaml").read_text(encoding="utf-8").splitlines()
    found = [i + 1 for i, line in enumerate(lines) if line.lstrip(" -").startswith(f"{key}:")]
    return found[occurrence - 1]


def test_a_cycle_is_refused_naming_it(tmp_path):
    error = _refused(tmp_path, GOOD, entry("aa", "bb + 1"), entry("bb", "aa * 2"))
    assert "aa → bb → aa" in str(error) and "cycle" in str(error)
    assert error.line == _line_of(tmp_path, "definition", 2)
    assert "循环" in error.message("zh")


def test_a_tag_reading_itself_is_a_cycle(tmp_path):
    error = _refused(tmp_path, entry("selfish", "selfish + 1"))
    assert "selfish → selfish" in str(error)


def test_an_unknown_column_is_refused_with_the_closest_name(tmp_path):
    error = _refused(tmp_path, GOOD, entry("rich", "balance_totl >= 5"))
    assert "unknown name 'balance_totl'" in str(error) and "did you mean 'balance_total'" in str(error)
    assert error.line == _line_of(tmp_path, "definition", 2)
    assert "column 1 of the expression" in str(error)


def test_an_unknown_table_column_is_refused_with_the_closest_name(tmp_path):
    error = _refused(tmp_path, entry("spent", "sum(transactions.amont, days=30)"))
    assert "the table transactions has no column 'amont'" in str(error) and "did you mean 'amount'" in str(error)


def test_personal_data_is_refused(tmp_path):
    for name in ("phone", "name", "id_number", "phone_token", "name_masked"):
        error = _refused(tmp_path, entry("pii", f"is_null({name})", "flag"))
        assert f"'{name}' is personal data" in str(error)


@pytest.mark.parametrize(
    ("tag", "field", "words"),
    [
        (entry("health_status_poor", "age > 30", "flag"), "id", "health status"),
        (entry("x1", "age > 30", "flag", zh="慢性疾病"), "zh", "health status"),
        (entry("x2", "age > 30", "flag", zh="少数民族"), "zh", "ethnicity"),
        (entry("x3", "age > 30", "flag", zh="宗教信仰"), "zh", "religion"),
        (entry("x4", "age > 30", "flag", zh="未成年客户"), "zh", "minors"),
        (entry("x5", "age > 30", "flag", zh="性取向"), "zh", "sexual orientation"),
        (entry("x6", "age > 30", "flag", zh="党员"), "zh", "political views"),
    ],
)
def test_a_forbidden_topic_is_refused_naming_the_tag_and_why(tmp_path, tag, field, words):
    error = _refused(tmp_path, GOOD, tag)
    assert f"the tag '{tag['id']}' speaks of a topic forbidden for targeting: {words}" in str(error)
    assert error.line == _line_of(tmp_path, field, 2 if field == "id" else 3)  # zh: of the name, not the description


def test_health_insurance_is_a_product_not_a_topic(tmp_path):
    path = write(
        tmp_path / "ok.yaml",
        entry("health_insurance", "exists(holdings, where=category == 'insurance')", "flag", zh="持有健康险"),
    )
    assert load_catalogue(path).get("持有健康险").id == "health_insurance"


@pytest.mark.parametrize(
    "definition",
    [
        "age < 18",
        "age <= 17",
        "18 > age",
        "between(age, 0, 17)",
        "age in [12, 16]",
        "age == 15",
        "bucket(age, [18, 60], ['a', 'b', 'c']) == 'a'",
    ],
)
def test_a_definition_singling_out_minors_is_refused(tmp_path, definition):
    error = _refused(tmp_path, entry("young", definition, "flag"))
    assert "selects customers under 18" in str(error)
    assert error.line == _line_of(tmp_path, "definition")


def test_adults_and_wide_bands_are_not_minors(tmp_path):
    path = write(tmp_path / "ok.yaml", entry("adult", "age >= 18", "flag"), entry("young_adult", "age < 30", "flag"))
    assert set(load_catalogue(path).tags) == {"adult", "young_adult"}


def test_a_column_named_after_a_forbidden_topic_is_refused(tmp_path):
    error = _refused(tmp_path, entry("faithful", "religion == 'x'", "flag"))
    assert "the column 'religion' speaks of a topic forbidden for targeting" in str(error)


UNSAFE = {
    "__import__('os').system('id')": "attribute access",
    "__import__('os')": "unknown function '__import__'",
    "().__class__": "attribute access",
    "balance_total.__class__": "attribute access",
    "(lambda: 1)()": "lambda",
    "[1, 2][0]": "subscripts",
    "age[0]": "subscripts",
    "[x for x in [1, 2]]": "comprehensions",
    "{x for x in [1]}": "comprehensions",
    "f'{age}'": "f-strings",
    "age ** 2": "the operator ** is not allowed",
    "age // 2": "the operator // is not allowed",
    "age if dnc else 0": "use if_else",
    "open('/etc/passwd')": "unknown function 'open'",
    "eval('1')": "unknown function 'eval'",
    "abs(x=age)": "takes no argument x=",
    "abs(*[age])": "arguments",
    "(age := 3)": "assignments",
    "age is None": "use is_null",
    "age == None": "use is_null",
    "count(transactions, days=30.5)": "days= must be a whole number",
    "count(holdings, days=30)": "days= is not allowed",
    "count(transactions, where=count(events) > 1)": "cannot be used inside where=",
    "transactions": "can only be read through count()",
    "age +": "not well formed",
}


@pytest.mark.parametrize("definition", list(UNSAFE))
def test_an_unsafe_expression_is_refused_with_file_line_and_reason(tmp_path, definition):
    error = _refused(tmp_path, GOOD, entry("bad", definition))
    assert UNSAFE[definition] in str(error), str(error)
    assert error.line == _line_of(tmp_path, "definition", 2)


def test_a_very_long_expression_is_refused(tmp_path):
    long = " + ".join(["age"] * (MAX_CHARS // 6 + 1))
    error = _refused(tmp_path, entry("long", long))
    assert f"at most {MAX_CHARS:,} are allowed" in str(error)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 200, 5_000])
def test_a_deeply_nested_expression_is_refused(tmp_path, depth):
    nested = "abs(" * depth + "age" + ")" * depth
    if len(nested) > MAX_CHARS:
        nested = "(" * depth + "age" + ")" * depth  # brackets alone: Python's parser limit, then ours
    error = _refused(tmp_path, entry("deep", nested[:MAX_CHARS] if len(nested) <= MAX_CHARS else "-" * 1500 + "age"))
    assert "nested too deeply" in str(error) or "at most" in str(error)


def test_nesting_within_the_limit_is_fine(tmp_path):
    nested = "abs(" * (MAX_DEPTH - 2) + "age" + ")" * (MAX_DEPTH - 2)
    assert load_catalogue(write(tmp_path / "ok.yaml", entry("deep", nested))).tags["deep"]


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        (entry("fx", "age + 1", "flag"), "a tag with value: flag needs a definition giving a condition"),
        (entry("nx", "age > 1", "number"), "a tag with value: number needs a definition giving a number"),
        (entry("lx", "age", "level", levels=["a"]), "a tag with value: level needs a definition giving text"),
        (entry("l2", "if_else(age > 50, 'old', 'young')", "level", levels=["old"]), "can give 'young'"),
        (entry("l3", "bucket(age, [40], ['a', 'b'])", "level", levels=["a", "c"]), "can give 'b'"),
        (entry("cmp", "gender > 3", "flag"), "cannot compare text with a number"),
        (entry("bx", "bucket(age, [60, 40], ['a', 'b', 'c'])", "level", levels=["a", "b", "c"]), "increasing"),
        (entry("b2x", "bucket(age, [40], ['a'])", "level", levels=["a"]), "needs 2 non-empty text labels"),
    ],
)
def test_value_types_are_checked_at_load(tmp_path, tag, reason):
    error = _refused(tmp_path, tag)
    assert reason in str(error), str(error)
    assert error.line == _line_of(tmp_path, "definition")


def test_levels_belong_to_level_tags_only(tmp_path):
    error = _refused(tmp_path, entry("lv", "bucket(age, [40], ['a', 'b'])", "level"))
    assert "needs levels:" in str(error) and error.line == _line_of(tmp_path, "value")
    error = _refused(tmp_path, entry("fl", "age > 3", "flag", levels=["a"]))
    assert "levels: is only for tags with value: level" in str(error) and error.line == _line_of(tmp_path, "levels")


def test_duplicate_ids_and_chinese_names_are_refused_at_the_id_line(tmp_path):
    error = _refused(tmp_path, GOOD, entry("good", "age > 1", "flag"))
    assert "the tag id 'good' is used twice" in str(error) and error.line == _line_of(tmp_path, "id", 2)
    error = _refused(tmp_path, GOOD, entry("other", "age > 1", "flag", zh="标签good"))
    assert "the name '标签good' is already used by the tag 'good'" in str(error)
    assert error.line == _line_of(tmp_path, "id", 2)


def test_a_chinese_name_must_be_nameable_in_an_expression(tmp_path):
    error = _refused(tmp_path, entry("sp", "age > 1", "flag", zh="高 净值"))
    assert "cannot be named in an expression" in str(error)


def test_a_normal_tag_may_not_read_a_sensitive_one(tmp_path):
    error = _refused(
        tmp_path, entry("secret", "age > 50", "flag", sensitivity="sensitive"), entry("open_", "secret", "flag")
    )
    assert "reads the sensitive tag 'secret'" in str(error)


def test_the_file_itself_is_checked_like_every_config_file(tmp_path):
    error = _refused(tmp_path, raw="version: 1\ntags:\n  - id: x1\n    id: x2\n")
    assert "bad.yaml:4" in str(error)
    error = _refused(tmp_path, raw="version: 1\ntags:\n  - {id: BAD, name: {zh: a, en: b}}\n")
    assert error.line == 3
    tag = entry("ok1", "age > 1", "flag")
    tag["colour"] = "red"
    error = _refused(tmp_path, tag)
    assert "colour" in str(error) and error.line == _line_of(tmp_path, "colour")


@pytest.mark.parametrize(
    "hostile",
    [
        '"\\x00age"',
        '"age\\u202e > 1"',
        "!!python/object/apply:os.system ['id']",
        "'{{7*7}}'",
        '"\'; DROP TABLE customers; --"',
        '"age > 1; import os"',
    ],
)
def test_hostile_strings_in_yaml_are_refused_without_running_anything(tmp_path, hostile):
    raw = (
        "version: 1\ntags:\n  - id: hostile\n    name: {zh: 恶意, en: Hostile}\n"
        "    description: {zh: 测试, en: test}\n    category: basic\n    kind: rule\n    value: flag\n"
        f"    definition: {hostile}\n    owner: x\n    refresh: daily\n"
    )
    error = _refused(tmp_path, raw=raw)
    assert error.line in (1, 9), str(error)
    assert re.search(r"bad\.yaml:\d+", str(error))
