"""Keyed look-up hashes of phones and ID numbers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from pydantic import SecretStr

from callwise.security.crypto import KeyConfigError, LookupHasher, new_key
from callwise.settings import Settings

KEY = bytes(range(32))


def digits_only(value: str) -> str:
    """A stand-in phone normaliser: keep the last 11 digits."""
    return re.sub(r"\D", "", value)[-11:]


def test_digest_is_hmac_sha256_and_stable():
    hasher = LookupHasher(KEY)
    first = hasher.digest("13800138000")
    assert len(first) == 32
    assert first == hasher.digest("13800138000") == LookupHasher(KEY).digest("13800138000")
    assert first == hmac.new(KEY, b"13800138000", hashlib.sha256).digest()
    assert first != hasher.digest("13800138001")


def test_digest_depends_on_the_key():
    assert LookupHasher(KEY).digest("13800138000") != LookupHasher(bytes(32)).digest("13800138000")
    assert LookupHasher(KEY).digest("13800138000") != hashlib.sha256(b"13800138000").digest()


def test_normalise_makes_every_spelling_one_digest():
    hasher = LookupHasher(KEY, normalise=digits_only)
    spellings = ["13800138000", "+86 138-0013-8000", "0086 138 0013 8000", " 138 0013 8000 "]
    assert len({hasher.digest(s) for s in spellings}) == 1
    assert LookupHasher(KEY).digest(spellings[0]) != LookupHasher(KEY).digest(spellings[1])


def test_empty_and_wrong_inputs_are_refused():
    hasher = LookupHasher(KEY, normalise=digits_only)
    with pytest.raises(ValueError, match="empty after normalisation"):
        hasher.digest("")
    with pytest.raises(ValueError, match="empty after normalisation"):
        hasher.digest("n/a")
    with pytest.raises(TypeError, match="value must be str, not int"):
        hasher.digest(13800138000)
    with pytest.raises(TypeError, match="the normalised value must be str, not NoneType"):
        LookupHasher(KEY, normalise=lambda v: None).digest("13800138000")


def test_from_settings(monkeypatch):
    key = new_key()
    hasher = LookupHasher.from_settings(Settings(lookup_key=SecretStr(key)))
    assert hasher.digest("440301199001011234") == LookupHasher(base64.b64decode(key)).digest("440301199001011234")
    assert key not in repr(hasher)
    monkeypatch.delenv("CALLWISE_LOOKUP_KEY", raising=False)
    with pytest.raises(KeyConfigError, match="CALLWISE_LOOKUP_KEY is not set"):
        LookupHasher.from_settings(Settings())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "CALLWISE_LOOKUP_KEY is not set"),
        ("not base64!", "CALLWISE_LOOKUP_KEY is not valid base64"),
        (base64.b64encode(bytes(16)).decode(), "CALLWISE_LOOKUP_KEY decodes to 16 bytes; it needs at least 32"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
    ],
)
def test_bad_lookup_keys_are_refused(value, message):
    with pytest.raises(KeyConfigError, match=message):
        LookupHasher.from_settings(Settings(lookup_key=SecretStr(value)))


def test_constructor_refuses_short_or_non_bytes_keys():
    with pytest.raises(KeyConfigError, match="31 bytes; it needs at least 32"):
        LookupHasher(bytes(31))
    with pytest.raises(KeyConfigError, match="must be bytes, not str"):
        LookupHasher("x" * 32)
    assert len(LookupHasher(bytes(64)).digest("x")) == 32  # longer keys are fine
