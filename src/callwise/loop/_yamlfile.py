"""Read a small YAML configuration file into a pydantic model, refusing it with the line at fault.

The follow-up rules and the dialer mapping are validated the way the contact policy is: the policy's YAML
reader keeps every node's line, so a refusal reads ``<file>:<line>: <reason>``. Only the wording of the
reasons is shared here; each file's own checks (floors, cross references) live with its model.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from callwise.policy._yaml import Document, YamlProblem, line_of, parse

M = TypeVar("M", bound=BaseModel)

_KINDS = {
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
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}:1: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}:1: is a directory, not a {what}") from None


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


def reason_for(error: dict[str, Any], model: type[BaseModel]) -> str:
    """One sentence for a pydantic error, in the terms of the file (key names, not Python types)."""
    loc = tuple(error["loc"])
    where = ".".join(str(p) for p in loc if isinstance(p, str)) or "the file"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        known = known_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'{suggest(str(loc[-1]), known)}; allowed: {', '.join(known)}"
    if kind == "missing":
        return f"'{where}' is required"
    if kind in _KINDS:
        return f"{where} must be {_KINDS[kind]}, not {value!r}"
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
