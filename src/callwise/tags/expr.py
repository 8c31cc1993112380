"""The tag expression language: Python syntax, a whitelist of its nodes, compiled to Ibis (never evaluated).

An expression is parsed with ``ast.parse(mode="eval")`` and walked twice. :func:`analyse` checks every node
against the whitelist, resolves every name through a :class:`Scope` (tags, as-of features, customer columns)
and infers the expression's type; it needs no lake, so a catalogue is checked when it is loaded.
:class:`Compiler` turns the checked tree into an Ibis expression over a table holding the names' columns and
one column per table window (see :class:`Window`), which the builder aggregates once per source table.

Nothing here calls ``eval``/``exec``/``compile``: a node that is not in the whitelist (attribute access outside
``table.column``, subscripts, lambdas, comprehensions, f-strings, ``**``, ``x if c else y``, unknown functions,
keywords) is refused with the reason and its column. Limits: :data:`MAX_CHARS` characters, :data:`MAX_DEPTH`
levels of nesting; Python's own ``SyntaxError``, ``RecursionError`` and ``MemoryError`` become the same refusal.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from callwise.i18n.errors import Term
from callwise.i18n.message import Localised, msg
from callwise.schema.contract import CONTACTS, CONVERSIONS, EVENTS, HOLDINGS, TRANSACTIONS, Kind
from callwise.schema.contract import Table as ContractTable

MAX_CHARS = 2_000
MAX_DEPTH = 30
MAX_DAYS = 3_650
DAY_SECONDS = 86_400

Type = Literal["bool", "num", "str", "time", "null"]

_KIND_TYPES: dict[Kind, Type] = {
    Kind.TEXT: "str",
    Kind.PHONE: "str",
    Kind.ENUM: "str",
    Kind.JSON: "str",
    Kind.INT: "num",
    Kind.FLOAT: "num",
    Kind.BOOL: "bool",
    Kind.DATE: "time",
    Kind.DATETIME: "time",
}


def kind_type(kind: Kind) -> Type:
    return _KIND_TYPES[kind]


def _columns(table: ContractTable) -> dict[str, Type]:
    return {c.name: kind_type(c.kind) for c in table.columns if c.name != "customer_id"}


# The tables a window reads, their columns (from the data contract) and their time column.
TABLES: dict[str, dict[str, Type]] = {
    "transactions": _columns(TRANSACTIONS),
    "events": _columns(EVENTS),
    "contacts": _columns(CONTACTS),
    "conversions": _columns(CONVERSIONS),
    "holdings": _columns(HOLDINGS),
}
TIME_COLUMN = {"transactions": "ts", "events": "ts", "contacts": "ts", "conversions": "ts"}  # holdings: held at

SCALAR_FUNCTIONS = (
    "coalesce",
    "if_else",
    "between",
    "is_null",
    "abs",
    "least",
    "greatest",
    "log1p",
    "round",
    "bucket",
    "days_before",
    "month_of",
    "contains",
)
ROW_WINDOWS = ("count", "exists", "days_since")  # first argument: a table
COLUMN_WINDOWS = ("sum", "mean", "max", "min", "count_distinct")  # first argument: table.column
WINDOWS = ROW_WINDOWS + COLUMN_WINDOWS
FUNCTIONS = (*SCALAR_FUNCTIONS, *WINDOWS, "percentile")
# Windows that are 0 (or false) for a customer without rows; the others are unknown (null).
ZERO_WHEN_EMPTY = ("count", "exists", "sum", "count_distinct")

# What a refused node is called in a sentence (catalogue keys tags.node.*).
_NODE_WORDS = {
    ast.Attribute: "attribute",
    ast.Subscript: "subscript",
    ast.Slice: "subscript",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.JoinedStr: "fstring",
    ast.FormattedValue: "fstring",
    ast.IfExp: "ifexp",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Tuple: "tuple",
    ast.NamedExpr: "walrus",
    ast.Starred: "starred",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_OPERATORS = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}


class ExpressionError(Localised):
    """An expression that cannot be used: ``reason`` (a catalogue term) at ``column`` (1-based) of the text."""

    def __init__(self, reason: Term, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.column = reason, column


def _refuse(node: ast.AST | None, key: str, **values: object) -> ExpressionError:
    column = getattr(node, "col_offset", None)
    return ExpressionError(msg(key, **values), column + 1 if column is not None else None)


def _hint(name: str, known: list[str]) -> Term | str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return msg("config.did_you_mean", name=close[0]) if close else ""


@dataclass(frozen=True)
class Window:
    """One table window: ``func`` over ``table`` (``column`` of it), as of the cutoff, in the last ``days`` days,
    over the rows where ``where`` holds. ``key`` identifies it (the same call in two tags is one aggregate)."""

    key: str
    func: str
    table: str
    column: str | None
    days: int | None
    where: ast.expr | None


@dataclass(frozen=True)
class Resolved:
    """What a bare name stands for: a tag, a feature, a customer column or the audience's segment."""

    kind: Literal["tag", "feature", "column", "segment"]
    name: str  # the tag's id, the feature's or column's name
    type: Type
    levels: tuple[str, ...] | None = None


class Scope:
    """The names an expression may use. ``resolve`` returns None for an unknown name; ``refused`` a reason."""

    def resolve(self, name: str) -> Resolved | None:
        raise NotImplementedError

    def known(self) -> list[str]:
        raise NotImplementedError

    def refused(self, name: str) -> Term | None:
        return None


@dataclass
class Analysis:
    """A checked expression: its tree, its type and everything it reads."""

    text: str
    tree: ast.expr
    type: Type
    names: dict[str, Resolved] = field(default_factory=dict)  # written name → what it is
    windows: dict[str, Window] = field(default_factory=dict)  # key → window
    table_columns: dict[str, set[str]] = field(default_factory=dict)  # table → columns read by its windows
    strings: frozenset[str] | None = None  # the string values it can take, when they are all literals

    @property
    def tags(self) -> list[str]:
        return sorted({r.name for r in self.names.values() if r.kind == "tag"})

    @property
    def features(self) -> list[str]:
        return sorted({r.name for r in self.names.values() if r.kind in ("feature", "column")})


def _syntax_column(text: str, stripped: str, exc: SyntaxError) -> int:
    """The 1-based column of a syntax error in the text as written; Python says 0 when the text ends too soon."""
    if not exc.offset:
        return len(text) - len(text.lstrip()) + len(stripped) + 1
    before = stripped.split("\n")[: (exc.lineno or 1) - 1]
    return len(text) - len(text.lstrip()) + sum(len(line) + 1 for line in before) + exc.offset


def parse(text: str) -> ast.expr:
    """The expression's tree, within the limits; the syntax is Python's, refused as one clear sentence."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(msg("tags.expr.empty"))
    if len(text) > MAX_CHARS:
        raise ExpressionError(msg("tags.expr.too_long", limit=f"{MAX_CHARS:,}", length=f"{len(text):,}"))
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(msg("tags.expr.syntax"), _syntax_column(text, stripped, exc)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(msg("tags.expr.too_deep", limit=MAX_DEPTH)) from None
    except ValueError:  # a NUL byte
        raise ExpressionError(msg("tags.expr.syntax")) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError(msg("tags.expr.too_deep", limit=MAX_DEPTH))
    _count_columns_in_characters(tree, stripped, len(text) - len(text.lstrip()))
    return tree.body


def _count_columns_in_characters(tree: ast.AST, stripped: str, lead: int) -> None:
    """Python's tree counts a node's column in UTF-8 bytes of its line (a Chinese tag name is 3 a character);
    a reader counts characters of the text as written, so every node's ``col_offset`` is made that."""
    lines = stripped.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for node in ast.walk(tree):
        if isinstance(node, (ast.expr, ast.keyword)) and node.lineno <= len(lines):
            head = lines[node.lineno - 1].encode("utf-8")[: node.col_offset]
            node.col_offset = lead + starts[node.lineno - 1] + len(head.decode("utf-8", errors="ignore"))


def _depth(node: ast.AST) -> int:
    """Nesting depth without recursion (a tree at Python's limit must not exhaust the stack here)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(current) if _counts(child))
    return deepest


def _counts(node: ast.AST) -> bool:
    """Operator and context nodes are not a level of nesting a person writes."""
    return not isinstance(node, (ast.operator, ast.boolop, ast.cmpop, ast.unaryop, ast.expr_context))


def analyse(text: str, scope: Scope) -> Analysis:
    """Parse and check ``text`` against the whitelist and ``scope``: its type and what it reads."""
    tree = parse(text)
    checker = _Checker(scope)
    try:
        kind = checker.check(tree)
    except RecursionError:
        raise ExpressionError(msg("tags.expr.too_deep", limit=MAX_DEPTH)) from None
    return Analysis(text, tree, kind, checker.names, checker.windows, checker.table_columns, _strings(tree, checker))


def _strings(node: ast.expr, checker: _Checker) -> frozenset[str] | None:
    """The string values the expression can take, when every one of them is written in it (levels check)."""
    if isinstance(node, ast.Constant):
        return frozenset({node.value}) if isinstance(node.value, str) else frozenset()
    if isinstance(node, ast.Name):
        resolved = checker.names.get(node.id)
        return frozenset(resolved.levels) if resolved and resolved.levels else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = node.args
        if node.func.id == "bucket" and len(args) == 3 and isinstance(args[2], ast.List):
            return frozenset(c.value for c in args[2].elts if isinstance(c, ast.Constant) and isinstance(c.value, str))
        parts = args[1:] if node.func.id == "if_else" else args if node.func.id == "coalesce" else None
        if parts is not None:
            found: set[str] = set()
            for part in parts:
                values = _strings(part, checker)
                if values is None:
                    return None
                found |= values
            return frozenset(found)
    return None


def _literal(node: ast.expr) -> ast.Constant | None:
    """A literal, with a leading minus folded in (``-5``)."""
    if isinstance(node, ast.Constant):
        return node
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        return ast.Constant(-number_of(node.operand))  # type: ignore[operator]
    return None


def number_of(node: ast.expr) -> float | int | None:
    """The number a literal (or a minus and a literal) writes; None for anything else (booleans included)."""
    literal = _literal(node) if not isinstance(node, ast.Constant) else node
    if literal is not None and type(literal.value) in (int, float):
        value: float | int = literal.value  # type: ignore[assignment]
        return value
    return None


class _Checker:
    """The whitelist, name resolution and types (one walk over the tree)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.names: dict[str, Resolved] = {}
        self.windows: dict[str, Window] = {}
        self.table_columns: dict[str, set[str]] = {}

    def check(self, node: ast.expr, table: str | None = None) -> Type:
        """The type of ``node``; ``table``: inside a window's ``where=``, whose bare names are its columns."""
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self._expect(value, "bool", table, "and" if isinstance(node.op, ast.And) else "or")
            return "bool"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self._expect(node.operand, "bool", table, "not")
                return "bool"
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                self._expect(node.operand, "num", table, "-")
                return "num"
            raise _refuse(node, "tags.expr.operator", op=_OPERATORS.get(type(node.op), "?"))
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                raise _refuse(node, "tags.expr.operator", op=_OPERATORS.get(type(node.op), "?"))
            self._expect(node.left, "num", table, _ARITH[type(node.op)])
            self._expect(node.right, "num", table, _ARITH[type(node.op)])
            return "num"
        if isinstance(node, ast.Compare):
            return self._compare(node, table)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node, table)
        if isinstance(node, ast.Call):
            return self._call(node, table)
        if isinstance(node, ast.List):
            raise _refuse(node, "tags.expr.list_here")
        if isinstance(node, ast.Attribute):
            raise _refuse(node, "tags.expr.attribute")
        word = _NODE_WORDS.get(type(node), "other")
        raise _refuse(node, "tags.expr.not_allowed", what=msg(f"tags.node.{word}"))

    def _expect(self, node: ast.expr, want: Type, table: str | None, where: str) -> None:
        got = self.check(node, table)
        if got not in (want, "null"):
            raise _refuse(node, "tags.expr.type", where=where, expected=msg(f"tags.type.{want}"), got=_said(got))

    def _constant(self, node: ast.Constant) -> Type:
        value = node.value
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, (int, float)):
            return "num"
        if isinstance(value, str):
            return "str"
        if value is None:
            return "null"
        raise _refuse(node, "tags.expr.not_allowed", what=msg("tags.node.literal"))

    def _name(self, node: ast.Name, table: str | None) -> Type:
        name = node.id
        if table is not None:  # inside where=: the table's columns
            columns = TABLES[table]
            if name not in columns or name == TIME_COLUMN.get(table):
                if name in columns:  # the time column: the window already bounds it
                    raise _refuse(node, "tags.expr.time_in_where", table=table, name=name)
                known = [c for c in columns if c != TIME_COLUMN.get(table)]
                hint = _hint(name, known)
                raise _refuse(node, "tags.expr.unknown_table_column", table=table, name=name, hint=hint)
            self.table_columns.setdefault(table, set()).add(name)
            return columns[name]
        if name in TABLES:
            raise _refuse(node, "tags.expr.bare_table", name=name)
        if name in FUNCTIONS:
            raise _refuse(node, "tags.expr.function_as_name", name=name)
        refused = self.scope.refused(name)
        if refused is not None:
            raise ExpressionError(refused, node.col_offset + 1)
        resolved = self.scope.resolve(name)
        if resolved is None:
            raise _refuse(node, "tags.expr.unknown_name", name=name, hint=_hint(name, self.scope.known()))
        self.names[name] = resolved
        return resolved.type

    def _compare(self, node: ast.Compare, table: str | None) -> Type:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise _refuse(node, "tags.expr.use_is_null")
            if isinstance(op, (ast.In, ast.NotIn)):
                self._in(left, right, table)
                continue
            if not isinstance(op, (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                raise _refuse(node, "tags.expr.operator", op="?")
            for side in (left, right):
                if isinstance(side, ast.Constant) and side.value is None:
                    raise _refuse(side, "tags.expr.use_is_null")
            a, b = self.check(left, table), self.check(right, table)
            if (a == "time" and b == "str") or (a == "str" and b == "time"):
                self._date_literal(right if b == "str" else left)
            elif a != b or (a == "bool" and not isinstance(op, (ast.Eq, ast.NotEq))):
                raise _refuse(node, "tags.expr.compare_types", left=_said(a), right=_said(b))
        return "bool"

    def _date_literal(self, node: ast.expr) -> None:
        if not isinstance(node, ast.Constant) or not _iso_day(str(node.value)):
            raise _refuse(node, "tags.expr.date_literal", value=ast.unparse(node)[:40])

    def _in(self, left: ast.expr, right: ast.expr, table: str | None) -> None:
        kind = self.check(left, table)
        if not isinstance(right, ast.List) or not right.elts:
            raise _refuse(right, "tags.expr.in_list")
        for item in right.elts:
            literal = _literal(item)
            if literal is None or literal.value is None:
                raise _refuse(item, "tags.expr.in_list")
            got = self._constant(literal)
            if got != kind:
                raise _refuse(item, "tags.expr.compare_types", left=_said(kind), right=_said(got))

    def _call(self, node: ast.Call, table: str | None) -> Type:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise _refuse(node.func, "tags.expr.attribute")
            self.check(node.func, table)  # says what the called thing is (a lambda, a subscript …)
            raise _refuse(node, "tags.expr.not_allowed", what=msg("tags.node.other"))
        name = node.func.id
        if name not in FUNCTIONS:
            raise _refuse(node, "tags.expr.unknown_function", name=name, hint=_hint(name, list(FUNCTIONS)))
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise _refuse(node, "tags.expr.not_allowed", what=msg("tags.node.starred"))
        if name in WINDOWS:
            if table is not None:
                raise _refuse(node, "tags.expr.window_in_where", name=name)
            return self._window(node, name)
        if node.keywords:
            raise _refuse(node.keywords[0].value, "tags.expr.keyword", function=name, name=node.keywords[0].arg)
        if name == "percentile":
            if table is not None:
                raise _refuse(node, "tags.expr.percentile_in_where")
            self._arity(node, 1, "x")
            self._expect(node.args[0], "num", table, name)
            return "num"
        return self._scalar(node, name, table)

    def _arity(self, node: ast.Call, count: int | tuple[int, int], signature: str) -> None:
        low, high = (count, count) if isinstance(count, int) else count
        if not low <= len(node.args) <= high:
            name = node.func.id if isinstance(node.func, ast.Name) else "?"
            raise _refuse(node, "tags.expr.arguments", function=name, signature=f"{name}({signature})")

    def _scalar(self, node: ast.Call, name: str, table: str | None) -> Type:
        args = node.args
        if name == "coalesce":
            self._arity(node, (2, 20), "a, b, ...")
            return self._same(node, [self.check(a, table) for a in args], name)
        if name == "if_else":
            self._arity(node, 3, "cond, a, b")
            self._expect(args[0], "bool", table, name)
            return self._same(node, [self.check(a, table) for a in args[1:]], name)
        if name in ("least", "greatest"):
            self._arity(node, (2, 20), "a, b, ...")
            for a in args:
                self._expect(a, "num", table, name)
            return "num"
        if name == "between":
            self._arity(node, 3, "x, lo, hi")
            kinds = [self.check(a, table) for a in args]
            if kinds[0] == "time":
                for bound in args[1:]:
                    self._date_literal(bound)
            else:
                self._same(node, kinds, name)
            return "bool"
        if name == "is_null":
            self._arity(node, 1, "x")
            self.check(args[0], table)
            return "bool"
        if name in ("abs", "log1p"):
            self._arity(node, 1, "x")
            self._expect(args[0], "num", table, name)
            return "num"
        if name == "round":
            self._arity(node, (1, 2), "x, n")
            self._expect(args[0], "num", table, name)
            if len(args) == 2:
                digits = _literal(args[1])
                if digits is None or type(digits.value) is not int or not 0 <= digits.value <= 12:
                    raise _refuse(args[1], "tags.expr.round_digits")
            return "num"
        if name == "bucket":
            return self._bucket(node, table)
        if name in ("days_before", "month_of"):
            self._arity(node, 1, "col")
            self._expect(args[0], "time", table, name)
            return "num"
        # contains
        self._arity(node, 2, "text, 'substr'")
        self._expect(args[0], "str", table, name)
        if not (isinstance(args[1], ast.Constant) and isinstance(args[1].value, str) and args[1].value):
            raise _refuse(args[1], "tags.expr.contains_literal")
        return "bool"

    def _same(self, node: ast.Call, kinds: list[Type], name: str) -> Type:
        known = {k for k in kinds if k != "null"}
        if len(known) > 1:
            a, b = sorted(known)[:2]
            raise _refuse(node, "tags.expr.mixed", function=name, left=_said(a), right=_said(b))
        return known.pop() if known else "null"

    def _bucket(self, node: ast.Call, table: str | None) -> Type:
        self._arity(node, 3, "x, [c1, c2, ...], ['l0', 'l1', ...]")
        x, cuts, labels = node.args
        self._expect(x, "num", table, "bucket")
        values: list[float] = []
        if isinstance(cuts, ast.List) and cuts.elts:
            for item in cuts.elts:
                number = number_of(item)
                if number is None:
                    values = []
                    break
                values.append(number)
        if not values or values != sorted(values) or len(set(values)) != len(values):
            raise _refuse(cuts, "tags.expr.bucket_cuts")
        names = [c.value for c in labels.elts if isinstance(c, ast.Constant)] if isinstance(labels, ast.List) else []
        if len(names) != len(values) + 1 or not all(isinstance(n, str) and n for n in names):
            raise _refuse(labels, "tags.expr.bucket_labels", count=len(values) + 1)
        return "str"

    def _window(self, node: ast.Call, name: str) -> Type:
        if len(node.args) != 1:
            raise _refuse(node, "tags.expr.arguments", function=name, signature=_WINDOW_SIGNATURES[name])
        target = node.args[0]
        column: str | None = None
        if name in ROW_WINDOWS:
            if not (isinstance(target, ast.Name) and target.id in TABLES):
                raise _refuse(target, "tags.expr.table_argument", function=name, tables=", ".join(TABLES))
            table = target.id
        else:
            if not (
                isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in TABLES
            ):
                raise _refuse(target, "tags.expr.column_argument", function=name, tables=", ".join(TABLES))
            table, column = target.value.id, target.attr
            columns = TABLES[table]
            if column not in columns:
                hint = _hint(column, list(columns))
                raise _refuse(target, "tags.expr.unknown_table_column", table=table, name=column, hint=hint)
            kind = columns[column]
            if (name in ("sum", "mean") and kind != "num") or (name in ("max", "min") and kind not in ("num", "time")):
                raise _refuse(target, "tags.expr.type", where=name, expected=msg("tags.type.num"), got=_said(kind))
            self.table_columns.setdefault(table, set()).add(column)
        days: int | None = None
        where: ast.expr | None = None
        for keyword in node.keywords:
            if keyword.arg == "days" and name != "days_since":
                if table == "holdings":
                    raise _refuse(keyword.value, "tags.expr.holdings_days")
                value = keyword.value
                literal = value.value if isinstance(value, ast.Constant) else None
                if type(literal) is not int or not 1 <= literal <= MAX_DAYS:
                    raise _refuse(value, "tags.expr.days", limit=f"{MAX_DAYS:,}")
                days = literal
            elif keyword.arg == "where":
                self._expect(keyword.value, "bool", table, "where=")
                where = keyword.value
            else:
                raise _refuse(keyword.value, "tags.expr.keyword", function=name, name=keyword.arg)
        if table not in TIME_COLUMN and name == "days_since":
            raise _refuse(target, "tags.expr.days_since_holdings")
        self.table_columns.setdefault(table, set())
        key = ast.dump(node)
        self.windows[key] = Window(key, name, table, column, days, where)
        if name in ("count", "count_distinct", "sum", "mean", "days_since"):
            return "num"
        if name == "exists":
            return "bool"
        return TABLES[table][column] if column else "num"  # max / min keep the column's type


_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_WINDOW_SIGNATURES = {
    "count": "count(T, days=N, where=COND)",
    "exists": "exists(T, days=N, where=COND)",
    "days_since": "days_since(T, where=COND)",
    **{f: f"{f}(T.col, days=N, where=COND)" for f in COLUMN_WINDOWS},
}


def _said(kind: Type) -> Term:
    return msg(f"tags.type.{kind}")


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------- compiling


class Compiler:
    """Ibis expressions for checked trees, over a table of the names' columns and the windows' columns.

    ``column(resolved)`` gives the Ibis value of a tag, feature or column; ``window(key)`` the aggregated value
    of a window (already 0 for a customer without rows when it counts). ``cutoff`` is the moment of the build.
    """

    def __init__(
        self,
        cutoff: datetime,
        column: Callable[[Resolved], ir.Value],
        window: Callable[[str], ir.Value],
        names: Mapping[str, Resolved],
    ) -> None:
        self.cutoff, self.column, self.window, self.names = cutoff, column, window, names

    def compile(self, node: ast.expr, table: ir.Table | None = None) -> ir.Value:
        """``node`` as an Ibis value; ``table``: inside a window's ``where=`` (names are its columns)."""
        if isinstance(node, ast.BoolOp):
            values = [self.compile(v, table) for v in node.values]
            out = values[0]
            for value in values[1:]:
                out = (out & value) if isinstance(node.op, ast.And) else (out | value)
            return out
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, table)
            if isinstance(node.op, ast.Not):
                return ~operand
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.compile(node.left, table), self.compile(node.right, table)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left.cast("float64") / right.cast("float64").nullif(0.0)  # division by zero: unknown
        if isinstance(node, ast.Compare):
            return self._compare(node, table)
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            if table is not None:
                return table[node.id]
            return self.column(self.names[node.id])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in WINDOWS:
                return self.window(ast.dump(node))
            if name == "percentile":
                x = self.compile(node.args[0], table)
                rank = ibis.percent_rank().over(ibis.window(group_by=x.isnull(), order_by=x))
                return x.isnull().ifelse(ibis.null("float64"), rank)
            return self._scalar(name, node.args, table)
        raise ExpressionError(msg("tags.expr.not_allowed", what=msg("tags.node.other")))

    def _compare(self, node: ast.Compare, table: ir.Table | None) -> ir.Value:
        operands = [node.left, *node.comparators]
        values: dict[int, ir.Value] = {}

        def value(i: int) -> ir.Value:
            if i not in values:
                values[i] = self.compile(operands[i], table)
            return values[i]

        parts: list[ir.BooleanValue] = []
        for i, op in enumerate(node.ops):
            left = value(i)
            if isinstance(op, (ast.In, ast.NotIn)):
                right = operands[i + 1]
                items = [_literal(item) for item in right.elts] if isinstance(right, ast.List) else []
                inside = left.isin([item.value for item in items if item is not None])
                parts.append(inside if isinstance(op, ast.In) else ~inside)
                continue
            right_value = value(i + 1)
            left, right_value = _dates_aligned(left, right_value)
            parts.append(_COMPARE[type(op)](left, right_value))
        out = parts[0]
        for part in parts[1:]:
            out &= part
        return out

    def _scalar(self, name: str, args: list[ast.expr], table: ir.Table | None) -> ir.Value:
        if name == "bucket":
            return self._bucket(args, table)
        values = [self.compile(a, table) for a in args]
        if name == "coalesce":
            return ibis.coalesce(*_typed_nulls(values))
        if name == "if_else":
            a, b = _typed_nulls(values[1:])
            return values[0].ifelse(a, b)
        if name == "between":
            x, lo, hi = _dates_aligned_many(values)
            return x.between(lo, hi)
        if name == "is_null":
            return values[0].isnull()
        if name == "abs":
            return values[0].abs()
        if name == "least":
            return ibis.least(*values)
        if name == "greatest":
            return ibis.greatest(*values)
        if name == "log1p":
            x = values[0].cast("float64")
            return (x > -1.0).ifelse(x + 1.0, ibis.null("float64")).ln()
        if name == "round":
            digits = number_of(args[1]) if len(args) == 2 else 0
            return values[0].cast("float64").round(int(digits or 0))
        if name == "days_before":
            return days_before(values[0], self.cutoff)
        if name == "month_of":
            return values[0].month().cast("int64")
        # contains
        text = args[1].value if isinstance(args[1], ast.Constant) else ""
        return values[0].contains(str(text))

    def _bucket(self, args: list[ast.expr], table: ir.Table | None) -> ir.Value:
        x = self.compile(args[0], table)
        cuts = [number_of(c) for c in args[1].elts] if isinstance(args[1], ast.List) else []
        labels = (
            [str(c.value) for c in args[2].elts if isinstance(c, ast.Constant)] if isinstance(args[2], ast.List) else []
        )
        branches = [(x < float(cut or 0), label) for cut, label in zip(cuts, labels, strict=False)]
        levels = ibis.cases(*branches, else_=labels[-1])
        return x.isnull().ifelse(ibis.null("string"), levels)


_COMPARE: dict[type, Callable[[Any, Any], ir.BooleanValue]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


def _constant(value: object) -> ir.Value:
    if value is None:
        return ibis.null()
    if isinstance(value, bool):
        return ibis.literal(value, type="boolean")
    if isinstance(value, int):  # 64 bits: ibis would type 5 as int8, and 100 * 100 would overflow
        return ibis.literal(value, type="int64")
    if isinstance(value, float):
        return ibis.literal(value, type="float64")
    return ibis.literal(str(value), type="string")


def _typed_nulls(values: list[ir.Value]) -> list[ir.Value]:
    """A bare ``None`` takes the type of the values beside it (a CASE needs one type)."""
    typed = next((v for v in values if not v.type().is_null()), None)
    if typed is None:
        return values
    kind = typed.type()
    kind = ibis.dtype("float64") if kind.is_numeric() else kind
    return [ibis.null(kind) if v.type().is_null() else v.cast(kind) for v in values]


def _dates_aligned(a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """A date written as text beside a date or time column is that day (a timestamp at its midnight)."""
    if a.type().is_temporal() and b.type().is_string():
        return a.cast("timestamp"), _day_literal(b)
    if b.type().is_temporal() and a.type().is_string():
        return _day_literal(a), b.cast("timestamp")
    if a.type().is_temporal() and b.type().is_temporal():
        return a.cast("timestamp"), b.cast("timestamp")
    return a, b


def _dates_aligned_many(values: list[ir.Value]) -> list[ir.Value]:
    if not values[0].type().is_temporal():
        return values
    return [values[0].cast("timestamp"), *(_day_literal(v) for v in values[1:])]


def _day_literal(value: ir.Value) -> ir.Value:
    op: Any = value.op()
    text = str(op.value)
    day = _iso_day(text)
    moment = datetime.fromisoformat(text) if len(text) == 19 else datetime.combine(day or date.min, datetime.min.time())
    return ibis.literal(moment, type="timestamp")


def days_before(column: ir.Value, cutoff: datetime) -> ir.Value:
    """Whole days from ``column``'s day to the cutoff's day; unknown when the column is, or is not before it."""
    day = datetime.combine(cutoff.date(), datetime.min.time())
    seconds = ibis.literal(day).epoch_seconds() - column.cast("date").cast("timestamp").epoch_seconds()
    whole = (seconds / DAY_SECONDS).floor().cast("int64")
    return (column.cast("timestamp") < ibis.literal(cutoff)).ifelse(whole, ibis.null("int64"))


def window_start(cutoff: datetime, days: int) -> datetime:
    """The first moment a window of ``days`` days reads (rows from it to strictly before the cutoff)."""
    return cutoff - timedelta(days=days)
