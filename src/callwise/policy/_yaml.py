"""YAML reading that keeps line numbers, so a refused policy file names the line at fault.

The document is composed into nodes once (each node knows its line) and constructed from those same nodes,
so the values checked and the lines reported can never disagree. Two YAML 1.1 surprises are switched off:
``21:00`` is not the base-60 integer 1260 and ``2026-13-01`` is not a crash in the date parser; both stay
text and are checked by the policy model with a readable message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml


class YamlProblem(ValueError):
    """A document that is not usable YAML; ``line`` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
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
        raise YamlProblem(raw[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text") from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise YamlProblem(1, "the file is empty; a policy needs at least 'name' and 'version'")
        _refuse_duplicate_keys(root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(line, f"not valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"not valid YAML ({exc.__class__.__name__})") from None
    finally:
        loader.dispose()
    return Document(data, root)


def _refuse_duplicate_keys(node: yaml.Node) -> None:
    """A key written twice would silently keep only the last value: in a policy file that hides a rule."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise YamlProblem(key.start_mark.line + 1, f"key '{key.value}' is written twice")
                seen.add(key.value)
            _refuse_duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item)


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
    return line
