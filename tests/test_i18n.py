from callwise.i18n import LANGUAGES, catalog, t


def test_every_message_exists_in_both_languages():
    for key, entry in catalog().items():
        for lang in LANGUAGES:
            assert entry.get(lang), f"message {key!r} has no {lang} text"


def test_placeholders_match_between_languages():
    import string

    for key, entry in catalog().items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in LANGUAGES]
        assert fields[0] == fields[1], f"message {key!r} has different placeholders per language"


def test_lookup():
    assert t("app.name", "en").startswith("callwise")


def test_every_key_the_code_names_is_in_the_catalog():
    """A key spelt wrong would only fail when its error is raised or its help shown; catch it here."""
    import re
    from pathlib import Path

    import callwise

    named = re.compile(r'(?:Error|Translated|\bt|\bsay|Term)\(\s*"([a-z_]+(?:\.[A-Za-z0-9_]+)+)"|help="(help\.[^"]+)"')
    missing = []
    for path in Path(callwise.__file__).parent.rglob("*.py"):
        for match in named.finditer(path.read_text(encoding="utf-8")):
            key = match.group(1) or match.group(2)
            if key not in catalog():
                missing.append(f"{path.name}: {key}")
    assert not missing, missing


def test_translated_errors_are_said_in_both_languages_and_survive_pickling():
    import pickle

    from callwise.ingest.readers import SourceError
    from callwise.lists.build import ListError

    error = SourceError("ingest.source.no_file", path="a.csv")
    assert str(error) == "a.csv: no such file" and error.message("zh") == "a.csv：文件不存在"
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is SourceError and again.message("zh") == "a.csv：文件不存在"
    wrapped = ListError.of(error)
    assert isinstance(wrapped, ListError) and wrapped.message("zh") == "a.csv：文件不存在"
    plain = ListError.of(ValueError("as it stands"))
    assert plain.message("zh") == plain.message("en") == "as it stands"
