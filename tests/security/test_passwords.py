"""argon2id password hashes and the strength policy."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher, Type

from callwise.i18n import t
from callwise.security.passwords import (
    WeakPasswordError,
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "Outbound-2026 calls"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def test_hash_is_argon2id_salted_and_verifies(stored):
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != stored  # a fresh salt each time
    assert verify_password(PASSWORD, stored) is True
    assert needs_rehash(stored) is False


def test_wrong_password_is_false_not_an_exception(stored):
    for attempt in ("outbound-2026 calls", PASSWORD + " ", "", "密码"):
        assert verify_password(attempt, stored) is False


def test_unreadable_or_missing_hashes_are_false(stored):
    assert verify_password(PASSWORD, None) is False
    assert verify_password(PASSWORD, "") is False
    assert verify_password(PASSWORD, "$argon2id$garbage") is False
    assert verify_password(PASSWORD, stored[:-5]) is False
    with pytest.raises(TypeError, match="a password hash must be str or None, not bytes"):
        verify_password(PASSWORD, stored.encode())
    with pytest.raises(TypeError, match="a password must be str, not NoneType"):
        verify_password(None, stored)


def test_unicode_forms_of_one_password_match():
    composed = "Café-crème 2026"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed))


def test_old_parameters_need_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert verify_password(PASSWORD, weak) is True  # old hashes still let people in ...
    assert needs_rehash(weak) is True  # ... and are upgraded then
    argon2i = PasswordHasher(type=Type.I).hash(PASSWORD)
    assert needs_rehash(argon2i) is True
    assert needs_rehash("not a hash") is True


@pytest.mark.parametrize("password", ["Abcdefghij", "abcdefghi1", "长城长城长城长城长城1", "correct horse battery"])
def test_strong_enough_passwords_pass(password):
    check_password_strength(password)


@pytest.mark.parametrize(
    ("password", "code", "message"),
    [
        ("", "too_short", "has 0 characters; it needs at least 10"),
        ("Abc12345!", "too_short", "has 9 characters"),
        ("abcdefghijkl", "one_class", "one kind of character"),
        ("12345678901234", "one_class", "one kind of character"),
        ("ABCDEFGHIJ", "one_class", "one kind"),
        ("            ", "one_class", "one kind"),
        ("长城长城长城长城长城长城", "one_class", "one kind"),
    ],
)
def test_weak_passwords_raise_with_code_and_sentence(password, code, message):
    with pytest.raises(WeakPasswordError, match=message) as caught:
        check_password_strength(password)
    assert caught.value.code == code
    assert t(f"security.password.{code}", "zh", **caught.value.values)  # a translated message exists


def test_password_containing_the_user_name_is_refused():
    with pytest.raises(WeakPasswordError, match="contains the user name") as caught:
        check_password_strength("ZhangWei-2026!", user_name="zhangwei")
    assert caught.value.code == "contains_user_name"
    check_password_strength("ZhangWei-2026!", user_name="  ")  # a blank name forbids nothing


def test_non_text_passwords_are_type_errors():
    with pytest.raises(TypeError, match="a password must be str, not bytes"):
        check_password_strength(b"Abcdefghij1")
    with pytest.raises(ValueError, match="lone surrogate"):
        hash_password("Abcdefghij\ud800")
