"""Sentences built in parts from catalogue phrases, for errors that name a file, a key and a hint.

A :class:`~callwise.i18n.errors.Term` may hold other terms as values (a reason inside ``<file>:<line>: …``,
a "did you mean" inside the reason); each is said in the language of the sentence around it.
:class:`Localised` is a :class:`~callwise.i18n.errors.Translated` error raised with one such term.
"""

from __future__ import annotations

from typing import Any

from callwise.i18n.errors import Term, Translated


def msg(key: str, /, **values: object) -> Term:
    """The catalogue phrase ``key`` with its placeholders' values (terms among them are said in kind)."""
    return Term(key, tuple(values.items()))


class Localised(Translated, ValueError):
    """A refusal worded from one catalogue term; ``str()`` is its English sentence, ``msg`` the term."""

    def __init__(self, term: Term) -> None:
        super().__init__(term.key, **dict(term.values))
        self.msg = term

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other arguments than (key, **values): rebuild from the state, not the constructor.
        return (_restore, (type(self), self.__dict__.copy(), self.args))


def _restore(cls: type[Localised], state: dict[str, Any], args: tuple[Any, ...]) -> Localised:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def clipped(names: list[str], limit: int = 10) -> Term | str:
    """``a, b, c`` — or the first ``limit`` names and how many more, so a long list stays one readable line."""
    if not names:
        return msg("message.none")
    if len(names) <= limit:
        return ", ".join(names)
    return msg("message.clipped", shown=", ".join(names[:limit]), more=len(names) - limit)
