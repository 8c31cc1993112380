"""A message kept as its catalogue key and values, so one error can be shown in zh or in English.

Library code raises errors that carry a :class:`Msg`; ``str(error)`` is the English sentence (logs, tests,
other languages' callers) and :func:`message_of` gives the sentence in the language a person reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Msg:
    """The catalogue entry ``key`` with its ``values``; a value that is itself a ``Msg`` is shown in kind."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        from callwise.i18n import t

        shown = {name: v.render(lang) if isinstance(v, Msg) else v for name, v in self.values.items()}
        return t(self.key, lang, **shown)


def msg(key: str, /, **values: object) -> Msg:
    return Msg(key, values)


class Localised(ValueError):
    """A refusal worded from the catalogue; ``str()`` is its English sentence."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.render("en"))
        self.msg = message

    def message(self, lang: str) -> str:
        return self.msg.render(lang)


def message_of(error: BaseException, lang: str) -> str:
    """The error's sentence in ``lang`` when it carries one, else its own text."""
    return error.message(lang) if isinstance(error, Localised) else str(error)


def clipped(names: list[str], limit: int = 10) -> Msg | str:
    """``a, b, c`` — or the first ``limit`` names and how many more, so a long list stays one readable line."""
    if not names:
        return Msg("message.none")
    if len(names) <= limit:
        return ", ".join(names)
    return msg("message.clipped", shown=", ".join(names[:limit]), more=len(names) - limit)
