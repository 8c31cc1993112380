"""The trigger catalogue: a YAML file of moment definitions, loaded and checked through :mod:`callwise.configfile`.

A trigger turns facts of the lake into a *moment* (关键节点) of a customer with a validity window. Three kinds:

- ``transaction``: a transaction of some categories and direction of at least ``min_amount``, or of at least
  ``income_multiple`` × the customer's monthly income (salary arrived, a large inflow, a transfer to another bank);
- ``event_repeat``: at least ``min_count`` app events of one name within ``window``, counted per detail (the same
  product viewed again and again);
- ``date_ahead``: a date within ``within`` ahead (a deposit or wealth product maturing, the card bill's due date
  in the ``card_bill`` event's detail, the next birthday).

Every check is done at load, so a catalogue that loads can be built: the kind's block is there and no other, the
durations are whole and bounded, ``cooldown`` only where it has a meaning, and ``where:`` (a tag expression,
docs/tags.md) is a condition over tags, features and customer columns of the tag catalogue. Refusals read
``<file>:<line>: <reason>``, at the line of the key at fault, in zh or en.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from callwise.configfile import ConfigError, ConfigModel, Invalid, load_config, problem, read_config, suggest
from callwise.i18n.errors import Term, Translated
from callwise.i18n.message import msg
from callwise.tags.catalogue import Text, Words

KINDS = ("transaction", "event_repeat", "date_ahead")
DATE_COLUMNS = ("holdings.matures_at", "customers.birth_date", "events.detail")
MAX_DAYS = 366
DEFAULT_FILE = "triggers.yaml"

TriggerKind = Literal[KINDS]  # type: ignore[valid-type]
DateColumn = Literal[DATE_COLUMNS]  # type: ignore[valid-type]


class TriggerError(ConfigError):
    """A trigger catalogue that cannot be used; the message is ``<file>:<line>: <reason>``."""


class UnknownTrigger(Translated, KeyError):
    """A trigger asked for by an id the catalogue does not have (the closest one suggested)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# ------------------------------------------------------------------------------------------------ the file


class _Strict(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Duration(_Strict):
    """``{days: N}`` or ``{hours: N}``: one of them, a whole number above zero, at most a year."""

    days: int | None = None
    hours: int | None = None

    @model_validator(mode="after")
    def _one(self) -> Duration:
        given = [v for v in (self.days, self.hours) if v is not None]
        if len(given) != 1 or given[0] <= 0:
            raise Invalid(msg("moments.duration_one"))
        if self.delta > timedelta(days=MAX_DAYS):
            raise Invalid(msg("moments.duration_too_long", days=MAX_DAYS))
        return self

    @property
    def delta(self) -> timedelta:
        return timedelta(days=self.days) if self.days is not None else timedelta(hours=self.hours or 0)

    def words(self) -> tuple[str, int]:
        """(``days`` or ``hours``, how many) for a page or a sentence."""
        return ("days", self.days) if self.days is not None else ("hours", self.hours or 0)


class TransactionBlock(_Strict):
    categories: list[str] | None = Field(default=None, min_length=1, max_length=50)  # None: any category
    direction: Literal["in", "out"] | None = None
    min_amount: float = Field(default=0.0, ge=0, le=1e12)
    # At least this many times the customer's monthly income (customers without an income: min_amount alone).
    income_multiple: float | None = Field(default=None, gt=0, le=1000)

    @model_validator(mode="after")
    def _amount(self) -> TransactionBlock:
        if self.min_amount <= 0 and self.income_multiple is None and self.categories is None:
            raise Invalid(msg("moments.amount_needed"))
        return self


class EventRepeatBlock(_Strict):
    event: str = Field(min_length=1, max_length=64)
    min_count: int = Field(ge=1, le=10_000)
    window: Duration
    by_detail: bool = True  # counted per detail (the product viewed), else over every detail together


class DateAheadBlock(_Strict):
    column: DateColumn
    within: Duration  # the moment starts this long before the date
    category: str | None = Field(default=None, min_length=1, max_length=64)  # holdings: the product category
    event: str | None = Field(default=None, min_length=1, max_length=64)  # events.detail: the event naming the date


class TriggerModel(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: Words
    description: Text
    kind: TriggerKind
    transaction: TransactionBlock | None = None
    event_repeat: EventRepeatBlock | None = None
    date_ahead: DateAheadBlock | None = None
    validity: Duration | None = None
    cooldown: Duration | None = None
    where: str | None = Field(default=None, min_length=1, max_length=2_000)


class TriggersModel(_Strict):
    version: int = 1
    triggers: list[TriggerModel] = Field(min_length=1, max_length=500)

    @classmethod
    def config_reason(cls, kind: str, loc: tuple[str | int, ...], known: list[str]) -> Term | None:
        if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
            return msg("moments.id_pattern")
        return None


# ------------------------------------------------------------------------------------------------ the triggers


@dataclass(frozen=True)
class Trigger:
    """One trigger as declared (``line``: where its entry starts in the file); ``block`` is its kind's block."""

    id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    kind: str
    block: TransactionBlock | EventRepeatBlock | DateAheadBlock
    validity: Duration
    cooldown: Duration | None
    where: str | None
    line: int

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" else self.description_en

    def reads(self) -> tuple[str, list[str]]:
        """The lake table the trigger reads and its columns (customer_id and the time column included)."""
        b = self.block
        if isinstance(b, TransactionBlock):
            cols = ["customer_id", "ts", "amount"]
            cols += ["category"] if b.categories is not None else []
            cols += ["direction"] if b.direction is not None else []
            return "transactions", cols
        if isinstance(b, EventRepeatBlock):
            return "events", ["customer_id", "ts", "event", *(["detail"] if b.by_detail else [])]
        table = b.column.split(".")[0]
        if table == "events":
            return "events", ["customer_id", "ts", "event", "detail"]
        if table == "holdings":
            return "holdings", ["customer_id", "matures_at"]
        return "customers", ["customer_id", "birth_date"]

    def describe(self) -> dict[str, Any]:
        """The trigger as plain data (the CLI's ``--json``, the page's table)."""
        unit, n = self.validity.words()
        return {
            "id": self.id,
            "name": {"zh": self.name_zh, "en": self.name_en},
            "description": {"zh": self.description_zh, "en": self.description_en},
            "kind": self.kind,
            "conditions": self.block.model_dump(exclude_none=True),
            "validity": {unit: n},
            "cooldown": dict([self.cooldown.words()]) if self.cooldown else None,
            "where": self.where,
        }


@dataclass(frozen=True)
class Triggers:
    """Triggers by id, in file order; ``sha256`` names the exact file (``builtin`` for the shipped one)."""

    triggers: dict[str, Trigger]
    source: str = "builtin"
    sha256: str = ""

    def get(self, trigger_id: str) -> Trigger:
        if trigger_id in self.triggers:
            return self.triggers[trigger_id]
        raise UnknownTrigger("moments.unknown_trigger", name=trigger_id, hint=suggest(trigger_id, list(self.triggers)))

    def only(self, ids: list[str]) -> Triggers:
        """The catalogue with only ``ids`` (each must be known), in file order."""
        wanted = {self.get(i).id for i in ids}
        return Triggers({k: v for k, v in self.triggers.items() if k in wanted}, self.source, self.sha256)

    def __iter__(self) -> Any:
        return iter(self.triggers.values())

    def __len__(self) -> int:
        return len(self.triggers)


# ------------------------------------------------------------------------------------------------ loading


def load_triggers(path: str | Path) -> Triggers:
    """Read and check a trigger catalogue file; :class:`TriggerError` at the line of the first problem."""
    raw = read_config(path, "trigger_catalogue", TriggerError)
    return triggers_from_bytes(raw, str(path), str(path))


@cache
def default_triggers() -> Triggers:
    """The catalogue callwise ships (``callwise/moments/triggers.yaml``), loaded once."""
    raw = (files("callwise.moments") / DEFAULT_FILE).read_bytes()
    return triggers_from_bytes(raw, DEFAULT_FILE, "builtin")


def triggers_from_bytes(raw: bytes, label: str, source: str) -> Triggers:
    from callwise.yamlfile import line_of

    model, doc = load_config(raw, label, TriggersModel, "trigger_catalogue", TriggerError)

    def fail(i: int, loc: tuple[str | int, ...], reason: Term) -> TriggerError:
        return problem(TriggerError, label, doc, ("triggers", i, *loc), reason)

    out: dict[str, Trigger] = {}
    for i, entry in enumerate(model.triggers):
        if entry.id in out:
            raise fail(i, ("id",), msg("moments.id_twice", id=entry.id))
        block = getattr(entry, entry.kind)
        if block is None:
            raise fail(i, ("kind",), msg("moments.block_missing", kind=entry.kind))
        for other in KINDS:
            if other != entry.kind and getattr(entry, other) is not None:
                raise fail(i, (other,), msg("moments.block_other", block=other, kind=entry.kind))
        validity = entry.validity
        if validity is None:
            if entry.kind != "date_ahead":
                raise fail(i, ("kind",), msg("moments.validity_needed", kind=entry.kind))
            validity = Duration(days=1)  # through the date itself
        if entry.cooldown is not None and entry.kind != "transaction":
            raise fail(i, ("cooldown",), msg("moments.cooldown_transaction_only"))
        if isinstance(block, DateAheadBlock):
            _check_date_block(block, lambda loc, reason, i=i: fail(i, ("date_ahead", *loc), reason))
        if entry.where is not None:
            reason = _where_problem(entry.where)
            if reason is not None:
                raise fail(i, ("where",), reason)
        out[entry.id] = Trigger(
            id=entry.id,
            name_zh=entry.name.zh,
            name_en=entry.name.en,
            description_zh=entry.description.zh,
            description_en=entry.description.en,
            kind=entry.kind,
            block=block,
            validity=validity,
            cooldown=entry.cooldown,
            where=entry.where.strip() if entry.where else None,
            line=line_of(doc.root, ("triggers", i)),
        )
    return Triggers(out, source, hashlib.sha256(raw).hexdigest())


def _check_date_block(block: DateAheadBlock, fail: Any) -> None:
    if block.column == "events.detail" and block.event is None:
        raise fail(("column",), msg("moments.event_needed"))
    if block.column != "events.detail" and block.event is not None:
        raise fail(("event",), msg("moments.event_only_events"))
    if block.column != "holdings.matures_at" and block.category is not None:
        raise fail(("category",), msg("moments.category_only_holdings"))


def _where_problem(expression: str) -> Term | None:
    """Why ``where:`` cannot be used (a condition over the shipped tag catalogue, no sensitive tag), or None."""
    from callwise.tags import AudienceError, check_audience, default_catalogue

    catalogue = default_catalogue()
    try:
        analysis = check_audience(None, catalogue, expression)
    except AudienceError as exc:
        if exc.column is None:
            return msg("moments.where_invalid", reason=exc.reason)
        return msg("moments.where_at", column=exc.column, reason=exc.reason)
    if "segment" in analysis.names:
        return msg("moments.where_invalid", reason=msg("tags.audience.no_segments"))
    sensitive = [t for t in analysis.tags if catalogue.tags[t].sensitive]
    if sensitive:
        return msg("moments.where_sensitive", tag=sensitive[0])
    return None
