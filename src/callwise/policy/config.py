"""The contact policy file: read, validated, refused with the line at fault, identified by its hash.

A rule missing from the file takes its default, so a file can tighten or adjust a rule but never drop one
by leaving it out (see :mod:`callwise.policy.rules` for the rules and their legal floors). Every list
records the SHA-256 of the file's bytes, so the exact policy behind a list can be shown later.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path
from typing import Any, TypedDict

from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from callwise.configfile import ConfigError, ConfigModel, load_config, read_config, suggest
from callwise.i18n.errors import Term
from callwise.i18n.message import msg
from callwise.policy.channel_rules import ChannelRules
from callwise.policy.rules import RULE_NAMES, Retention, Rule, Rules


class PolicyError(ConfigError):
    """A policy file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class PolicyAudit(TypedDict):
    """What a list records about the policy that produced it."""

    name: str
    version: str
    sha256: str
    source: str  # the file it was read from, or "builtin"


class Policy(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    rules: Rules = Field(default_factory=Rules)
    retention: Retention = Field(default_factory=Retention)
    channels: ChannelRules = Field(default_factory=ChannelRules)
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

    @classmethod
    def config_reason(cls, kind: str, loc: tuple[str | int, ...], known: list[str]) -> Term | None:
        """A misspelt rule or rule parameter, or a rule that is not a mapping, is named as such."""
        if kind == "model_type" and len(loc) == 2 and loc[0] == "rules":
            return msg("policy.config.rule_not_mapping", rule=loc[1])
        if kind != "extra_forbidden":
            return None
        name = str(loc[-1])
        if loc[0] == "rules" and len(loc) == 2:
            return msg("policy.config.unknown_rule", name=name, hint=suggest(name, RULE_NAMES), known=", ".join(known))
        if loc[0] == "rules" and len(loc) == 3:
            hint = suggest(name, known)
            return msg("policy.config.unknown_parameter", rule=loc[1], name=name, hint=hint, known=", ".join(known))
        return None

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
    return _from_bytes(read_config(path, "policy", PolicyError), str(path), source=str(path))


def default_policy() -> Policy:
    """The built-in policy: every default of the design, from the packaged ``default.yaml``."""
    resource = files("callwise.policy") / "default.yaml"
    return _from_bytes(resource.read_bytes(), "default.yaml", source="builtin")


def _from_bytes(raw: bytes, label: str, source: str) -> Policy:
    policy, _ = load_config(raw, label, Policy, "policy", PolicyError)
    policy._sha256 = hashlib.sha256(raw).hexdigest()
    policy._source = source
    return policy
