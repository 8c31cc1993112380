"""The policy's ``channels:`` section: marketing touches other than calls, and the cap over all channels.

Calls keep every rule of ``rules:``. A message (SMS, app push, WeChat, email) needs its own consent (PIPL treats
each purpose and channel separately), is never sent in its channel's quiet hours, counts against the channel's
daily send limit, and every touch of any channel, calls included, counts against the cross-channel cap.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callwise.configfile import Invalid
from callwise.i18n.message import msg
from callwise.policy.rules import _minutes, _quiet_minutes

MESSAGE_CHANNELS = ("sms", "app_push", "wechat", "email")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class QuietWindow(_Strict):
    """No message is sent in [start, end) customer-local time; the window may wrap midnight."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _minutes(value)
        return value

    @model_validator(mode="after")
    def _leaves_time(self) -> QuietWindow:
        if _minutes(self.start) == _minutes(self.end):
            raise Invalid(msg("policy.config.quiet_whole_day", start=self.start, end=self.end))
        return self

    def quiet_minutes(self) -> tuple[bool, ...]:
        """For each minute of the day, whether nothing may be sent then (cached per window, like the calls')."""
        return _quiet_minutes(_minutes(self.start), _minutes(self.end))

    def quiet_at(self, minute_of_day: int) -> bool:
        return self.quiet_minutes()[minute_of_day]

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)


class ChannelRule(_Strict):
    """One message channel: whether marketing may use it at all, its quiet hours, its daily send limit."""

    enabled: bool = True
    quiet_hours: QuietWindow | None = None
    daily_limit: int | None = Field(None, ge=1)  # sends per local day over the whole bank (the operator's limit)


class CrossChannelCap(_Strict):
    """Marketing touches per customer in any ``days`` consecutive days, over every channel, calls included."""

    touches: int = Field(6, ge=1)
    days: int = Field(30, ge=1)


# Quiet hours a channel has unless the policy file says otherwise (``quiet_hours: null`` switches them off).
DEFAULT_QUIET = {"sms": ("21:00", "08:00"), "app_push": ("22:00", "08:00"), "wechat": ("22:00", "08:00")}


class ChannelRules(_Strict):
    cross_channel_cap: CrossChannelCap = Field(default_factory=CrossChannelCap)
    # A do-not-call request, or customers.dnc, bars every marketing channel, not calls alone.
    dnc_bars_all: bool = True
    sms: ChannelRule = Field(default_factory=ChannelRule)
    app_push: ChannelRule = Field(default_factory=ChannelRule)
    wechat: ChannelRule = Field(default_factory=ChannelRule)
    email: ChannelRule = Field(default_factory=ChannelRule)

    @model_validator(mode="before")
    @classmethod
    def _missing_means_defaults(cls, value: Any) -> Any:
        """A channel left out, or written without ``quiet_hours``, keeps the channel's default quiet hours."""
        if not isinstance(value, dict):
            return value
        value = {k: ({} if v is None else v) for k, v in value.items()}
        for name, (start, end) in DEFAULT_QUIET.items():
            rule = value.get(name, {})
            if isinstance(rule, dict) and "quiet_hours" not in rule:
                value[name] = {**rule, "quiet_hours": {"start": start, "end": end}}
        return value

    def channel(self, name: str) -> ChannelRule:
        if name not in MESSAGE_CHANNELS:
            raise KeyError(name)
        rule: ChannelRule = getattr(self, name)
        return rule
