"""Passwords of people who sign in: argon2id hashes and a minimal strength policy.

argon2id (RFC 9106) is memory-hard, so a stolen user table costs an attacker memory per guess, not only time.
Passwords are NFC-normalised first (as RFC 8265 asks), so the same password typed on another system still matches.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callwise.security.errors import WeakPasswordError

__all__ = [
    "MIN_LENGTH",
    "WeakPasswordError",
    "check_password_strength",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" profile (64 MiB, t=3, p=4)


def _normalised(password: object) -> str:
    if not isinstance(password, str):
        raise TypeError(f"a password must be str, not {type(password).__name__}")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the password is not valid Unicode text (it holds a lone surrogate)") from None
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    """The argon2id hash to store (a PHC string with its own salt and parameters)."""
    return _HASHER.hash(_normalised(password))


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("no user has this password")


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; False on a mismatch, an unreadable hash, or no hash at all.

    With ``password_hash=None`` (no such user) a dummy hash is still checked, so the answer takes as long as
    for a real user and does not reveal which user names exist.
    """
    candidate = _normalised(password)
    if password_hash is None:
        _verify(_dummy_hash(), candidate)
        return False
    if not isinstance(password_hash, str):
        raise TypeError(f"a password hash must be str or None, not {type(password_hash).__name__}")
    return _verify(password_hash, candidate)


def _verify(password_hash: str, candidate: str) -> bool:
    try:
        return _HASHER.verify(password_hash, candidate)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: re-hash at the next successful sign-in."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def _classes(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.islower():
            found.add("lower")
        elif char.isupper():
            found.add("upper")
        elif char.isdigit():
            found.add("digit")
        else:
            found.add("other")
    return found


def check_password_strength(password: str, *, user_name: str | None = None) -> None:
    """Raise ``WeakPasswordError`` unless the password has at least 10 characters of at least two kinds
    (lower case, upper case, digits, anything else such as symbols or Chinese characters) and does not
    contain the user's own name."""
    text = _normalised(password)
    if len(text) < MIN_LENGTH:
        raise WeakPasswordError(
            "too_short",
            f"the password has {len(text)} characters; it needs at least {MIN_LENGTH}",
            min_length=MIN_LENGTH,
        )
    if len(_classes(text)) < 2:
        raise WeakPasswordError(
            "one_class",
            "the password uses one kind of character only; mix at least two of lower case, upper case, "
            "digits and other characters",
        )
    if user_name and user_name.strip() and user_name.strip().casefold() in text.casefold():
        raise WeakPasswordError("contains_user_name", "the password contains the user name")
