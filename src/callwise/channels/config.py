"""The campaign file's ``channels:`` key: which channels the campaign may use, what a touch costs, how many fit.

```yaml
channels:
  budget: 150000            # CNY over every channel (optional: no total budget)
  call: {cost: 15}          # CNY per list place (up to max_attempts attempts); capacity from the agents
  sms: {cost: 0.05, daily_limit: 20000}
  app_push: {cost: 0.01}
  email: {cost: 0.02}
```

A channel not written is not used. A message channel's capacity is its daily send limit (the campaign's, and the
policy's ``channels.<name>.daily_limit`` when lower) times the campaign's days; without either limit it is
unlimited. Calls keep the agents' capacity, as every call list does.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from callwise.configfile import ConfigModel, Invalid
from callwise.i18n.message import msg
from callwise.policy.channel_rules import MESSAGE_CHANNELS

CHANNELS = ("call", *MESSAGE_CHANNELS)


class CallChannel(ConfigModel):
    """The call channel: what one place on the call list costs (agent time and telephony, all attempts)."""

    cost: float = Field(default=5.0, ge=0, le=10_000)


class MessageChannel(ConfigModel):
    """A message channel: cost per send (CNY) and the campaign's own daily send limit."""

    cost: float = Field(default=0.05, ge=0, le=10_000)
    daily_limit: int | None = Field(default=None, ge=0, le=100_000_000)


class ChannelsConfig(ConfigModel):
    budget: float | None = Field(default=None, ge=0, le=1e12)  # CNY over every channel; None = no total budget
    call: CallChannel | None = None
    sms: MessageChannel | None = None
    app_push: MessageChannel | None = None
    wechat: MessageChannel | None = None
    email: MessageChannel | None = None

    @model_validator(mode="after")
    def _some_channel(self) -> ChannelsConfig:
        if not self.used:
            raise Invalid(msg("channels.config.none", known=", ".join(CHANNELS)))
        return self

    @property
    def used(self) -> tuple[str, ...]:
        """The channels the campaign may use, in the house order (call first)."""
        return tuple(name for name in CHANNELS if getattr(self, name) is not None)

    def cost(self, name: str) -> float:
        spec: CallChannel | MessageChannel | None = getattr(self, name)
        return float(spec.cost) if spec is not None else 0.0

    def daily_limit(self, name: str) -> int | None:
        spec = getattr(self, name)
        return spec.daily_limit if isinstance(spec, MessageChannel) else None
