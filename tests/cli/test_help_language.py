"""`--help` speaks the reader's language: every command group, command and option, in zh-CN and English."""

import re

import pytest
import typer
from typer.testing import CliRunner

from callwise.cli import app
from callwise.cli.help import help_key, help_text, tree

runner = CliRunner()
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")  # three English words in a row


def command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(command, path):
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


PATHS = command_paths()


def show_help(path: tuple[str, ...], lang: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"CALLWISE_LANG": lang, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_help_text_comes_from_the_catalogue_in_both_languages(monkeypatch):
    for lang in ("zh", "en"):
        monkeypatch.setenv("CALLWISE_LANG", lang)
        for item in tree(typer.main.get_command(app)):
            if getattr(item, "help", None) is None and type(item).__name__.endswith("Argument"):
                continue
            key = help_key(item)
            name = getattr(item, "name", item)
            assert key is not None, f"{name}: help {getattr(item, 'help', None)!r} is not a catalogue key"
            assert item.help == help_text(key, lang)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "callwise")
def test_help_under_zh_is_chinese_without_our_english_sentences(path):
    shown = show_help(path, "zh")
    assert CHINESE.search(shown)
    body = [line for line in shown.splitlines() if "Usage:" not in line]
    english = [phrase for line in body for phrase in ENGLISH_PHRASE.findall(line)]
    assert not english, english
    assert "Show this message and exit" not in shown


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "callwise")
def test_help_under_en_has_no_chinese(path):
    shown = show_help(path, "en")
    assert not CHINESE.search(shown), shown
    assert "Show this message and exit" in shown


def test_typers_frame_around_the_help_follows_the_language_too():
    zh, en = show_help(("lists", "build"), "zh"), show_help(("lists", "build"), "en")
    assert "选项" in zh and "[必填]" in zh and "Options" not in zh and "[required]" not in zh
    assert "Options" in en and "[required]" in en and "选项" not in en
