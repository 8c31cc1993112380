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
