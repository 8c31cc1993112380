"""Errors whose sentence lives in the catalogue, so a command can say it in the reader's language.

``str(error)`` is the English sentence (logs, tests, libraries that match on it); ``error.message(lang)`` is
what a person reads. A stage's error class mixes this in before its Python base, e.g.
``class SourceError(Translated, ValueError)``, and is raised with a catalogue key and its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from callwise.i18n import t


@dataclass(frozen=True)
class Term:
    """A catalogue phrase used as the value of another sentence's placeholder, said in that sentence's language."""

    key: str
    values: tuple[tuple[str, object], ...] = ()

    def say(self, lang: str) -> str:
        return t(self.key, lang, **dict(self.values))


def say(key: str, lang: str, **values: object) -> str:
    """``t(key, lang, **values)`` with every ``Term`` value said in ``lang`` first."""
    return t(key, lang, **{k: v.say(lang) if isinstance(v, Term) else v for k, v in values.items()})


class Translated(Exception):
    """An error raised with a catalogue ``key`` and the ``values`` of its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        self.key: str | None = key
        self.values = values
        super().__init__(say(key, "en", **values))

    @classmethod
    def of(cls, error: BaseException) -> Self:
        """``error``'s sentence under this class: translated when ``error`` is, else its text as it stands."""
        if isinstance(error, Translated) and error.key is not None:
            return cls(error.key, **error.values)
        return cls.plain(str(error))

    @classmethod
    def plain(cls, text: str) -> Self:
        """An error whose sentence has no catalogue key (yet): said as it stands in every language."""
        error = cls.__new__(cls)
        Exception.__init__(error, text)
        error.key, error.values = None, {}
        return error

    def message(self, lang: str) -> str:
        """The sentence in ``lang`` (``zh`` or ``en``)."""
        return say(self.key, lang, **self.values) if self.key is not None else str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions are rebuilt from their args when they cross a process; rebuild from the key instead.
        return (_rebuild, (type(self), self.key, self.values, str(self)))


def _rebuild(cls: type[Translated], key: str | None, values: dict[str, object], text: str) -> Translated:
    return cls(key, **values) if key is not None else cls.plain(text)


def message(error: BaseException, lang: str) -> str:
    """What a person reads for any error: its translation when it has one, else its text."""
    return error.message(lang) if isinstance(error, Translated) else str(error)
