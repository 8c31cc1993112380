"""Topics a tag may not target, whatever its definition computes (checked when a catalogue is loaded).

A bank may not select customers for marketing by their health status, ethnicity, religion, sexual orientation or
political views, nor single out minors. A tag is refused when its id, names or description speak of one of
these topics, when its definition reads a column whose name does, or when it compares ``age`` so as to select
ages under 18. Product words are not topics: 健康险 (health insurance) is a product, 健康状况 (health status) is
a topic, so "健康" alone is not on the list.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from callwise.i18n.errors import Term
from callwise.i18n.message import msg

ADULT_AGE = 18


@dataclass(frozen=True)
class Topic:
    key: str  # catalogue key tags.topic.<key>
    zh: tuple[str, ...]  # substrings of Chinese text
    en: tuple[str, ...]  # English words or phrases (matched as whole words, any case)
    columns: tuple[str, ...]  # words of a column name (split on "_")


TOPICS = (
    Topic(
        "health",
        ("健康状况", "健康状态", "疾病", "病史", "诊断", "病情", "患病", "残疾"),
        ("health status", "health condition", "illness", "disease", "diagnosis", "medical history", "disability"),
        ("illness", "disease", "diagnosis", "medical", "disability", "sickness", "health_status"),
    ),
    Topic(
        "ethnicity",
        ("民族", "种族", "少数民族"),
        ("ethnicity", "ethnic", "race", "racial"),
        ("ethnicity", "ethnic", "race", "racial", "minzu", "nationality_ethnic"),
    ),
    Topic(
        "religion",
        ("宗教", "信仰", "教徒"),
        ("religion", "religious", "faith"),
        ("religion", "religious", "faith", "zongjiao"),
    ),
    Topic(
        "minors",
        ("未成年",),
        ("minor", "minors", "underage", "under-age", "under 18"),
        ("minor", "minors", "underage"),
    ),
    Topic(
        "orientation",
        ("性取向", "性倾向", "同性恋"),
        ("sexual orientation", "homosexual", "gay", "lesbian", "lgbt"),
        ("orientation", "sexual", "homosexual", "lgbt"),
    ),
    Topic(
        "politics",
        ("政治面貌", "政治观点", "政治倾向", "党派", "党员"),
        ("political", "politics", "party membership"),
        ("political", "politics", "party"),
    ),
)


def _english(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words) + r")(?![a-z])", re.IGNORECASE)


_EN = {topic.key: _english(topic.en) for topic in TOPICS}


def topic_in_text(text: str) -> Topic | None:
    """The forbidden topic ``text`` (a tag's id, name or description) speaks of, if any."""
    spaced = text.replace("_", " ")
    for topic in TOPICS:
        if any(word in text for word in topic.zh) or _EN[topic.key].search(spaced):
            return topic
    return None


def topic_in_column(name: str) -> Topic | None:
    """The forbidden topic a column name speaks of (its words split on ``_``), if any."""
    lowered = name.lower()
    words = set(lowered.split("_"))
    for topic in TOPICS:
        if any(w in words or ("_" in w and w in lowered) for w in topic.columns) or any(z in name for z in topic.zh):
            return topic
    return None


def selects_minors(tree: ast.expr) -> bool:
    """Whether the expression compares ``age`` so as to select only ages under 18 (``age < 18``, ``age <= 16``,
    ``between(age, 0, 17)``, ``age in [12, 15]``, a bucket with a cut at 18 or below)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if _is_age(left) and _minor_side(op, right, age_left=True):
                    return True
                if _is_age(right) and _minor_side(op, left, age_left=False):
                    return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args and _is_age(node.args[0]):
            if node.func.id == "between" and len(node.args) == 3:
                high = _number(node.args[2])
                if high is not None and high < ADULT_AGE:
                    return True
            if node.func.id == "bucket" and len(node.args) >= 2 and isinstance(node.args[1], ast.List):
                cuts = [_number(c) for c in node.args[1].elts]
                if any(c is not None and c <= ADULT_AGE for c in cuts):
                    return True
    return False


def _is_age(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("age", "年龄")


def _number(node: ast.expr) -> float | None:
    from callwise.tags.expr import number_of

    value = number_of(node)
    return None if value is None else float(value)


def _minor_side(op: ast.cmpop, other: ast.expr, age_left: bool) -> bool:
    if isinstance(op, (ast.In, ast.NotIn)):
        items = [_number(e) for e in other.elts] if isinstance(other, ast.List) else []
        return isinstance(op, ast.In) and any(v is not None and v < ADULT_AGE for v in items)
    value = _number(other)
    if value is None:
        return False
    if not age_left:  # 18 > age is age < 18
        flipped: dict[type, type] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
        op = flipped.get(type(op), type(op))()
    if isinstance(op, ast.Lt):
        return value <= ADULT_AGE
    if isinstance(op, ast.LtE):
        return value < ADULT_AGE
    if isinstance(op, ast.Eq):
        return value < ADULT_AGE
    return False


def reason(topic: Topic) -> Term:
    return msg(f"tags.topic.{topic.key}")
