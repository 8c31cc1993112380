"""`--help` in the language of ``CALLWISE_LANG``: the help texts in the code are catalogue keys (``help.*``).

Typer reads a command's help once, when it builds the Click command tree. So every ``help=`` in ``callwise.cli``
names a key of ``i18n/help.yaml``, and :class:`LocalisedGroup`, the class of the root group, puts the text in the
reader's language on every group, command, option and argument: when the tree is built, and again when it runs
(a test may change ``CALLWISE_LANG`` in between). Click's own ``--help`` option is worded the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperGroup

from callwise.i18n import catalog, t
from callwise.settings import get_settings

PREFIX = "help."
HELP_OPTION = "help.option.help"
_KEY = "_callwise_help_key"  # the key a help text came from, kept so the tree can be worded again


def tree(command: Any) -> Iterator[Any]:
    """``command``, its parameters and, for a group, every command under it (depth first)."""
    yield command
    yield from command.params
    for sub in getattr(command, "commands", {}).values():
        yield from tree(sub)


# Typer's own words around the help (panel titles, "[required]", "[default: …]", the error box), by its names.
FRAME = {
    "ARGUMENTS_PANEL_TITLE": "help.frame.arguments",
    "OPTIONS_PANEL_TITLE": "help.frame.options",
    "COMMANDS_PANEL_TITLE": "help.frame.commands",
    "ERRORS_PANEL_TITLE": "help.frame.error",
    "REQUIRED_LONG_STRING": "help.frame.required",
    "DEFAULT_STRING": "help.frame.default",
    "ENVVAR_STRING": "help.frame.envvar",
    "RICH_HELP": "help.frame.try_help",
}


def localise(command: Any, lang: str) -> None:
    """Word every help text under ``command`` that is (or was) a catalogue key in ``lang``, and Typer's frame."""
    from typer import rich_utils

    for name, frame_key in FRAME.items():
        setattr(rich_utils, name, t(frame_key, lang))
    for item in tree(command):
        key = getattr(item, _KEY, None) or _key(getattr(item, "help", None))
        if key is not None:
            setattr(item, _KEY, key)
            item.help = help_text(key, lang)
        if hasattr(item, "get_help_option"):
            option = item.get_help_option(typer.Context(item))
            if option is not None:
                option.help = t(HELP_OPTION, lang)


def help_text(key: str, lang: str) -> str:
    """The help text ``key`` in ``lang``; the ``--model`` one lists the registry's kinds, so a new kind is helped."""
    if key == "help.opt.model_kind":
        from callwise.model_kinds import model_help

        return t(key, lang, kinds=model_help(lang))
    return t(key, lang)


def help_key(item: Any) -> str | None:
    """The catalogue key ``item``'s help text was worded from (None: a literal, or no help)."""
    return getattr(item, _KEY, None)


def _key(text: str | None) -> str | None:
    return text if text is not None and text.startswith(PREFIX) and text in catalog() else None


class LocalisedGroup(TyperGroup):
    """The root group: its whole tree's help is worded in ``CALLWISE_LANG`` when built and when run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localise(self, get_settings().lang)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        localise(self, get_settings().lang)
        return super().main(*args, **kwargs)
