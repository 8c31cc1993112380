"""The one loader of every configuration file a person writes (campaign, policy, follow-up rules, dialer mapping).

A file is read (size-capped), parsed by :mod:`callwise.yamlfile` (duplicate keys, limits, lines) and validated
by a model built on :class:`ConfigModel`. Every refusal is a :class:`ConfigError` reading
``<file>:<line>: <reason>``, worded from the catalogue in zh and en: a pydantic error is placed at the line of
its key, and an unknown key is answered with the keys allowed at that level and the closest one ("did you
mean 'capacity'?"). Each kind of file subclasses :class:`ConfigError` and keeps its own checks (legal floors,
cross references) next to its model, raising them through :func:`problem`.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from callwise.i18n import catalog
from callwise.i18n.errors import Term
from callwise.i18n.message import Localised, msg
from callwise.yamlfile import MAX_BYTES, Document, YamlProblem, line_of, parse

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound="ConfigError")

# pydantic error types in the words of a configuration file (catalogue keys config.type.*)
TYPES = {
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "string_type": "text",
    "list_type": "list",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
    "dict_type": "mapping",
    "date_type": "date",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
}
BOUNDS = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt", "less_than": "lt"}


class ConfigError(Localised):
    """A configuration file that cannot be used, at ``file:line`` (and ``column`` when known; no line when the
    file itself cannot be read)."""

    def __init__(self, file: str, line: int | None, reason: Term, column: int | None = None) -> None:
        where = f"{file}:{line}:{column}" if line and column else (f"{file}:{line}" if line else file)
        super().__init__(msg("config.at", where=where, reason=reason))
        self.file, self.line, self.column, self.reason = file, line, column, reason


class Invalid(Localised):
    """Raised by a model's validator: pydantic places it at its key's line, and the loader words it in kind.

    The sentence is shown after its dotted key (``capacity: …``), unless it names ``{parent}`` (the key above
    it, e.g. the rule of ``rules.dnc.enabled``) to place itself.
    """

    def __init__(self, message: Term) -> None:
        super().__init__(Term(message.key, (("parent", "-"), *message.values)))
        self.msg = message


class ConfigModel(BaseModel):
    """Base of every configuration file's model: no unknown keys, nothing changed after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def config_reason(cls, kind: str, loc: tuple[str | int, ...], known: list[str]) -> Term | None:
        """A file's own words for the pydantic error ``kind`` at ``loc`` (``known``: the keys allowed there);
        None: the generic sentence. Only the file's root model is asked."""
        return None


def read_config(path: str | Path, kind: str, error: type[E]) -> bytes:
    """The file's bytes, or ``error`` naming the kind of file expected (and, when missing, what is there)."""
    path = Path(path)
    label = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise error(label, None, msg("config.not_found", kind=_kind(kind), hint=_missing_hint(path))) from None
    except IsADirectoryError:
        raise error(label, None, msg("config.is_directory", kind=_kind(kind))) from None
    except PermissionError:
        raise error(label, None, msg("config.no_permission", kind=_kind(kind))) from None
    if len(raw) > MAX_BYTES:
        raise error(label, 1, msg("config.too_large", kind=_kind(kind), megabytes=MAX_BYTES >> 20))
    return raw


def parse_config(raw: bytes, label: str, kind: str, error: type[E]) -> Document:
    """The YAML document, which must be a mapping (a file's top level is always keys and values)."""
    try:
        doc = parse(raw)
    except YamlProblem as exc:
        reason = msg("config.empty", kind=_kind(kind)) if exc.reason.key == "config.yaml.empty" else exc.reason
        raise error(label, exc.line, reason, exc.column) from None
    if not isinstance(doc.data, dict):
        raise error(label, doc.root.start_mark.line + 1, msg("config.not_mapping", kind=_kind(kind)))
    return doc


def validate_config(doc: Document, label: str, model: type[M], kind: str, error: type[ConfigError]) -> M:
    """``model`` from the document's data; the first error (by line) is raised at its line.

    A file without any key ``kind`` requires, most of whose keys are unknown, is another kind of file (a policy
    given as the campaign): said as such, rather than as an unknown first key.
    """
    if _other_kind(set(map(str, doc.data)), model):
        known = ", ".join(model.model_fields)
        raise error(label, doc.root.start_mark.line + 1, msg("config.other_kind", kind=_kind(kind), known=known))
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        # A misspelt key is also a missing one: say "unknown key … did you mean" before "… is required".
        ranked = [
            (e["type"] == "missing", line_of(doc.root, tuple(e["loc"])), i, e) for i, e in enumerate(exc.errors())
        ]
        _, line, _, first = min(ranked, key=lambda x: x[:3])
        raise error(label, line, reason_for(first, model)) from None


def _other_kind(keys: set[str], model: type[BaseModel]) -> bool:
    fields = model.model_fields
    required = {name for name, field in fields.items() if field.is_required()}
    unknown = keys - set(fields)
    return bool(required) and not keys & required and 2 * len(unknown) > len(keys)


def load_config(raw: bytes, label: str, model: type[M], kind: str, error: type[E]) -> tuple[M, Document]:
    """Parse and validate; any problem is ``error`` at its line."""
    doc = parse_config(raw, label, kind, error)
    return validate_config(doc, label, model, kind, error), doc


def problem(error: type[E], label: str, doc: Document, loc: tuple[str | int, ...], reason: Term) -> E:
    """An error for a check done after validation, at the line of ``loc``."""
    return error(label, line_of(doc.root, loc), reason)


def reason_for(error: Any, model: type[BaseModel]) -> Term:
    """One sentence for a pydantic error, in the terms of the file (key names, not Python types)."""
    loc = tuple(error["loc"])
    where = ".".join(str(p) for p in loc if isinstance(p, str)) or "-"
    kind, value = error["type"], error.get("input")
    shown = _shown(value)
    known = known_keys(model, loc[:-1] if kind == "extra_forbidden" else loc)
    worded = model.config_reason(kind, loc, known) if issubclass(model, ConfigModel) else None
    if worded is not None:
        return worded
    if kind == "extra_forbidden":
        hint = suggest(str(loc[-1]), known)
        return msg("config.unknown_key", name=loc[-1], hint=hint, known=", ".join(known) or "-")
    if kind == "missing":
        return msg("config.required", where=where)
    if kind in TYPES:
        return msg("config.wrong_type", where=where, expected=msg(f"config.type.{TYPES[kind]}"), value=shown)
    if kind in BOUNDS:
        bound = BOUNDS[kind]
        return msg(f"config.bound.{bound}", where=where, limit=error["ctx"][bound], value=shown)
    if kind == "literal_error":
        # pydantic words the choices in English ("'a' or 'b'"): listed again, so both languages read the same list.
        options = [o.strip(" '") for o in error["ctx"]["expected"].replace(" or ", ", ").split(",")]
        expected = ", ".join(f"'{o}'" for o in options)
        return msg("config.one_of", where=where, expected=expected, value=shown, hint=suggest(str(value), options))
    if kind == "string_pattern_mismatch":
        return msg("config.pattern", where=where, value=shown)
    if kind in ("string_too_short", "too_short"):
        return msg("config.not_empty", where=where)
    if kind in ("string_too_long", "too_long"):
        return msg("config.too_long", where=where, limit=error["ctx"].get("max_length", "?"))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, Localised):
        if where == "-":  # the file as a whole (a check across keys): the sentence names its keys itself
            return cause.msg
        if "{parent}" not in catalog()[cause.msg.key]["en"]:
            return msg("config.invalid", where=where, detail=cause.msg)
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "-")
        return msg(cause.msg.key, **{**dict(cause.msg.values), "parent": parent})
    if kind == "value_error":
        return msg("config.invalid", where=where, detail=str(cause))
    return msg("config.invalid", where=where, detail=error["msg"])


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


def suggest(name: str, known: list[str] | tuple[str, ...]) -> Term | str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return msg("config.did_you_mean", name=close[0]) if close else ""


def _required(annotation: Any) -> Any:
    """``X`` for ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _kind(kind: str) -> Term:
    return msg(f"config.kind.{kind}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _missing_hint(path: Path) -> Term | str:
    """What a first-time user needs when the file is not there: a missing folder, a near name, the YAML files."""
    folder = path.parent
    if not folder.is_dir():
        return msg("config.missing_folder", folder=str(folder))
    try:
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    except OSError:
        return ""
    stems = {Path(name).stem: name for name in names}  # "nope" is not near "c" for sharing ".yaml"
    close = difflib.get_close_matches(path.stem, list(stems), n=1, cutoff=0.7)
    if close:
        return msg("config.did_you_mean", name=stems[close[0]])
    if names:
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5})" if len(names) > 5 else "")
        return msg("config.yaml_files_there", names=shown)
    return msg("config.no_yaml_there")
