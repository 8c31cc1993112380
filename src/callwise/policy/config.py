"""The contact policy file: rules with parameters, validated, with legal floors that cannot be lowered.

A rule missing from the file takes its default, so a file can tighten or adjust a rule but never drop one
by leaving it out. The rules that are legal floors cannot be switched off, and their floor values (age 18,
quiet hours 21:00–09:00, frozen and deceased accounts) can only be made stricter. Every list records the
SHA-256 of the file's bytes, so the exact policy behind a list can be shown later.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from callwise.policy._yaml import YamlProblem, line_of, parse

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
MINUTES_PER_DAY = 24 * 60
FLOOR_QUIET = (21 * 60, 9 * 60)  # the legal quiet window 21:00–09:00, in minutes of the day


class PolicyError(ValueError):
    """A policy file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = True


class _Floor(_Rule):
    """A rule the law requires: it can be made stricter, never switched off."""

    @field_validator("enabled")
    @classmethod
    def _stays_on(cls, value: bool) -> bool:
        if not value:
            raise ValueError("this rule is a legal floor and cannot be disabled")
        return value


class InactiveStatus(_Floor):
    statuses: list[Literal["active", "frozen", "deceased"]] = Field(default_factory=lambda: ["frozen", "deceased"])

    @field_validator("statuses")
    @classmethod
    def _keeps_floor(cls, value: list[str]) -> list[str]:
        missing = [s for s in ("frozen", "deceased") if s not in value]
        if missing:
            raise ValueError(f"must include {' and '.join(missing)} (legal floor); statuses may only be added")
        return value


class Dnc(_Floor):
    pass


class NoConsent(_Floor):
    pass


class RefusalCooldown(_Rule):
    days: int = Field(180, ge=0)


class RecentComplaint(_Rule):
    days: int = Field(180, ge=0)


class AgeUnknown(_Rule):
    pass


class UnderAge(_Floor):
    min_age: int = 18

    @field_validator("min_age")
    @classmethod
    def _adult(cls, value: int) -> int:
        if value < 18:
            raise ValueError(f"cannot go below 18 (legal floor), not {value}")
        return value


class ProductAgeLimit(_Rule):
    pass


class UnsuitableRisk(_Floor):
    pass


class RiskAssessmentExpired(_Rule):
    valid_months: int = Field(12, ge=1)


class ProfilingOptOut(_Rule):
    mode: Literal["exclude", "non_personalised"] = "exclude"


class HoldsProduct(_Rule):
    pass


class CampaignAttemptsCap(_Rule):
    max: int = Field(3, ge=1)


class FrequencyCap(_Rule):
    calls: int = Field(4, ge=1)
    days: int = Field(30, ge=1)


def _minutes(value: str) -> int:
    match = _TIME.match(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"'{value}' is not a time of day; write HH:MM between 00:00 and 23:59")
    return int(match[1]) * 60 + int(match[2])


def _in_window(minute: int, start: int, end: int) -> bool:
    return start <= minute < end if start < end else minute >= start or minute < end


class QuietHours(_Floor):
    """No call may start in [start, end) local time; the window may wrap midnight."""

    start: str = "21:00"
    end: str = "09:00"

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _minutes(value)
        return value

    @model_validator(mode="after")
    def _leaves_time_and_covers_floor(self) -> QuietHours:
        start, end = self.start_minute, self.end_minute
        if start == end:
            raise ValueError(f"quiet hours {self.start}–{self.end} close the whole day; no call could be made")
        legal = (start - end) % MINUTES_PER_DAY
        if legal < 60:
            raise ValueError(f"quiet hours {self.start}–{self.end} leave less than one hour a day to call")
        floor_start, floor_end = FLOOR_QUIET
        floor_minutes = [m % MINUTES_PER_DAY for m in range(floor_start, floor_end + MINUTES_PER_DAY)]
        if not all(_in_window(m, start, end) for m in floor_minutes):
            raise ValueError(
                f"quiet hours {self.start}–{self.end} must cover at least 21:00–09:00 (legal floor); "
                "they may be widened, not narrowed"
            )
        return self

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)

    def quiet_minutes(self) -> list[bool]:
        """For each minute of the day, whether no call may start then."""
        return [_in_window(m, self.start_minute, self.end_minute) for m in range(MINUTES_PER_DAY)]


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a date; write YYYY-MM-DD") from None


class ClosedDays(_Rule):
    """Days without marketing calls, by date and by weekday, in the customer's local calendar."""

    dates: list[Annotated[date, BeforeValidator(_iso_date)]] = Field(default_factory=list)
    weekdays: list[Weekday] = Field(default_factory=list)

    @field_validator("weekdays")
    @classmethod
    def _not_every_day(cls, value: list[str]) -> list[str]:
        if set(value) >= set(WEEKDAYS):
            raise ValueError("closing all seven weekdays leaves no day to call")
        return value


class PhoneDailyLimit(_Rule):
    max: int = Field(1, ge=1)


class MinGap(_Rule):
    hours: float = Field(4.0, ge=0)


class Rules(BaseModel):
    """One field per rule; the order of customer rules is the order of the funnel."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    inactive_status: InactiveStatus = Field(default_factory=InactiveStatus)
    dnc: Dnc = Field(default_factory=Dnc)
    no_consent: NoConsent = Field(default_factory=NoConsent)
    refusal_cooldown: RefusalCooldown = Field(default_factory=RefusalCooldown)
    recent_complaint: RecentComplaint = Field(default_factory=RecentComplaint)
    age_unknown: AgeUnknown = Field(default_factory=AgeUnknown)
    under_age: UnderAge = Field(default_factory=UnderAge)
    product_age_limit: ProductAgeLimit = Field(default_factory=ProductAgeLimit)
    unsuitable_risk: UnsuitableRisk = Field(default_factory=UnsuitableRisk)
    risk_assessment_expired: RiskAssessmentExpired = Field(default_factory=RiskAssessmentExpired)
    profiling_opt_out: ProfilingOptOut = Field(default_factory=ProfilingOptOut)
    holds_product: HoldsProduct = Field(default_factory=HoldsProduct)
    campaign_attempts_cap: CampaignAttemptsCap = Field(default_factory=CampaignAttemptsCap)
    frequency_cap: FrequencyCap = Field(default_factory=FrequencyCap)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    closed_days: ClosedDays = Field(default_factory=ClosedDays)
    phone_daily_limit: PhoneDailyLimit = Field(default_factory=PhoneDailyLimit)
    min_gap: MinGap = Field(default_factory=MinGap)

    @model_validator(mode="before")
    @classmethod
    def _empty_rule_means_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value


class Retention(BaseModel):
    """How long evidence is kept, in days; recorded with every list (callwise itself deletes nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    recordings_days: int = Field(1825, ge=1)
    call_lists_days: int = Field(1825, ge=1)
    consent_evidence_days: int = Field(1825, ge=1)


RULE_NAMES: tuple[str, ...] = tuple(Rules.model_fields)
# Checked per customer before ranking (the funnel order) ...
CUSTOMER_RULES: tuple[str, ...] = RULE_NAMES[: RULE_NAMES.index("frequency_cap") + 1]
# ... and per call, in the scheduler and again in the gate.
CALL_RULES: tuple[str, ...] = RULE_NAMES[len(CUSTOMER_RULES) :]
FLOORS: tuple[str, ...] = tuple(n for n, f in Rules.model_fields.items() if issubclass(f.annotation, _Floor))
# Reason code of each rule; only the age floor keeps the code the lists already use.
CODES: dict[str, str] = {name: ("under_18" if name == "under_age" else name) for name in RULE_NAMES}


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

    def rule(self, name: str) -> _Rule:
        return getattr(self.rules, name)

    def enabled(self, name: str) -> bool:
        return self.rule(name).enabled

    def audit(self) -> dict[str, Any]:
        """What a list records about the policy that produced it."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "source": self.source}


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; any problem is ``PolicyError("<file>:<line>: <reason>")``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(f"{path}:1: policy file not found") from None
    except IsADirectoryError:
        raise PolicyError(f"{path}:1: is a directory, not a policy file") from None
    return _from_bytes(raw, str(path), source=str(path))


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


_KINDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "model_type": "a mapping of parameters (e.g. 'enabled: false')",
    "dict_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
}


def _reason(error: dict[str, Any]) -> str:
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
        known = tuple(Rules.model_fields[loc[1]].annotation.model_fields)
        return f"rule '{loc[1]}' has no parameter '{name}'{_suggest(name, known)}; it takes: {', '.join(known)}"
    else:
        known, what = tuple(Retention.model_fields), f"{loc[0]} entry"
    return f"unknown {what} '{name}'{_suggest(name, known)}"


def _suggest(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""
