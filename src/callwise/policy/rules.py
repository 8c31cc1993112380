"""The rules of the contact policy and their parameters, with the legal floors that cannot be lowered.

One pydantic model per rule; ``Rules`` lists them in funnel order. Floors (``Floor``) cannot be switched off
and their floor values (age 18, quiet hours 21:00–09:00, frozen and deceased accounts) only made stricter.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callwise.configdate import ConfigDate
from callwise.configfile import Invalid
from callwise.i18n.message import msg

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
MINUTES_PER_DAY = 24 * 60
FLOOR_QUIET = (21 * 60, 9 * 60)  # the legal quiet window 21:00–09:00, in minutes of the day


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    enabled: bool = True


class Floor(Rule):
    """A rule the law requires: it can be made stricter, never switched off."""

    @field_validator("enabled")
    @classmethod
    def _stays_on(cls, value: bool) -> bool:
        if not value:
            raise Invalid(msg("policy.config.floor_off"))
        return value


Status = Literal["active", "frozen", "deceased"]


class InactiveStatus(Floor):
    statuses: list[Status] = Field(default_factory=lambda: list[Status](("frozen", "deceased")))

    @field_validator("statuses")
    @classmethod
    def _keeps_floor(cls, value: list[str]) -> list[str]:
        missing = [s for s in ("frozen", "deceased") if s not in value]
        if missing:
            raise Invalid(msg("policy.config.statuses_floor", missing=" & ".join(missing)))
        return value


class Dnc(Floor):
    pass


class NoConsent(Floor):
    pass


class RefusalCooldown(Rule):
    days: int = Field(180, ge=0)


class RecentComplaint(Rule):
    days: int = Field(180, ge=0)


class AgeUnknown(Rule):
    pass


class UnderAge(Floor):
    min_age: int = 18

    @field_validator("min_age")
    @classmethod
    def _adult(cls, value: int) -> int:
        if value < 18:
            raise Invalid(msg("policy.config.adult_floor", value=value))
        return value


class ProductAgeLimit(Rule):
    pass


class UnsuitableRisk(Floor):
    pass


class RiskAssessmentExpired(Rule):
    valid_months: int = Field(12, ge=1)


class ProfilingOptOut(Rule):
    mode: Literal["exclude", "non_personalised"] = "exclude"


class HoldsProduct(Rule):
    pass


class CampaignAttemptsCap(Rule):
    max: int = Field(3, ge=1)


class FrequencyCap(Rule):
    calls: int = Field(4, ge=1)
    days: int = Field(30, ge=1)


def _minutes(value: str) -> int:
    match = _TIME.match(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise Invalid(msg("policy.config.time_of_day", value=value))
    return int(match[1]) * 60 + int(match[2])


def _in_window(minute: int, start: int, end: int) -> bool:
    return start <= minute < end if start < end else minute >= start or minute < end


class QuietHours(Floor):
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
            raise Invalid(msg("policy.config.quiet_whole_day", start=self.start, end=self.end))
        legal = (start - end) % MINUTES_PER_DAY
        if legal < 60:
            raise Invalid(msg("policy.config.quiet_no_hour", start=self.start, end=self.end))
        floor_start, floor_end = FLOOR_QUIET
        floor_minutes = [m % MINUTES_PER_DAY for m in range(floor_start, floor_end + MINUTES_PER_DAY)]
        if not all(_in_window(m, start, end) for m in floor_minutes):
            raise Invalid(msg("policy.config.quiet_floor", start=self.start, end=self.end))
        return self

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)

    def quiet_minutes(self) -> list[bool]:
        """For each minute of the day, whether no call may start then."""
        return list(_quiet_minutes(self.start_minute, self.end_minute))


@cache
def _quiet_minutes(start: int, end: int) -> tuple[bool, ...]:
    return tuple(_in_window(m, start, end) for m in range(MINUTES_PER_DAY))


class ClosedDays(Rule):
    """Days without marketing calls, by date and by weekday, in the customer's local calendar."""

    dates: list[ConfigDate] = Field(default_factory=list)
    weekdays: list[Weekday] = Field(default_factory=list)

    @field_validator("weekdays")
    @classmethod
    def _not_every_day(cls, value: list[str]) -> list[str]:
        if set(value) >= set(WEEKDAYS):
            raise Invalid(msg("policy.config.all_weekdays"))
        return value


class PhoneDailyLimit(Rule):
    max: int = Field(1, ge=1)


class MinGap(Rule):
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
FLOORS: tuple[str, ...] = tuple(
    n for n, f in Rules.model_fields.items() if isinstance(f.annotation, type) and issubclass(f.annotation, Floor)
)
# Reason code of each rule; only the age floor keeps the code the lists already use.
CODES: dict[str, str] = {name: ("under_18" if name == "under_age" else name) for name in RULE_NAMES}
