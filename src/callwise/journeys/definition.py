"""The journey file: who enters, which steps follow, how a journey ends — validated like every house config file.

A journey is a small graph of steps, each one of ``action`` (a touch on a channel, or a task for the bank's staff),
``wait`` (a duration, or until a local time of day), ``branch`` (on an event within a time: then / else) and
``exit``. The first step is where an instance starts. The loader refuses, at the line of the key: unknown and
duplicate step ids, a next step that does not exist, cycles (a journey always ends), steps nothing leads to,
unknown channels, events and templates, waits outside one minute to ninety days, and hostile strings in ids.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from callwise.configfile import ConfigError, ConfigModel, Invalid, load_config, problem, read_config
from callwise.i18n.message import msg
from callwise.loop.delays import parse_delay
from callwise.loop.rules import Template
from callwise.yamlfile import Document

# Channels an action may use: the marketing channels of the contract, and ``task`` (work for the bank's staff).
JOURNEY_CHANNELS = ("call", "sms", "app_push", "wechat", "email", "task")
TOUCH_CHANNELS = ("call", "sms", "app_push", "wechat", "email")
# Events a branch can wait for: delivery receipts of the senders, a call's answer, a purchase of the product.
BRANCH_EVENTS = ("delivered", "opened", "clicked", "answered", "bought")
EXIT_REASONS = ("completed", "converted", "opted_out", "timed_out")
MIN_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(days=90)
_ID = r"^[A-Za-z0-9_\-]{1,64}$"
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


class JourneyError(ConfigError):
    """A journey file that cannot be used; the message is ``<file>:<line>: <reason>``."""


def _duration(value: str, low: timedelta = MIN_WAIT, high: timedelta = MAX_WAIT) -> timedelta:
    parsed = parse_delay(value)
    if parsed.kind != "after":
        raise Invalid(msg("journeys.file.not_duration", value=value))
    if not low <= parsed.after <= high:
        raise Invalid(msg("journeys.file.wait_range", value=value, low=int(low.total_seconds() // 60), days=high.days))
    return parsed.after


class Name(ConfigModel):
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class ListEntry(ConfigModel):
    """An issued list (by id) or a campaign's lists: its treatment group enters (the control group never does)."""

    list_id: int | None = Field(None, ge=1)
    campaign_id: str | None = Field(None, pattern=_ID)

    @model_validator(mode="after")
    def _one(self) -> ListEntry:
        if (self.list_id is None) == (self.campaign_id is None):
            raise Invalid(msg("journeys.file.list_one"))
        return self


class Entry(ConfigModel):
    """Who enters: customers with a live moment, customers a tag expression selects, or an issued list."""

    moment: list[str] | None = Field(None, min_length=1, max_length=50)
    tag: str | None = Field(None, min_length=1, max_length=2000)
    list_: ListEntry | None = Field(None, alias="list")

    @field_validator("moment")
    @classmethod
    def _moment_ids(cls, value: list[str] | None) -> list[str] | None:
        for moment in value or []:
            if not re.match(_ID, moment):
                raise Invalid(msg("journeys.file.bad_id", value=moment[:80]))
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Entry:
        given = [name for name in ("moment", "tag", "list_") if getattr(self, name) is not None]
        given = [name.rstrip("_") for name in given]
        if len(given) != 1:
            raise Invalid(msg("journeys.file.entry_one", given=", ".join(given) or "-"))
        return self

    @property
    def kind(self) -> str:
        return "moment" if self.moment is not None else ("tag" if self.tag is not None else "list")


class Action(ConfigModel):
    channel: Literal[JOURNEY_CHANNELS]  # type: ignore[valid-type]
    template: str = Field(pattern=_ID)


class Wait(ConfigModel):
    """``for``: a duration (``PT4H``, ``P2D``); ``until``: the next time of day ``HH:MM`` in the customer's zone."""

    for_: str | None = Field(None, alias="for")
    until: str | None = None

    @field_validator("for_")
    @classmethod
    def _for(cls, value: str | None) -> str | None:
        if value is not None:
            _duration(value)
        return value

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        if value is not None and not _CLOCK.match(value):
            raise Invalid(msg("journeys.file.bad_clock", value=value[:80]))
        return value

    @model_validator(mode="after")
    def _one(self) -> Wait:
        if (self.for_ is None) == (self.until is None):
            raise Invalid(msg("journeys.file.wait_one"))
        return self

    @property
    def duration(self) -> timedelta | None:
        return None if self.for_ is None else _duration(self.for_)

    @property
    def minute_of_day(self) -> int | None:
        if self.until is None:
            return None
        hour, minute = self.until.split(":")
        return int(hour) * 60 + int(minute)


class Branch(ConfigModel):
    """``then`` when ``event`` happens within ``within`` of reaching the step, else ``else``."""

    event: Literal[BRANCH_EVENTS]  # type: ignore[valid-type]
    within: str
    then: str = Field(pattern=_ID)
    else_: str = Field(alias="else", pattern=_ID)

    @field_validator("within")
    @classmethod
    def _within(cls, value: str) -> str:
        _duration(value)
        return value

    @property
    def window(self) -> timedelta:
        return _duration(self.within)


class Step(ConfigModel):
    id: str = Field(pattern=_ID)
    action: Action | None = None
    wait: Wait | None = None
    branch: Branch | None = None
    exit: Literal[EXIT_REASONS] | None = None  # type: ignore[valid-type]
    next: str | None = Field(None, pattern=_ID)
    on_refused: str | None = Field(None, pattern=_ID)

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("action", "wait", "branch", "exit") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise Invalid(msg("journeys.file.step_one", given=", ".join(kinds) or "-"))
        if self.kind in ("action", "wait") and self.next is None:
            raise Invalid(msg("journeys.file.needs_next", kind=self.kind))
        if self.kind in ("branch", "exit") and self.next is not None:
            raise Invalid(msg("journeys.file.no_next", kind=self.kind))
        if self.on_refused is not None and self.kind != "action":
            raise Invalid(msg("journeys.file.on_refused_action"))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("action", "wait", "branch", "exit") if getattr(self, k) is not None)

    def targets(self) -> list[tuple[str, str]]:
        """(field, step id) of every step this one may lead to."""
        found = [("next", self.next), ("on_refused", self.on_refused)]
        if self.branch is not None:
            found += [("then", self.branch.then), ("else", self.branch.else_)]
        return [(name, target) for name, target in found if target is not None]


class Journey(ConfigModel):
    """A validated journey file; ``sha256`` is of its canonical content (what decides a new version)."""

    id: str = Field(pattern=_ID)
    name: Name
    product_id: str | None = Field(None, pattern=_ID)  # buying it ends the journey as converted
    entry: Entry
    timeout: str = "P30D"  # the longest an instance may live before it exits as timed out
    reentry: bool = False  # whether a customer who left may enter again
    steps: list[Step] = Field(min_length=1, max_length=200)
    templates: dict[str, Template] = Field(default_factory=dict, max_length=200)
    _sha256: str = PrivateAttr("")

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str) -> str:
        _duration(value, timedelta(hours=1), timedelta(days=365))
        return value

    @field_validator("templates")
    @classmethod
    def _template_texts(cls, value: dict[str, Template]) -> dict[str, Template]:
        for name, template in value.items():
            if not re.match(_ID, name):
                raise Invalid(msg("journeys.file.bad_id", value=name[:80]))
            if max(len(template.zh), len(template.en)) > 1000:
                raise Invalid(msg("journeys.file.text_long", template=name, limit=1000))
        return value

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def max_age(self) -> timedelta:
        return _duration(self.timeout, timedelta(hours=1), timedelta(days=365))

    @property
    def first(self) -> Step:
        return self.steps[0]

    def step(self, step_id: str) -> Step:
        return self._by_id[step_id]

    @property
    def _by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    def to_json(self) -> dict[str, Any]:
        """The definition as stored in the operational DB (and read back by :func:`journey_from_json`)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def journey_from_json(data: dict[str, Any]) -> Journey:
    """A stored definition (already validated when it was loaded)."""
    journey = Journey.model_validate(data)
    journey._sha256 = _digest(journey)
    return journey


def load_journey(path: str | Path) -> Journey:
    raw = read_config(path, "journey", JourneyError)
    return journey_from_bytes(raw, str(path))


def journey_from_bytes(raw: bytes, label: str) -> Journey:
    journey, doc = load_config(raw, label, Journey, "journey", JourneyError)
    _check_graph(journey, doc, label)
    journey._sha256 = _digest(journey)
    return journey


def _digest(journey: Journey) -> str:
    canonical = json.dumps(journey.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_graph(journey: Journey, doc: Document, label: str) -> None:
    """Ids once each, targets that exist, templates that exist, no cycle, every step reachable from the first."""
    where: dict[str, int] = {}
    for i, step in enumerate(journey.steps):
        if step.id in where:
            raise problem(JourneyError, label, doc, ("steps", i, "id"), msg("journeys.file.id_twice", id=step.id))
        where[step.id] = i
    for i, step in enumerate(journey.steps):
        for name, target in step.targets():
            if target not in where:
                loc: tuple[str | int, ...] = (
                    ("steps", i, "branch", name) if name in ("then", "else") else ("steps", i, name)
                )
                reason = msg("journeys.file.unknown_step", target=target, known=", ".join(where))
                raise problem(JourneyError, label, doc, loc, reason)
        if step.action is not None and step.action.channel != "call" and step.action.template not in journey.templates:
            known = ", ".join(journey.templates) or "-"
            reason = msg("journeys.file.no_template", template=step.action.template, known=known)
            raise problem(JourneyError, label, doc, ("steps", i, "action", "template"), reason)
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(step_id: str) -> None:
        state[step_id] = 1
        for _, target in journey.step(step_id).targets():
            if state.get(target) == 1:
                reason = msg("journeys.file.cycle", step=step_id, target=target)
                raise problem(JourneyError, label, doc, ("steps", where[step_id], "id"), reason)
            if target not in state:
                walk(target)
        state[step_id] = 2

    walk(journey.first.id)  # at most 200 steps: the recursion stays shallow
    for i, step in enumerate(journey.steps):
        if step.id not in state:
            raise problem(JourneyError, label, doc, ("steps", i, "id"), msg("journeys.file.unreachable", id=step.id))
