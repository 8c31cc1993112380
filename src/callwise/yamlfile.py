"""YAML configuration files (contact policy, follow-up rules, dialer mappings) refused with the line at fault.

The document is composed into nodes once (each node knows its line) and constructed from those same nodes,
so the values checked and the lines reported can never disagree. Two YAML 1.1 surprises are switched off:
``21:00`` is not the base-60 integer 1260 and ``2026-13-01`` is not a crash in the date parser; both stay
text and are checked by the file's model with a readable message. A refusal reads ``<file>:<line>: <reason>``;
each file's own checks (legal floors, cross references) live with its model.

Limits, so no file can exhaust the machine: at most ``MAX_BYTES``; anchors and aliases are allowed but the
document they expand to may hold at most ``MAX_VALUES`` values ("billion laughs" is refused before it is
built); nesting deeper than Python's stack allows is refused as "nested too deeply".
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

MAX_BYTES = 1 << 20  # configuration files are a few kilobytes
MAX_VALUES = 100_000  # keys, values and list items, counting each alias as the values it stands for


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
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters (NUL …) here already
        root = loader.get_single_node()
        if root is None:
            raise YamlProblem(1, "the file is empty")
        _check_tree(root)
        data = loader.construct_document(root)
    except RecursionError:
        raise YamlProblem(1, "the document is nested too deeply") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, f"the control character #x{exc.character:04x} is not allowed in YAML") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(line, f"not valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"not valid YAML ({exc.__class__.__name__})") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(data, root)


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
            reason = f"the document expands to more than {MAX_VALUES:,} values (through anchors and aliases)"
            raise YamlProblem(line, reason)
        children = node.value if isinstance(node, yaml.SequenceNode) else []
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        raise YamlProblem(key.start_mark.line + 1, f"key '{key.value}' is written twice")
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
    return line


M = TypeVar("M", bound=BaseModel)

KINDS = {  # pydantic error types in the words of a configuration file
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "model_type": "a mapping",
    "dict_type": "a mapping",
}


def read_bytes(path: str | Path, what: str, error: type[ValueError]) -> bytes:
    """The file's bytes, or ``error("<file>:1: …")`` naming what kind of file was expected."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}:1: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}:1: is a directory, not a {what}") from None
    if len(raw) > MAX_BYTES:
        raise error(f"{path}:1: larger than {MAX_BYTES >> 20} MB; a {what} is a few kilobytes")
    return raw


def load_model(raw: bytes, label: str, model: type[M], what: str, error: type[ValueError]) -> tuple[M, Document]:
    """Parse and validate; any problem is ``error("<label>:<line>: <reason>")``."""
    doc = parse_mapping(raw, label, what, error)
    return validate(doc, label, model, error), doc


def parse_mapping(raw: bytes, label: str, what: str, error: type[ValueError]) -> Document:
    """The YAML document, which must be a mapping (a file's top level is always keys and values)."""
    try:
        doc = parse(raw)
    except YamlProblem as exc:
        reason = (
            f"the file is empty; a {what} is a mapping" if exc.reason.startswith("the file is empty") else exc.reason
        )
        raise error(f"{label}:{exc.line}: {reason}") from None
    if not isinstance(doc.data, dict):
        raise error(f"{label}:{doc.root.start_mark.line + 1}: a {what} must be a mapping of keys to values")
    return doc


def validate(doc: Document, label: str, model: type[M], error: type[ValueError]) -> M:
    """``model`` from the document's data; the first error (by line) is raised with its line."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        # A misspelt key is also a missing one: say "unknown key … did you mean" before "… is required".
        errors = [
            (e["type"] == "missing", line_of(doc.root, tuple(e["loc"])), i, e) for i, e in enumerate(exc.errors())
        ]
        _, line, _, first = min(errors, key=lambda x: x[:3])
        raise error(f"{label}:{line}: {reason_for(first, model)}") from None


def reason_for(error: ErrorDetails, model: type[BaseModel]) -> str:
    """One sentence for a pydantic error, in the terms of the file (key names, not Python types)."""
    loc = tuple(error["loc"])
    where = ".".join(str(p) for p in loc if isinstance(p, str)) or "the file"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        known = known_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'{suggest(str(loc[-1]), known)}; allowed: {', '.join(known)}"
    if kind == "missing":
        return f"'{where}' is required"
    if kind in KINDS:
        return f"{where} must be {KINDS[kind]}, not {value!r}"
    if kind == "literal_error":
        expected = error["ctx"]["expected"]
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        return f"{where} must be one of {expected}, not {value!r}{suggest(str(value), options)}"
    if kind == "string_pattern_mismatch":
        return f"{where} {value!r} may only hold letters, digits, '_' and '-'"
    if kind in ("string_too_short", "too_short"):
        return f"{where} must not be empty"
    if kind == "value_error":
        return f"{where}: {error['ctx']['error']}"
    return f"{where}: {error['msg']}"


def known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` (list indexes and mapping keys step into the item type)."""
    current: Any = model
    for part in loc:
        current = _required(current)
        if typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        elif _is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    current = _required(current)
    return list(current.model_fields) if _is_model(current) else []


def _required(annotation: Any) -> Any:
    """``X`` for ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def problem(error: type[ValueError], label: str, doc: Document, loc: tuple[str | int, ...], reason: str) -> ValueError:
    """An error for a check done after validation, at the line of ``loc``."""
    return error(f"{label}:{line_of(doc.root, loc)}: {reason}")
