"""Shared output helpers: every command that produces numbers can print them as JSON."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer

from callwise.i18n import t
from callwise.i18n.errors import message as error_message
from callwise.settings import get_settings


def emit(result: dict[str, Any], as_json: bool, human: str | None = None) -> None:
    """Print ``result`` as JSON (machine use) or ``human`` text (defaults to indented JSON)."""
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, sort_keys=True, default=str))
    else:
        typer.echo(human if human is not None else json.dumps(result, ensure_ascii=False, indent=2, default=str))


def fail(message: str | BaseException, code: int = 2) -> NoReturn:
    """Stop with one clear sentence on stderr, in the language of ``CALLWISE_LANG``.

    An error raised with a catalogue key (``callwise.i18n.errors.Translated``) is said in that language.
    """
    lang = get_settings().lang
    text = message if isinstance(message, str) else error_message(message, lang)
    typer.echo(t("cli.error", lang, message=text), err=True)
    raise typer.Exit(code)
