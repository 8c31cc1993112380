"""Bearer token secrets, their stored digests, and scope parsing."""

from __future__ import annotations

import hashlib
import re

import pytest

from callwise.security.tokens import Scopes, UnknownScopeError, new_token, token_digest, token_hint, verify_token


def test_new_token_shape_and_digest():
    secret, digest = new_token()
    assert re.fullmatch(r"cw_[A-Za-z0-9_-]{43}", secret)
    assert digest == hashlib.sha256(secret.encode()).digest() == token_digest(secret)
    assert len(digest) == 32 and secret.encode() not in digest


def test_tokens_are_unique():
    secrets_, digests = zip(*(new_token() for _ in range(200)), strict=True)
    assert len(set(secrets_)) == len(set(digests)) == 200


def test_verify_token():
    secret, digest = new_token()
    assert verify_token(secret, digest)
    assert verify_token(secret, bytearray(digest)) and verify_token(secret, memoryview(digest))
    assert not verify_token(secret[:-1], digest)
    assert not verify_token(secret + "x", digest)
    assert not verify_token("", digest)
    assert not verify_token(secret, digest[:16])
    assert not verify_token("cw_\ud800", digest)  # junk from a client never raises, never matches
    with pytest.raises(TypeError, match="a stored token digest is bytes, not str"):
        verify_token(secret, digest.hex())
    with pytest.raises(TypeError, match="a token secret must be str, not bytes"):
        token_digest(secret.encode())


def test_hint_shows_only_the_start():
    secret, _ = new_token()
    assert token_hint(secret) == secret[:7] and token_hint(secret).startswith("cw_")
    assert token_hint("") == ""


@pytest.mark.parametrize(
    "value",
    [
        "lists:read outcomes:write",
        "  outcomes:write\tlists:read\n",
        "lists:read,outcomes:write",
        "lists:read, outcomes:write lists:read",
        ["outcomes:write", "lists:read", "lists:read"],
        ("lists:read", "outcomes:write"),
    ],
)
def test_scopes_parse_strings_and_lists(value):
    scopes = Scopes.parse(value)
    assert scopes == {"lists:read", "outcomes:write"}
    assert isinstance(scopes, frozenset)
    assert str(scopes) == "lists:read outcomes:write"


def test_empty_scopes():
    assert Scopes.parse("") == frozenset() == Scopes.parse("  ") == Scopes.parse([])
    assert str(Scopes.parse("")) == ""


def test_scopes_compare_with_role_permissions():
    from callwise.security.rbac import permissions_for

    assert Scopes.parse("lists:read outcomes:write") <= permissions_for(["agent"])
    assert not Scopes.parse("pii:read") <= permissions_for(["agent"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lists:read list:read", "unknown scope 'list:read'; did you mean 'lists:read'"),
        ("LISTS:READ", "unknown scope 'LISTS:READ'; did you mean 'lists:read'"),
        ("admin", "unknown scope 'admin'"),
        (["lists:read outcomes:write"], "unknown scope 'lists:read outcomes:write'"),
        ("lists:read;outcomes:write", "unknown scope 'lists:read;outcomes:write'"),
    ],
)
def test_unknown_scopes_are_rejected_with_a_clear_error(value, message):
    with pytest.raises(UnknownScopeError, match=message):
        Scopes.parse(value)


def test_wrong_types():
    with pytest.raises(TypeError, match="not bytes"):
        Scopes.parse(b"lists:read")
    with pytest.raises(TypeError, match="a permission name must be str, not int"):
        Scopes.parse(["lists:read", 3])
