"""Parsing of the YAML files people write, with the line (and column) of every problem.

The document is composed into nodes once (each node knows its line) and constructed from those same nodes,
so the values checked and the lines reported can never disagree. Two YAML 1.1 surprises are switched off:
``21:00`` is not the base-60 integer 1260 and ``2026-13-01`` is not a crash in the date parser; both stay
text and are checked by the file's model with a readable message. A problem is a :class:`YamlProblem` whose
reason is a catalogue message (zh and en); :mod:`callwise.configfile` turns it into the file's own error.

Limits, so no file can exhaust the machine: at most ``MAX_BYTES``; anchors and aliases are allowed but the
document they expand to may hold at most ``MAX_VALUES`` values ("billion laughs" is refused before it is
built); nesting deeper than Python's stack allows is refused as "nested too deeply".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from callwise.i18n.errors import Term
from callwise.i18n.message import msg

MAX_BYTES = 1 << 20  # configuration files are a few kilobytes
MAX_VALUES = 100_000  # keys, values and list items, counting each alias as the values it stands for


class YamlProblem(ValueError):
    """A document that is not usable YAML; ``line`` (and ``column``, when known) are 1-based."""

    def __init__(self, line: int, reason: Term, column: int | None = None) -> None:
        super().__init__(reason.say("en"))
        self.line = line
        self.column = column
        self.reason = reason


class _Loader(yaml.SafeLoader):
    """Safe loader with decimal numbers only and dates left as text."""


_DROPPED = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)


@dataclass(frozen=True)
class Document:
    data: Any
    root: yaml.Node


def parse(raw: bytes) -> Document:
    """Decode (UTF-8, with or without BOM) and parse one YAML document, keeping its node tree."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlProblem(raw[: exc.start].count(b"\n") + 1, msg("config.yaml.not_utf8")) from None
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters (NUL …) here already
        root = loader.get_single_node()
        if root is None:
            raise YamlProblem(1, msg("config.yaml.empty"))
        _check_tree(root)
        data = loader.construct_document(root)
    except RecursionError:
        raise YamlProblem(1, msg("config.yaml.too_deep")) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, msg("config.yaml.control_char", code=f"#x{exc.character:04x}")) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax(exc) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, msg("config.yaml.invalid", detail=str(exc).splitlines()[0])) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(data, root)


# What PyYAML's complaint means, for the one who wrote the file (its own words are for YAML experts).
_SYNTAX = (
    ("mapping values are not allowed", "config.yaml.colon"),
    ("could not find expected ':'", "config.yaml.no_colon"),
    ("that cannot start any token", "config.yaml.bad_character"),
    ("expected <block end>", "config.yaml.indent"),
    ("did not find expected key", "config.yaml.indent"),
    ("did not find expected '-'", "config.yaml.indent"),
    ("found undefined alias", "config.yaml.alias"),
    ("found duplicate anchor", "config.yaml.anchor"),
    ("unknown escape character", "config.yaml.escape"),
    ("could not determine a constructor", "config.yaml.tag"),
    ("but found another document", "config.yaml.two_documents"),
    ("found unhashable key", "config.yaml.complex_key"),
)
_UNCLOSED = ("end of stream", "<stream end>")
_OPENERS = (("flow sequence", "["), ("flow mapping", "{"), ("double-quoted", '"'), ("quoted", "'"))


def _syntax(exc: yaml.MarkedYAMLError) -> YamlProblem:
    """One sentence for a syntax error, at the line and column where the writer can fix it."""
    problem = exc.problem or exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    context = exc.context or ""
    opened = next((o for word, o in _OPENERS if word in context), None)
    if any(end in problem for end in _UNCLOSED):
        if opened is not None and exc.context_mark is not None:
            mark = exc.context_mark  # an unclosed quote or bracket: where it was opened, not the end of the file
            return YamlProblem(mark.line + 1, msg("config.yaml.unclosed", opener=opened), mark.column + 1)
        return YamlProblem(mark.line + 1 if mark else 1, msg("config.yaml.ends_early"))
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # the key without its colon, not the line after it
    key = next((k for text, k in _SYNTAX if text in problem), None)
    reason = msg(key) if key is not None else msg("config.yaml.invalid", detail=problem)
    if key == "config.yaml.bad_character":
        char = re.search(r"found character (.+?) that", problem)
        reason = msg(key, character=char.group(1) if char else "?")
    return YamlProblem(mark.line + 1 if mark else 1, reason, mark.column + 1 if mark else None)


def _line_of_key(node: yaml.MappingNode, name: str) -> int:
    return int(next(k.start_mark.line for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value == name)) + 1


INT_TAG = "tag:yaml.org,2002:int"
MAX_DIGITS = 100  # no setting needs more; Python refuses to build an int of over 4,300 digits with a traceback


def _check_tree(root: yaml.Node) -> None:
    """Refuse keys written twice and documents that expand past ``MAX_VALUES`` values.

    A key written twice would silently keep only the last value: in a policy file that hides a rule. The walk
    follows aliases as the loaded document will, so it counts what an alias bomb would build, and stops early.
    """
    stack, seen_values = [root], 0
    while stack:
        node = stack.pop()
        seen_values += 1
        if seen_values > MAX_VALUES:
            line = node.start_mark.line + 1
            raise YamlProblem(line, msg("config.yaml.too_many_values", limit=f"{MAX_VALUES:,}"))
        children = node.value if isinstance(node, yaml.SequenceNode) else []
        if isinstance(node, yaml.ScalarNode) and node.tag == INT_TAG and len(node.value) > MAX_DIGITS:
            raise YamlProblem(node.start_mark.line + 1, msg("config.yaml.number_too_long", limit=MAX_DIGITS))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        line, first = key.start_mark.line + 1, _line_of_key(node, key.value)
                        raise YamlProblem(line, msg("config.yaml.duplicate_key", name=key.value, first=first))
                    keys.add(key.value)
            children = [value for _, value in node.value]
        stack.extend(reversed(children))  # popped in document order, so the first problem is the one reported


def line_of(root: yaml.Node, loc: tuple[str | int, ...]) -> int:
    """The 1-based line of the deepest key (or list item) of ``loc`` present in the document."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return int(line)
