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
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from callwise.loop.rules import Disposition
from callwise.policy.calltime import zone
from callwise.schema.contract import DEFAULT_TIMEZONE
from callwise.yamlfile import Document, parse_mapping, problem, read_bytes, validate

_TEXT_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int")  # an int key keeps the text it was written as


class DialerMappingError(ValueError):
    """A mapping file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class _Strict(BaseModel):
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
            raise ValueError(f"'{value}' is not a time zone name like 'Asia/Shanghai'")
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
    raw = read_bytes(path, "dialer mapping file", DialerMappingError)
    label = str(path)
    doc = parse_mapping(raw, label, "dialer mapping file", DialerMappingError)
    _codes_as_written(doc, label)
    mapping = validate(doc, label, DialerMapping, DialerMappingError)
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
            reason = f"dialer code '{shown}' would not be read as text; put it in quotes ('{shown}')"
            raise DialerMappingError(f"{label}:{key.start_mark.line + 1}: {reason}")
        codes[key.value] = value
    doc.data["dispositions"] = codes


def _check(mapping: DialerMapping, doc: Document, label: str) -> None:
    given = mapping.columns.given()
    if (mapping.campaign is None) == ("campaign_id" not in given):
        reason = "give the campaign either as a column (columns.campaign_id) or as a fixed 'campaign', not both"
        if mapping.campaign is None:
            reason = "the export's campaign is unknown: map columns.campaign_id or give a fixed 'campaign'"
        raise problem(DialerMappingError, label, doc, ("campaign",) if mapping.campaign else ("columns",), reason)
    seen: dict[str, str] = {}
    for name, column in given.items():
        key = unicodedata.normalize("NFKC", column).strip()
        if key in seen:
            reason = f"column '{column}' is mapped twice (to {seen[key]} and to {name})"
            raise problem(DialerMappingError, label, doc, ("columns", name), reason)
        seen[key] = name
    codes: dict[str, str] = {}
    for code in mapping.dispositions:
        key = normalise_code(code)
        if not key:
            raise problem(DialerMappingError, label, doc, ("dispositions", code), "a dialer code cannot be empty")
        if key in codes:
            reason = f"dialer codes '{codes[key]}' and '{code}' are the same code (codes are matched ignoring case)"
            raise problem(DialerMappingError, label, doc, ("dispositions", code), reason)
        codes[key] = code
