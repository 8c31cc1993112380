"""The tag catalogue: a YAML file of tag declarations, loaded and checked through :mod:`callwise.configfile`.

Every check is done at load, so a catalogue that loads can be built: each definition parses within the
language's whitelist and limits, every name it uses resolves (another tag by id or Chinese name, an as-of
feature, a customer column that is not personal data), its type matches the tag's value (a flag is a
condition, a level one of its ``levels``, a number a number), no tag reads itself through others (the cycle is
named), no tag speaks of or selects by a forbidden topic (:mod:`callwise.tags.forbidden`), and a tag reading a
sensitive tag is sensitive itself (so hiding sensitive tags never breaks or reveals one that is shown).
Refusals read ``<file>:<line>: <reason>``, at the line of the key at fault.
"""

from __future__ import annotations

import hashlib
import keyword
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from pydantic import ConfigDict, Field

from callwise.configfile import ConfigError, ConfigModel, load_config, problem, read_config
from callwise.i18n.errors import Term, Translated
from callwise.i18n.message import msg
from callwise.lake import Lake
from callwise.schema.contract import CUSTOMERS, PII_COLUMNS, TABLES
from callwise.tags import forbidden
from callwise.tags.expr import Analysis, ExpressionError, Resolved, Scope, Type, analyse, kind_type
from callwise.yamlfile import line_of

CATEGORIES = ("basic", "behaviour", "preference", "value", "risk", "lifecycle", "channel")
KINDS = ("fact", "rule", "model")
VALUES = ("flag", "level", "number")
REFRESH = ("daily", "weekly", "monthly")
SENSITIVITY = ("normal", "sensitive")
SENSITIVE_PERMISSION = "tags:sensitive"
VALUE_TYPES: dict[str, Type] = {"flag": "bool", "level": "str", "number": "num"}
PII_NAMES = frozenset({*PII_COLUMNS, *(f"{n}_{p}" for n in PII_COLUMNS for p in ("token", "lookup", "masked"))})

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
TagKind = Literal[KINDS]  # type: ignore[valid-type]
TagValue = Literal[VALUES]  # type: ignore[valid-type]
Refresh = Literal[REFRESH]  # type: ignore[valid-type]
Sensitivity = Literal[SENSITIVITY]  # type: ignore[valid-type]


class CatalogueError(ConfigError):
    """A tag catalogue that cannot be used; the message is ``<file>:<line>: <reason>``."""


class UnknownTag(Translated, KeyError):
    """A tag asked for by a name the catalogue does not have (the closest one suggested)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# ------------------------------------------------------------------------------------------------ the file


class _Strict(ConfigModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Words(_Strict):
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Text(_Strict):
    zh: str = Field(min_length=1, max_length=2_000)
    en: str = Field(min_length=1, max_length=2_000)


class TagModel(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: Words
    description: Text
    category: Category
    kind: TagKind
    value: TagValue
    levels: list[str] | None = Field(None, min_length=1, max_length=50)
    definition: str = Field(min_length=1)
    owner: str = Field(min_length=1, max_length=200)
    refresh: Refresh
    sensitivity: Sensitivity = "normal"


class CatalogueModel(_Strict):
    version: int = 1
    tags: list[TagModel] = Field(min_length=1)

    @classmethod
    def config_reason(cls, kind: str, loc: tuple[str | int, ...], known: list[str]) -> Term | None:
        if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
            return msg("tags.id_pattern")
        return None


# ------------------------------------------------------------------------------------------------ the tags


@dataclass(frozen=True)
class Tag:
    """One tag of a catalogue, as declared (``line``: where its entry starts in the file)."""

    id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    category: str
    kind: str
    value: str
    levels: tuple[str, ...] | None
    definition: str
    owner: str
    refresh: str
    sensitivity: str
    line: int

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" else self.description_en

    @property
    def sensitive(self) -> bool:
        return self.sensitivity == "sensitive"

    @property
    def type(self) -> Type:
        return VALUE_TYPES[self.value]


@dataclass(frozen=True)
class Catalogue:
    """Tags by id, in file order, each with its checked definition; ``sha256`` names the exact file."""

    tags: dict[str, Tag]
    analyses: dict[str, Analysis] = field(repr=False)
    source: str = "builtin"
    sha256: str = ""

    def get(self, name: str) -> Tag:
        """The tag called ``name`` (its id or its Chinese name)."""
        if name in self.tags:
            return self.tags[name]
        for tag in self.tags.values():
            if tag.name_zh == name:
                return tag
        known = [*self.tags, *(t.name_zh for t in self.tags.values())]
        from callwise.tags.expr import _hint

        raise UnknownTag("tags.unknown_tag", name=name, hint=_hint(name, known))

    def analysis(self, tag_id: str) -> Analysis:
        return self.analyses[tag_id]

    def reads(self, tag_id: str) -> dict[str, Any]:
        """What the tag's definition reads directly: tags, features (and customer columns), table columns."""
        a = self.analyses[self.get(tag_id).id]
        return {
            "tags": a.tags,
            "features": a.features,
            "tables": {table: sorted(columns) for table, columns in sorted(a.table_columns.items())},
        }

    def read_by(self, tag_id: str) -> list[str]:
        """The tags whose definitions read this tag directly, in file order."""
        target = self.get(tag_id).id
        return [t for t in self.tags if target in self.analyses[t].tags]

    def visible(self, permissions: Iterable[str]) -> Catalogue:
        """The catalogue as a principal with ``permissions`` sees it: sensitive tags dropped without
        ``tags:sensitive`` (no shown tag reads a hidden one: checked at load)."""
        if SENSITIVE_PERMISSION in set(permissions):
            return self
        kept = {k: t for k, t in self.tags.items() if not t.sensitive}
        return replace(self, tags=kept, analyses={k: self.analyses[k] for k in kept})

    def by_category(self, category: str) -> list[Tag]:
        return [t for t in self.tags.values() if t.category == category]

    def needed(self, ids: Iterable[str]) -> list[str]:
        """``ids`` and every tag they read, through other tags too, in file order."""
        seen: set[str] = set()
        stack = [self.get(i).id for i in ids]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.analyses[current].tags)
        return [t for t in self.tags if t in seen]

    def layers(self, ids: Iterable[str]) -> list[list[str]]:
        """The tags ``ids`` need, in layers: a tag's layer comes after every layer of the tags it reads."""
        wanted = self.needed(ids)
        depth: dict[str, int] = {}
        for tag in _topological(wanted, {t: self.analyses[t].tags for t in wanted}):
            depth[tag] = 1 + max((depth[d] for d in self.analyses[tag].tags), default=-1)
        out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for tag in wanted:
            out[depth[tag]].append(tag)
        return out

    def scope(self, extra: dict[str, Resolved] | None = None, itself: str | None = None) -> Scope:
        return CatalogueScope(self.tags, extra or {}, itself)


def _topological(nodes: list[str], edges: dict[str, list[str]]) -> list[str]:
    done: set[str] = set()
    order: list[str] = []
    for start in nodes:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            if expanded:
                done.add(node)
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((d, False) for d in edges[node] if d not in done)
    return order


# ------------------------------------------------------------------------------------------------ names


class _SchemaLake(Lake):
    """A lake of the data contract's tables with no rows and no files: the feature table's columns and types
    come from the very code that computes them, without a file or an engine."""

    def __init__(self) -> None:
        super().__init__("/nonexistent")

    def has(self, name: str) -> bool:
        return name in TABLES

    def table(self, name: str) -> ibis.Table:
        return ibis.table(TABLES[name].arrow_schema(), name=name)


@cache
def feature_types() -> dict[str, Type]:
    """Every as-of feature (without product) and its type, from ``customer_features`` on the contract's tables."""
    from callwise.features.asof import Cutoff, Source, features_as_of

    schema = features_as_of(Source(_SchemaLake(), None), Cutoff(datetime(2000, 1, 1))).schema()
    return {name: _ibis_type(dtype) for name, dtype in schema.items() if name != "customer_id"}


@cache
def customer_column_types() -> dict[str, Type]:
    """The customers table's columns a tag may read that are not features: none of them personal data."""
    features = feature_types()
    return {
        c.name: kind_type(c.kind)
        for c in CUSTOMERS.columns
        if c.name != "customer_id" and c.name not in PII_NAMES and c.name not in features
    }


def _ibis_type(dtype: Any) -> Type:
    if dtype.is_boolean():
        return "bool"
    if dtype.is_numeric():
        return "num"
    if dtype.is_temporal():
        return "time"
    return "str"


def lake_type(value: ir.Value) -> Type:
    return _ibis_type(value.type())


class CatalogueScope(Scope):
    """Names in the order the language says: a tag (id or Chinese name), a feature, a customer column.

    ``itself``: the tag being defined; its own id names the feature or column of that name, if there is one
    (a fact tag ``gender`` defined as ``gender``). ``extra``: names an audience adds (``segment``).
    """

    def __init__(self, tags: dict[str, Tag], extra: dict[str, Resolved], itself: str | None) -> None:
        self.tags, self.extra, self.itself = tags, extra, itself
        self.by_zh = {t.name_zh: t for t in tags.values()}

    def resolve(self, name: str) -> Resolved | None:
        if name in self.extra:
            return self.extra[name]
        tag = self.tags.get(name) or self.by_zh.get(name)
        if tag is not None and not (tag.id == self.itself and name == tag.id and _is_base(name)):
            return Resolved("tag", tag.id, tag.type, tag.levels)
        if name in feature_types():
            return Resolved("feature", name, feature_types()[name])
        if name in customer_column_types():
            return Resolved("column", name, customer_column_types()[name])
        return None

    def known(self) -> list[str]:
        return [*self.extra, *self.tags, *self.by_zh, *feature_types(), *customer_column_types()]

    def refused(self, name: str) -> Term | None:
        if name in PII_NAMES:
            return msg("tags.expr.pii", name=name)
        topic = forbidden.topic_in_column(name)
        if topic is not None and self.resolve(name) is None:
            return msg("tags.forbidden.column", name=name, topic=forbidden.reason(topic))
        return None


def _is_base(name: str) -> bool:
    return name in feature_types() or name in customer_column_types()


# ------------------------------------------------------------------------------------------------ loading


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and check a catalogue file; :class:`CatalogueError` at the line of the first problem."""
    raw = read_config(path, "tag_catalogue", CatalogueError)
    return catalogue_from_bytes(raw, str(path), str(path))


DEFAULT = "default.yaml"


@cache
def default_catalogue() -> Catalogue:
    """The catalogue callwise ships (``callwise/tags/catalogue/default.yaml``), loaded once."""
    raw = (files("callwise.tags") / "catalogue" / DEFAULT).read_bytes()
    return catalogue_from_bytes(raw, DEFAULT, "builtin")


def catalogue_from_bytes(raw: bytes, label: str, source: str) -> Catalogue:
    model, doc = load_config(raw, label, CatalogueModel, "tag_catalogue", CatalogueError)

    def fail(i: int, loc: tuple[str | int, ...], reason: Term) -> CatalogueError:
        return problem(CatalogueError, label, doc, ("tags", i, *loc), reason)

    tags: dict[str, Tag] = {}
    names: dict[str, str] = {}  # every id and Chinese name → the tag's id
    index: dict[str, int] = {}
    for i, entry in enumerate(model.tags):
        tag = _tag(entry, line_of(doc.root, ("tags", i)))
        if tag.id in tags:
            raise fail(i, ("id",), msg("tags.id_twice", id=tag.id))
        zh = tag.name_zh
        if not zh.isidentifier() or keyword.iskeyword(zh):
            raise fail(i, ("name", "zh"), msg("tags.zh_not_identifier", name=zh))
        for name in (tag.id, zh):
            if name in names and not (name == zh == tag.id):
                raise fail(i, ("id",), msg("tags.name_twice", name=name, other=names[name]))
        names[tag.id], names[zh] = tag.id, tag.id
        _check_levels(entry, lambda loc, reason, i=i: fail(i, loc, reason))
        for loc, text in _texts(entry):
            topic = forbidden.topic_in_text(text)
            if topic is not None:
                raise fail(i, loc, msg("tags.forbidden.text", id=tag.id, topic=forbidden.reason(topic)))
        tags[tag.id], index[tag.id] = tag, i
    analyses: dict[str, Analysis] = {}
    for tag_id, tag in tags.items():
        i = index[tag_id]
        try:
            analysis = analyse(tag.definition, CatalogueScope(tags, {}, tag_id))
        except ExpressionError as exc:
            raise fail(i, ("definition",), _with_column(exc)) from None
        _check_definition(tag, analysis, tags, lambda reason, i=i: fail(i, ("definition",), reason))
        analyses[tag_id] = analysis
    cycle = _cycle(list(tags), {t: a.tags for t, a in analyses.items()})
    if cycle:
        raise fail(index[cycle[0]], ("definition",), msg("tags.cycle", cycle=" → ".join(cycle)))
    return Catalogue(tags, analyses, source, hashlib.sha256(raw).hexdigest())


def _tag(entry: TagModel, line: int) -> Tag:
    return Tag(
        id=entry.id,
        name_zh=entry.name.zh,
        name_en=entry.name.en,
        description_zh=entry.description.zh,
        description_en=entry.description.en,
        category=entry.category,
        kind=entry.kind,
        value=entry.value,
        levels=tuple(entry.levels) if entry.levels is not None else None,
        definition=entry.definition.strip(),
        owner=entry.owner,
        refresh=entry.refresh,
        sensitivity=entry.sensitivity,
        line=line,
    )


def _texts(entry: TagModel) -> list[tuple[tuple[str, ...], str]]:
    return [
        (("id",), entry.id),
        (("name", "zh"), entry.name.zh),
        (("name", "en"), entry.name.en),
        (("description", "zh"), entry.description.zh),
        (("description", "en"), entry.description.en),
    ]


def _check_levels(entry: TagModel, fail: Any) -> None:
    if entry.value == "level":
        if not entry.levels:
            raise fail(("value",), msg("tags.levels_needed", id=entry.id))
        if len(set(entry.levels)) != len(entry.levels) or not all(level.strip() for level in entry.levels):
            raise fail(("levels",), msg("tags.levels_unique"))
    elif entry.levels is not None:
        raise fail(("levels",), msg("tags.levels_only_for_level", value=entry.value))


def _check_definition(tag: Tag, analysis: Analysis, tags: dict[str, Tag], fail: Any) -> None:
    if analysis.type != tag.type or analysis.type == "null":
        got = msg(f"tags.type.{analysis.type}")
        raise fail(msg("tags.value_type", value=tag.value, expected=msg(f"tags.type.{tag.type}"), got=got))
    if tag.value == "level" and analysis.strings is not None:
        outside = sorted(analysis.strings - set(tag.levels or ()))
        if outside:
            raise fail(msg("tags.level_outside", value=outside[0], levels=", ".join(tag.levels or ())))
    for name in [*analysis.features, *(c for cols in analysis.table_columns.values() for c in cols)]:
        topic = forbidden.topic_in_column(name)
        if topic is not None:
            raise fail(msg("tags.forbidden.column", name=name, topic=forbidden.reason(topic)))
    if forbidden.selects_minors(analysis.tree):
        raise fail(msg("tags.forbidden.minors", id=tag.id))
    if not tag.sensitive:
        hidden = [t for t in analysis.tags if tags[t].sensitive]
        if hidden:
            raise fail(msg("tags.reads_sensitive", id=tag.id, other=hidden[0]))


def _with_column(error: ExpressionError) -> Term:
    if error.column is None:
        return error.reason
    return msg("tags.expr.at_column", column=error.column, reason=error.reason)


def _cycle(nodes: list[str], edges: dict[str, list[str]]) -> list[str] | None:
    """The first cycle found, as a path that returns to its start (``a, b, a``), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in nodes:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            deps = edges[node]
            if i < len(deps):
                stack.append((node, i + 1))
                nxt = deps[i]
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return None
