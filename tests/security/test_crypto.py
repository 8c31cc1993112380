"""PII field encryption: round trips, binding to a context, tampering, rotation and the key settings."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from callwise.security.crypto import NONCE_BYTES, DecryptError, KeyConfigError, PiiCipher, new_key, parse_key_ring
from callwise.settings import Settings

CONTEXT = "customers.phone:C00000001"


def key_b64(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


@pytest.fixture(scope="module")
def cipher() -> PiiCipher:
    return PiiCipher.from_spec(f"k1:{new_key()}")


def test_round_trip_and_token_layout(cipher):
    token = cipher.encrypt("13800138000", CONTEXT)
    assert cipher.decrypt(token, CONTEXT) == "13800138000"
    assert token[0] == 1 and token[1] == 2 and token[2:4] == b"k1"
    assert len(token) == 1 + 1 + 2 + NONCE_BYTES + len("13800138000") + 16
    assert b"13800138000" not in token


def test_token_follows_the_documented_layout_and_associated_data():
    key = bytes(range(32))
    token = PiiCipher([("2026a", key)]).encrypt("张三", CONTEXT)
    header, nonce, sealed = token[:7], token[7 : 7 + NONCE_BYTES], token[7 + NONCE_BYTES :]
    assert header == b"\x01\x052026a"
    assert AESGCM(key).decrypt(nonce, sealed, header + CONTEXT.encode()).decode() == "张三"
    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(nonce, sealed, CONTEXT.encode())  # the header is bound too, not only the context


@given(st.text(max_size=200), st.text(min_size=1, max_size=50))
def test_any_unicode_text_round_trips_in_any_context(plaintext, context):
    cipher = PiiCipher([("k1", bytes(range(32)))])
    assert cipher.decrypt(cipher.encrypt(plaintext, context), context) == plaintext


def test_same_plaintext_gives_different_tokens(cipher):
    tokens = {cipher.encrypt("张三丰", CONTEXT) for _ in range(20)}
    assert len(tokens) == 20  # a fresh nonce each time: equal values are not visible in the table


def test_bytearray_and_memoryview_tokens_from_drivers_decrypt(cipher):
    token = cipher.encrypt("440301199001011234", CONTEXT)
    assert cipher.decrypt(bytearray(token), CONTEXT) == "440301199001011234"
    assert cipher.decrypt(memoryview(token), CONTEXT) == "440301199001011234"


def test_token_moved_to_another_row_or_column_does_not_decrypt(cipher):
    token = cipher.encrypt("13800138000", CONTEXT)
    for other in ("customers.phone:C00000002", "customers.name:C00000001", CONTEXT + " ", CONTEXT.upper()):
        with pytest.raises(DecryptError, match="does not authenticate"):
            cipher.decrypt(token, other)


def test_wrong_key_with_the_same_id_fails(cipher):
    other = PiiCipher.from_spec(f"k1:{new_key()}")
    with pytest.raises(DecryptError, match="does not authenticate"):
        other.decrypt(cipher.encrypt("13800138000", CONTEXT), CONTEXT)


def test_unknown_key_id_is_named(cipher):
    token = cipher.encrypt("x", CONTEXT)
    other = PiiCipher.from_spec(f"k9:{new_key()}")
    with pytest.raises(DecryptError, match=r"under key 'k1', which is not in CALLWISE_PII_KEYS \(it holds 'k9'\)"):
        other.decrypt(token, CONTEXT)


def test_every_single_byte_change_is_detected(cipher):
    token = cipher.encrypt("13800138000", CONTEXT)
    for position in range(len(token)):
        tampered = bytearray(token)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptError) as caught:
            cipher.decrypt(bytes(tampered), CONTEXT)
        assert "13800138000" not in str(caught.value)


def test_key_id_swapped_in_the_header_fails():
    both = PiiCipher([("ka", bytes(32)), ("kb", bytes(range(32)))])
    token = both.encrypt("13800138000", CONTEXT)
    forged = token[:2] + b"kb" + token[4:]
    with pytest.raises(DecryptError, match="does not authenticate"):
        both.decrypt(forged, CONTEXT)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (b"", "0 bytes, too short"),
        (b"\x01\x02k1" + bytes(20), "too short"),
        (b"\x02\x02k1" + bytes(40), "format version 2"),
        (b"\x01\x00" + bytes(40), "key-id length does not fit"),
        (b"\x01\xff" + bytes(40), "key-id length does not fit"),
        (b"\x01\x02\xff\xfe" + bytes(40), "not ASCII"),
        (b"\x01\x02k/" + bytes(40), "key id is malformed"),
    ],
)
def test_malformed_tokens_give_clear_errors(cipher, token, message):
    with pytest.raises(DecryptError, match=message):
        cipher.decrypt(token, CONTEXT)


def test_wrong_types_and_empty_context_are_refused(cipher):
    with pytest.raises(TypeError, match="plaintext must be str, not int"):
        cipher.encrypt(13800138000, CONTEXT)
    with pytest.raises(TypeError, match="a PII token is bytes, not str"):
        cipher.decrypt("AQJrMQ==", CONTEXT)
    with pytest.raises(ValueError, match="context is empty"):
        cipher.encrypt("x", "")
    with pytest.raises(TypeError, match="context must be str, not NoneType"):
        cipher.encrypt("x", None)
    with pytest.raises(ValueError, match="lone surrogate"):
        cipher.encrypt("\ud800", CONTEXT)


def test_rotation_old_tokens_decrypt_and_are_flagged():
    old_key, new = new_key(), new_key()
    before = PiiCipher.from_spec(f"2025a:{old_key}")
    token = before.encrypt("13800138000", CONTEXT)
    assert before.key_id(token) == "2025a" and not before.needs_rotation(token)

    after = PiiCipher.from_spec(f"2026a:{new},2025a:{old_key}")
    assert after.current_key_id == "2026a" and after.key_ids == ("2026a", "2025a")
    assert after.decrypt(token, CONTEXT) == "13800138000"
    assert after.needs_rotation(token)

    rotated = after.reencrypt(token, CONTEXT)
    assert after.key_id(rotated) == "2026a" and not after.needs_rotation(rotated)
    assert PiiCipher.from_spec(f"2026a:{new}").decrypt(rotated, CONTEXT) == "13800138000"
    with pytest.raises(DecryptError, match="2025a"):
        PiiCipher.from_spec(f"2026a:{new}").decrypt(token, CONTEXT)  # retiring the old key too early


def test_key_material_never_appears_in_repr():
    key = key_b64(7)
    cipher = PiiCipher.from_spec(f"k1:{key}")
    assert repr(cipher) == "PiiCipher(current='k1', keys=['k1'])"
    assert key not in repr(cipher)


def test_parse_key_ring_keeps_order_and_tolerates_spaces():
    ring = parse_key_ring(f" new : {key_b64(1)} , old:{key_b64(2)}")
    assert [key_id for key_id, _ in ring] == ["new", "old"]
    assert ring[0][1] == bytes([1]) * 32


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "CALLWISE_PII_KEYS is empty"),
        ("   ", "CALLWISE_PII_KEYS is empty"),
        (f"k1:{key_b64(1)},", "entry 2 is empty"),
        ("k1", "entry 1 is not of the form 'id:<base64 key>'"),
        ("k1:", "entry 1 is not of the form"),
        ("k1:not base64!", r"entry 1 \('k1'\) is not valid base64"),
        (f"k1:{key_b64(1)[:-1]}", "is not valid base64"),
        (f"k1:{base64.urlsafe_b64encode(bytes([251]) * 32).decode()}", "is not valid base64"),
        (
            f"k1:{base64.b64encode(bytes(16)).decode()}",
            "key 'k1' in CALLWISE_PII_KEYS is 16 bytes; AES-256 needs exactly 32",
        ),
        (f"k1:{base64.b64encode(bytes(48)).decode()}", "is 48 bytes"),
        (f"k1:{key_b64(1)},k1:{key_b64(2)}", "key id 'k1' appears twice"),
        (f"k1:{key_b64(1)},k2:{key_b64(1)}", "keys 'k1' and 'k2' in CALLWISE_PII_KEYS are the same key"),
        (f":{key_b64(1)}", "key id '' in CALLWISE_PII_KEYS is not valid"),
        (f"k 1:{key_b64(1)}", "key id 'k 1'"),
        (f"{'k' * 33}:{key_b64(1)}", "is not valid: use 1-32 letters"),
        (f"密钥:{key_b64(1)}", "key id '密钥'"),
    ],
)
def test_malformed_key_settings_each_give_their_clear_error(spec, message):
    with pytest.raises(KeyConfigError, match=message) as caught:
        PiiCipher.from_settings(Settings(pii_keys=SecretStr(spec)))
    assert key_b64(1) not in str(caught.value) and key_b64(2) not in str(caught.value)


def test_missing_setting_is_refused_and_there_is_no_default(monkeypatch):
    monkeypatch.delenv("CALLWISE_PII_KEYS", raising=False)
    with pytest.raises(KeyConfigError, match="CALLWISE_PII_KEYS is not set"):
        PiiCipher.from_settings(Settings())


def test_from_settings_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CALLWISE_PII_KEYS", f"env1:{key_b64(3)}")
    cipher = PiiCipher.from_settings(Settings())
    assert cipher.current_key_id == "env1"
    assert cipher.decrypt(cipher.encrypt("李四", CONTEXT), CONTEXT) == "李四"


def test_constructor_checks_a_ring_given_in_code():
    assert PiiCipher({"a": bytes(32)}).current_key_id == "a"
    with pytest.raises(KeyConfigError, match="holds no keys"):
        PiiCipher([])
    with pytest.raises(KeyConfigError, match="must be bytes, not str"):
        PiiCipher([("a", "x" * 32)])
    with pytest.raises(KeyConfigError, match=r"\(key id, key bytes\) pairs"):
        PiiCipher(["a"])
    with pytest.raises(KeyConfigError, match="must be text like"):
        parse_key_ring(None)


def test_new_key_is_32_random_bytes_in_base64():
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(base64.b64decode(k, validate=True)) == 32 for k in keys)


def test_a_column_encrypts_alike_from_text_or_utf8_bytes_and_an_empty_context_is_refused(cipher):
    values = ["13800138000", None, "张三丰"]
    contexts = ["customers.phone:C1", "customers.phone:C2", "customers.name:C3"]
    as_bytes = [None if v is None else v.encode() for v in values]
    from_bytes = cipher.encrypt_many(as_bytes, [c.encode() for c in contexts])
    for tokens in (cipher.encrypt_many(values, contexts), from_bytes):
        assert tokens[1] is None
        assert [cipher.decrypt(tokens[i], contexts[i]) for i in (0, 2)] == ["13800138000", "张三丰"]
    with pytest.raises(ValueError, match="context is empty"):
        cipher.encrypt_many([b"13800138000"], [b""])


def test_a_column_hashes_alike_from_text_or_utf8_bytes():
    from callwise.security.crypto import LookupHasher

    hasher = LookupHasher(b"k" * 32)
    values = ["13800138000", None, "", "110101199001011234"]
    expected = [hasher.digest("13800138000"), None, None, hasher.digest("110101199001011234")]
    assert hasher.digest_many(values) == expected
    assert hasher.digest_many([None if v is None else v.encode() for v in values]) == expected


@pytest.mark.parametrize("key_bytes", [32, 64, 65, 100])
def test_a_column_hashes_as_the_standard_hmac_does_for_any_key_length(key_bytes):
    """digest_many keeps the key's padded states instead of hmac.digest per value: the digests are RFC 2104's."""
    import hmac

    from callwise.security.crypto import LookupHasher

    key = bytes(range(key_bytes))
    values = ["13800138000", "张三丰", "x" * 200]
    expected = [hmac.new(key, v.encode(), "sha256").digest() for v in values]
    assert LookupHasher(key).digest_many(values) == expected
    assert [LookupHasher(key).digest(v) for v in values] == expected


def test_decrypt_many_gives_what_decrypt_gives_and_the_same_errors():
    old, new = key_b64(1), key_b64(2)
    rotated = PiiCipher.from_spec(f"k2:{new},k1:{old}")
    before = PiiCipher.from_spec(f"k1:{old}")
    contexts = [f"customers.phone:C{i}" for i in range(6)]
    tokens = [
        (before if i % 2 else rotated).encrypt(f"1380013800{i}", c) if i != 3 else None for i, c in enumerate(contexts)
    ]
    assert rotated.decrypt_many(tokens, contexts) == [
        None if tok is None else rotated.decrypt(tok, c) for tok, c in zip(tokens, contexts, strict=True)
    ]
    assert rotated.decrypt_many([memoryview(tokens[0])], contexts[:1]) == ["13800138000"]
    with pytest.raises(DecryptError, match="does not authenticate"):
        rotated.decrypt_many(tokens[:2], contexts[1::-1])  # a known header, the wrong row
    tampered = tokens[2][:-1] + bytes([tokens[2][-1] ^ 1])
    with pytest.raises(DecryptError, match="does not authenticate"):
        rotated.decrypt_many([tokens[0], tampered], [contexts[0], contexts[2]])
    with pytest.raises(DecryptError, match="not in CALLWISE_PII_KEYS"):
        before.decrypt_many([tokens[1], tokens[0]], contexts[:2][::-1])
    with pytest.raises(DecryptError, match="too short"):
        rotated.decrypt_many([tokens[0], tokens[0][:20]], contexts[:2])
    with pytest.raises(ValueError, match="2 tokens but 1 contexts"):
        rotated.decrypt_many(tokens[:2], contexts[:1])
