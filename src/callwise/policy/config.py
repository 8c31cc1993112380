"""The contact policy file: read, validated, refused with the line at fault, identified by its hash.

A rule missing from the file takes its default, so a file can tighten or adjust a rule but never drop one
by leaving it out (see :mod:`callwise.policy.rules` for the rules and their legal floors). Every list
records the SHA-256 of the file's bytes, so the exact policy behind a list can be shown later.
"""

from __future__ import annotations

import difflib
import hashlib
from importlib.resources import files
from pathlib import Path
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_core import ErrorDetails

from callwise.policy.rules import RULE_NAMES, Retention, Rule, Rules
from callwise.yamlfile import KINDS, YamlProblem, line_of, parse, read_bytes


class PolicyError(ValueError):
    """A policy file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class PolicyAudit(TypedDict):
    """What a list records about the policy that produced it."""

    name: str
    version: str
    sha256: str
    source: str  # the file it was read from, or "builtin"


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    rules: Rules = Field(default_factory=Rules)
    retention: Retention = Field(default_factory=Retention)
    _sha256: str = PrivateAttr("")

    @field_validator("version", mode="before")
    @classmethod
    def _number_is_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    _source: str = PrivateAttr("builtin")

    @property
    def sha256(self) -> str:
        """SHA-256 of the policy file's bytes (the packaged default's for the built-in policy)."""
        return self._sha256

    @property
    def source(self) -> str:
        """The file it was read from, or "builtin"."""
        return self._source

    def rule(self, name: str) -> Rule:
        rule: Rule = getattr(self.rules, name)
        return rule

    def enabled(self, name: str) -> bool:
        return self.rule(name).enabled

    def audit(self) -> PolicyAudit:
        """What a list records about the policy that produced it."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "source": self.source}


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; any problem is ``PolicyError("<file>:<line>: <reason>")``."""
    return _from_bytes(read_bytes(path, "policy file", PolicyError), str(path), source=str(path))


def default_policy() -> Policy:
    """The built-in policy: every default of the design, from the packaged ``default.yaml``."""
    resource = files("callwise.policy") / "default.yaml"
    return _from_bytes(resource.read_bytes(), "default.yaml", source="builtin")


def _from_bytes(raw: bytes, label: str, source: str) -> Policy:
    try:
        doc = parse(raw)
    except YamlProblem as exc:
        raise PolicyError(f"{label}:{exc.line}: {exc.reason}") from None
    if not isinstance(doc.data, dict):
        line = doc.root.start_mark.line + 1
        raise PolicyError(f"{label}:{line}: a policy file must be a mapping with name, version and rules")
    try:
        policy = Policy.model_validate(doc.data)
    except ValidationError as exc:
        errors = [(line_of(doc.root, tuple(e["loc"])), i, e) for i, e in enumerate(exc.errors())]
        line, _, first = min(errors, key=lambda x: (x[0], x[1]))
        raise PolicyError(f"{label}:{line}: {_reason(first)}") from None
    policy._sha256 = hashlib.sha256(raw).hexdigest()
    policy._source = source
    return policy


_KINDS = {**KINDS, "model_type": "a mapping of parameters (e.g. 'enabled: false')", "date_type": "a date (YYYY-MM-DD)"}


def _reason(error: ErrorDetails) -> str:
    """One sentence for the first validation error, in the terms of the policy file."""
    loc = tuple(str(p) for p in error["loc"])
    where = ".".join(loc) or "the file"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return _unknown(loc)
    if kind == "missing":
        return f"'{where}' is required"
    if kind in _KINDS:
        return f"{where} must be {_KINDS[kind]}, not {value!r}"
    if kind == "greater_than_equal":
        return f"{where} must be at least {error['ctx']['ge']}, not {value!r}"
    if kind == "literal_error":
        return f"{where} must be one of {error['ctx']['expected']}, not {value!r}"
    if kind == "value_error" and loc[-1] == "enabled":
        return f"rule '{loc[-2]}' is a legal floor and cannot be disabled"
    if kind == "value_error":
        return f"{where}: {error['ctx']['error']}"
    return f"{where}: {error['msg']}"


def _unknown(loc: tuple[str, ...]) -> str:
    name = loc[-1]
    if len(loc) == 1:
        known, what = tuple(Policy.model_fields), "key"
    elif loc[0] == "rules" and len(loc) == 2:
        known, what = RULE_NAMES, "rule"
    elif loc[0] == "rules":
        rule = Rules.model_fields[loc[1]].annotation
        known = tuple(rule.model_fields) if isinstance(rule, type) and issubclass(rule, BaseModel) else ()
        return f"rule '{loc[1]}' has no parameter '{name}'{_suggest(name, known)}; it takes: {', '.join(known)}"
    else:
        known, what = tuple(Retention.model_fields), f"{loc[0]} entry"
    return f"unknown {what} '{name}'{_suggest(name, known)}"


def _suggest(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""
