"""How to read one dialer's CSV export: which column is which, what its codes mean, which clock it keeps.

Every dialer names its columns and result codes its own way ("ANS-INT", "未接通", "NA" …). The mapping file
says, once per dialer, which column holds each fact and which callwise disposition each code means. It is
validated like the contact policy: an unknown key, an unknown disposition, an unreadable time zone or a code
YAML would silently turn into something else (``yes``, ``no``, ``~``, ``1.0``) is refused with its line.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from callwise.configfile import ConfigError, ConfigModel, Invalid, parse_config, problem, read_config, validate_config
from callwise.i18n.message import msg
from callwise.loop.rules import Disposition
from callwise.policy.calltime import zone
from callwise.schema.contract import DEFAULT_TIMEZONE
from callwise.yamlfile import Document

_TEXT_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int")  # an int key keeps the text it was written as


class DialerMappingError(ConfigError):
    """A mapping file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class _Strict(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DialerColumns(_Strict):
    """The export's column for each fact, spelled as in its header; the first four are required."""

    call_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    start_time: str = Field(min_length=1)
    disposition: str = Field(min_length=1)
    duration: str | None = Field(None, min_length=1)
    agent_id: str | None = Field(None, min_length=1)
    campaign_id: str | None = Field(None, min_length=1)
    callback_time: str | None = Field(None, min_length=1)
    phone: str | None = Field(None, min_length=1)

    def given(self) -> dict[str, str]:
        """Field → column name, for the columns the mapping names."""
        return {name: column for name, column in self.model_dump().items() if column is not None}


class DialerMapping(_Strict):
    name: str | None = None
    timezone: str = DEFAULT_TIMEZONE  # the zone of the export's timestamps (those written without one)
    campaign: str | None = Field(None, min_length=1)  # the campaign id when the export has no campaign column
    columns: DialerColumns
    dispositions: dict[str, Disposition] = Field(min_length=1)
    _sha256: str = PrivateAttr("")

    @field_validator("timezone")
    @classmethod
    def _readable_zone(cls, value: str) -> str:
        if zone(value) is None:
            raise Invalid(msg("loop.mapping.timezone", value=value))
        return value

    @property
    def sha256(self) -> str:
        return self._sha256

    def codes(self) -> dict[str, str]:
        """Normalised code (NFKC, trimmed, case folded) → disposition: how export cells are matched."""
        return {normalise_code(code): disposition for code, disposition in self.dispositions.items()}


def normalise_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().casefold()


def load_dialer_mapping(path: str | Path) -> DialerMapping:
    """Read and validate a dialer mapping file."""
    raw = read_config(path, "dialer_mapping", DialerMappingError)
    label = str(path)
    doc = parse_config(raw, label, "dialer_mapping", DialerMappingError)
    _codes_as_written(doc, label)
    mapping = validate_config(doc, label, DialerMapping, "dialer_mapping", DialerMappingError)
    _check(mapping, doc, label)
    mapping._sha256 = hashlib.sha256(raw).hexdigest()
    return mapping


def _codes_as_written(doc: Document, label: str) -> None:
    """Codes are text: keep ``01`` and ``1`` as written, refuse keys YAML reads as true/false, null or numbers."""
    node = next(
        (v for k, v in doc.root.value if isinstance(k, yaml.ScalarNode) and k.value == "dispositions"),
        None,
    )
    if not isinstance(node, yaml.MappingNode) or not isinstance(doc.data.get("dispositions"), dict):
        return
    codes: dict[Any, Any] = {}
    for (key, _), value in zip(node.value, doc.data["dispositions"].values(), strict=True):
        if not isinstance(key, yaml.ScalarNode) or key.tag not in _TEXT_TAGS:
            shown = key.value if isinstance(key, yaml.ScalarNode) else "?"
            reason = msg("loop.mapping.code_not_text", code=shown)
            raise DialerMappingError(label, key.start_mark.line + 1, reason)
        codes[key.value] = value
    doc.data["dispositions"] = codes


def _check(mapping: DialerMapping, doc: Document, label: str) -> None:
    given = mapping.columns.given()
    if (mapping.campaign is None) == ("campaign_id" not in given):
        reason = msg("loop.mapping.campaign_unknown" if mapping.campaign is None else "loop.mapping.campaign_both")
        raise problem(DialerMappingError, label, doc, ("campaign",) if mapping.campaign else ("columns",), reason)
    seen: dict[str, str] = {}
    for name, column in given.items():
        key = unicodedata.normalize("NFKC", column).strip()
        if key in seen:
            reason = msg("loop.mapping.column_twice", column=column, first=seen[key], second=name)
            raise problem(DialerMappingError, label, doc, ("columns", name), reason)
        seen[key] = name
    codes: dict[str, str] = {}
    for code in mapping.dispositions:
        key = normalise_code(code)
        if not key:
            reason = msg("loop.mapping.empty_code")
            raise problem(DialerMappingError, label, doc, ("dispositions", code), reason)
        if key in codes:
            reason = msg("loop.mapping.same_code", first=codes[key], second=code)
            raise problem(DialerMappingError, label, doc, ("dispositions", code), reason)
        codes[key] = code
