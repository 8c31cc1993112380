"""Bearer tokens for people and machines (dialers, CRM systems), and the scopes they carry.

The secret is shown once and only its SHA-256 digest is stored: a leaked table grants nothing, and because the
secret has 256 random bits a plain (unsalted, fast) hash is enough, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from callwise.security.errors import UnknownScopeError
from callwise.security.rbac import parse_permission

__all__ = [
    "TOKEN_PREFIX",
    "Scopes",
    "UnknownScopeError",
    "new_token",
    "token_digest",
    "token_hint",
    "verify_token",
]

TOKEN_PREFIX = "cw_"
_SEPARATORS = re.compile(r"[\s,]+")


def new_token() -> tuple[str, bytes]:
    """``(secret, digest)``: the secret (``cw_`` + 43 URL-safe characters) to show once, the digest to store."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, token_digest(secret)


def token_digest(secret: str) -> bytes:
    """The 32-byte SHA-256 digest of a token secret: what the database stores and looks tokens up by."""
    if not isinstance(secret, str):
        raise TypeError(f"a token secret must be str, not {type(secret).__name__}")
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def verify_token(secret: str, stored_digest: bytes) -> bool:
    """True when ``secret`` hashes to ``stored_digest``, compared in constant time."""
    if not isinstance(stored_digest, bytes | bytearray | memoryview):
        raise TypeError(f"a stored token digest is bytes, not {type(stored_digest).__name__}")
    return hmac.compare_digest(token_digest(secret), bytes(stored_digest))


def token_hint(secret: str) -> str:
    """The first characters of a secret (``cw_AbCd``), safe to store and show so people can tell tokens apart."""
    if not isinstance(secret, str):
        raise TypeError(f"a token secret must be str, not {type(secret).__name__}")
    return secret[: len(TOKEN_PREFIX) + 4]


class Scopes(frozenset[str]):
    """The scopes of a token: a frozenset of permission names, written as one space-separated string."""

    @classmethod
    def parse(cls, value: str | Iterable[str]) -> Scopes:
        """``"a b c"`` (spaces or commas) or ``["a", "b"]`` → ``Scopes``; an unknown scope raises a clear error."""
        if isinstance(value, bytes | bytearray):
            raise TypeError("scopes must be text or a list of names, not bytes")
        names = _SEPARATORS.split(value.strip()) if isinstance(value, str) else list(value)
        parsed = set()
        for name in names:
            if name == "":
                continue
            try:
                parsed.add(str(parse_permission(name)))
            except UnknownScopeError as error:
                raise UnknownScopeError(str(error).replace("unknown permission", "unknown scope", 1)) from None
        return cls(parsed)

    def __str__(self) -> str:
        return " ".join(sorted(self))

    def __repr__(self) -> str:
        return f"Scopes({str(self)!r})"
