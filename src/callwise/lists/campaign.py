"""The campaign file: what one call list is for (product, days, hours, capacity, costs, experiment, models).

Read by the one configuration loader (``callwise.configfile``) like every other configuration file: a key
written twice, a misspelt key or a bad value is refused as ``<file>:<line>: <reason>``, in zh or en. The date is
read like ingest reads dates (``2026-7-6``, ``2026/7/6``, ``20260706``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from callwise.channels.config import ChannelsConfig
from callwise.configdate import ConfigDate
from callwise.configfile import (
    ConfigError,
    ConfigModel,
    Invalid,
    parse_config,
    problem,
    read_config,
    suggest,
    validate_config,
)
from callwise.experiments import check_arms, check_control_share
from callwise.experiments.measurable import DEFAULT_LIFT_TO_DETECT
from callwise.i18n.errors import Term
from callwise.i18n.message import msg

if TYPE_CHECKING:
    from callwise.tags import Catalogue

SegmentId = Annotated[str, StringConstraints(pattern=r"^S[0-9]{2,4}$")]


class CampaignError(ConfigError):
    """A campaign file that cannot be used; the message is ``<file>:<line>: <reason>``."""


class SegmentPlan(ConfigModel):
    """What the campaign does with one segment's customers (lake table ``segments``); each key optional."""

    product: str | None = Field(default=None, min_length=1, max_length=64)  # the segment's product
    arm: str | None = Field(default=None, min_length=1, max_length=64)  # their script arm, instead of the hash's
    hours: tuple[int, int] | None = None  # their calling hours [first, last), bank clock, within the campaign's

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] < value[1] <= 24:
            raise Invalid(msg("lists.campaign.segment_hours", first=value[0], last=value[1]))
        return value


class CampaignSettings(ConfigModel):
    """What a campaign is, without files on this machine: the API takes exactly this."""

    campaign_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(default="", max_length=200)
    product_id: str = Field(min_length=1, max_length=64)
    date: ConfigDate  # the first calling day; features are computed as of its first instant
    days: int = Field(default=10, ge=1, le=92)  # calling days from `date` (days the policy closes are skipped)
    first_hour: int = Field(default=9, ge=0, le=23)  # first hourly slot, bank clock
    last_hour: int = Field(default=20, ge=1, le=24)  # slots end here (exclusive): 9–20 gives 11 slots a day
    capacity: int | None = Field(default=None, ge=0, le=100_000_000)  # most customers to call; None = agents' limit
    max_attempts: int = Field(default=3, ge=1, le=10)  # attempts per customer (the policy's cap still applies)
    cost_per_call: float = Field(default=5.0, ge=0, le=10_000)  # CNY per attempt, agent time and telephony
    # What results count against the incremental value (CNY): each connected minute, each SMS of the campaign.
    cost_per_minute: float = Field(default=0.0, ge=0, le=10_000)
    cost_per_sms: float = Field(default=0.0, ge=0, le=10_000)
    min_expected_value: float = Field(default=0.0, ge=-1e9, le=1e9)  # at or below this, customers are left off
    # What the list ranks by: p(convert | called) from a response model, or what the call adds (an uplift model).
    ranking: Literal["response", "uplift"] = "response"
    control_share: float = 0.1  # randomised hold-out, not called, stratified by score decile
    # The control group is "measurable" when it can detect this relative lift at this α and power.
    lift_to_detect: float = Field(default=DEFAULT_LIFT_TO_DETECT, gt=0, le=10)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    power: float = Field(default=0.8, gt=0, lt=1)
    arms: dict[str, float] | None = None  # script arms of the called group and their shares, e.g. {A: 0.5, B: 0.5}
    teams: list[str] | None = None  # only agents of these teams work the campaign
    agent_share: float = Field(default=1.0, gt=0, le=1)  # share of the agents' time given to this campaign
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    lang: Literal["zh", "en"] = "zh"  # language of the reasons and hints written into the list
    # Only customers this tag expression selects (docs/tags.md), read from the lake's tag table as of the cutoff.
    audience: str | None = Field(default=None, min_length=1, max_length=2000)
    # segment id → product, arm, hours; exhaustive: customers of a segment not named here are left off.
    segments: dict[SegmentId, SegmentPlan] | None = Field(default=None, min_length=1)
    # A triggered campaign (docs/moments.md): only customers with a live moment of these ids at the cutoff, read
    # from the lake's moments table built as of the cutoff; the first id live is the member's moment.
    trigger: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    # The channels a channel plan may use (docs/channels.md): cost per touch, daily limits, a total budget.
    channels: ChannelsConfig | None = None

    @field_validator("control_share")
    @classmethod
    def _control_share(cls, value: float) -> float:
        return check_control_share(value)

    @field_validator("arms")
    @classmethod
    def _arms(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return check_arms(value) if value is not None else None

    @field_validator("segments")
    @classmethod
    def _segment_hours(
        cls, value: dict[str, SegmentPlan] | None, info: ValidationInfo
    ) -> dict[str, SegmentPlan] | None:
        first, last = info.data.get("first_hour"), info.data.get("last_hour")  # validated before segments
        for segment, plan in (value or {}).items():
            if plan.hours is None or first is None or last is None:
                continue
            if not first <= plan.hours[0] < plan.hours[1] <= last:
                raise Invalid(
                    msg(
                        "lists.campaign.segment_outside_hours",
                        segment=segment,
                        first=plan.hours[0],
                        last=plan.hours[1],
                        campaign_first=first,
                        campaign_last=last,
                    )
                )
        return value

    @classmethod
    def config_reason(cls, kind: str, loc: tuple[str | int, ...], known: list[str]) -> Term | None:
        if kind == "string_pattern_mismatch" and loc[:1] == ("segments",) and loc[-1] == "[key]":
            return msg("lists.campaign.segment_id", segment=loc[1])
        return None

    @model_validator(mode="after")
    def _hours(self) -> CampaignSettings:
        if self.last_hour <= self.first_hour:
            raise Invalid(msg("lists.campaign.hours", first=self.first_hour, last=self.last_hour))
        if self.power <= self.alpha:
            raise Invalid(msg("lists.campaign.power", power=self.power, alpha=self.alpha))
        return self

    @property
    def cutoff(self) -> datetime:
        return datetime.combine(self.date, time.min)


class Campaign(CampaignSettings):
    """A campaign file: the settings plus the model, answer model and policy files it names."""

    model: Path | None = None  # a saved response (or, ranking uplift, uplift) model directory, relative to this file
    answer_model: Path | None = None  # a saved answer model; fitted from the lake's call history when not given
    policy: Path | None = None  # contact policy YAML; the built-in default when not given
    tag_catalogue: Path | None = None  # the tag catalogue the audience names; the shipped one when not given
    trigger_catalogue: Path | None = None  # the trigger catalogue trigger: names; the shipped one when not given

    @field_validator("model", "answer_model")
    @classmethod
    def _dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise Invalid(msg("lists.campaign.no_directory", path=str(value)))
        return value

    @field_validator("tag_catalogue", "trigger_catalogue")
    @classmethod
    def _catalogue_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise Invalid(msg("lists.campaign.no_catalogue_file", path=str(value)))
        return value

    @field_validator("policy")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise Invalid(msg("lists.campaign.no_policy_file", path=str(value)))
        return value


def load_campaign(path: str | Path, permissions: Iterable[str] | None = None) -> Campaign:
    """Read and validate a campaign YAML file; any problem is ``CampaignError("<file>:<line>: <reason>")``.

    The audience is checked against the campaign's tag catalogue: unknown names, syntax, a sensitive tag unless
    ``permissions`` hold ``tags:sensitive`` (None, the CLI on the bank's own machine: every permission).
    """
    path = Path(path)
    raw = read_config(path, "campaign", CampaignError)
    doc = parse_config(raw, str(path), "campaign", CampaignError)
    for key in (
        "model",
        "answer_model",
        "policy",
        "tag_catalogue",
        "trigger_catalogue",
    ):  # relative to the campaign file
        if isinstance(doc.data.get(key), str):
            doc.data[key] = (path.parent / doc.data[key]).resolve()
    campaign = validate_config(doc, str(path), Campaign, "campaign", CampaignError)
    if campaign.audience is not None:
        from callwise.tags import AudienceError, CatalogueError

        try:
            check_campaign_audience(campaign, permissions)
        except CatalogueError as exc:  # the catalogue's own file and line
            raise CampaignError(exc.file, exc.line, exc.reason, exc.column) from None
        except AudienceError as exc:
            raise problem(CampaignError, str(path), doc, ("audience",), msg(str(exc.key), **exc.values)) from None
    if campaign.trigger is not None:
        from callwise.moments import TriggerError

        try:
            reason = trigger_problem(campaign)
        except TriggerError as exc:  # the trigger catalogue's own file and line
            raise CampaignError(exc.file, exc.line, exc.reason, exc.column) from None
        if reason is not None:
            raise problem(CampaignError, str(path), doc, ("trigger",), reason)
    return campaign


def trigger_problem(campaign: CampaignSettings) -> Term | None:
    """Why the campaign's ``trigger:`` ids cannot be used (one twice, one the trigger catalogue lacks), or None.

    A trigger catalogue that does not load raises its own :class:`~callwise.moments.TriggerError`."""
    from callwise.moments import default_triggers, load_triggers

    path = getattr(campaign, "trigger_catalogue", None)
    known = list((default_triggers() if path is None else load_triggers(path)).triggers)
    seen: set[str] = set()
    for name in campaign.trigger or []:
        if name in seen:
            return msg("moments.campaign_trigger_twice", name=name)
        if name not in known:
            return msg("moments.campaign_unknown_trigger", name=name, hint=suggest(name, known))
        seen.add(name)
    return None


def campaign_catalogue(campaign: CampaignSettings) -> Catalogue:
    """The tag catalogue the campaign's audience names: its ``tag_catalogue`` file, else the shipped one."""
    from callwise.tags import default_catalogue, load_catalogue

    path = getattr(campaign, "tag_catalogue", None)
    return default_catalogue() if path is None else load_catalogue(path)


def check_campaign_audience(
    campaign: CampaignSettings, permissions: Iterable[str] | None = None, catalogue: Catalogue | None = None
) -> None:
    """The audience expression checked against the catalogue (default: the campaign's) and the permissions
    (``AudienceError``)."""
    from callwise.tags import check_audience, check_permitted

    if campaign.audience is None:
        return
    catalogue = catalogue or campaign_catalogue(campaign)
    check_permitted(catalogue, check_audience(None, catalogue, campaign.audience), permissions)
