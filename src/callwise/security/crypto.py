"""PII at rest: AES-256-GCM field encryption with a rotating key ring, and keyed look-up hashes.

Why these shapes (docs/decisions/0010-pii-crypto.md): each field value is encrypted with associated data naming
its column and row, so a ciphertext copied elsewhere does not decrypt; the key id travels in the token, so old
tokens stay readable after a new key is put first; equality look-ups use an HMAC, never the ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from callwise.security.errors import DecryptError, KeyConfigError

if TYPE_CHECKING:
    from callwise.settings import Settings

__all__ = [
    "TOKEN_VERSION",
    "DecryptError",
    "KeyConfigError",
    "LookupHasher",
    "PiiCipher",
    "demo_key_ring",
    "new_key",
    "parse_key_ring",
]

TOKEN_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
PII_KEYS_SETTING = "CALLWISE_PII_KEYS"
LOOKUP_KEY_SETTING = "CALLWISE_LOOKUP_KEY"
_MIN_TOKEN = 1 + 1 + 1 + NONCE_BYTES + TAG_BYTES


def new_key() -> str:
    """A fresh 256-bit key, base64-encoded: what ``CALLWISE_PII_KEYS`` entries and ``CALLWISE_LOOKUP_KEY`` hold."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def demo_key_ring() -> dict[str, str]:
    """Fresh throw-away settings ``{CALLWISE_PII_KEYS: …, CALLWISE_LOOKUP_KEY: …}`` for the demo and tests only."""
    return {PII_KEYS_SETTING: f"demo:{new_key()}", LOOKUP_KEY_SETTING: new_key()}


def _secret_text(value: object, setting: str) -> str | None:
    """The plain text of a setting that may be a pydantic ``SecretStr``, a ``str`` or ``None``."""
    reveal = getattr(value, "get_secret_value", None)
    text = reveal() if callable(reveal) else value
    if text is not None and not isinstance(text, str):
        raise KeyConfigError(f"{setting} must be text, not {type(text).__name__}")
    return text


def _decode_key(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        message = f"{where} is not valid base64; make keys with callwise.security.crypto.new_key()"
        raise KeyConfigError(message) from None


def parse_key_ring(spec: str, setting: str = PII_KEYS_SETTING) -> list[tuple[str, bytes]]:
    """``"id:base64key[,id:base64key…]"`` → ``[(id, key), …]`` in order (the first encrypts); refuses anything odd."""
    if not isinstance(spec, str):
        raise KeyConfigError(f"{setting} must be text like 'k1:<base64 key>', not {type(spec).__name__}")
    if not spec.strip():
        raise KeyConfigError(f"{setting} is empty; set it to 'id:<base64 key>' (there is no default key)")
    ring: list[tuple[str, bytes]] = []
    for position, entry in enumerate(spec.split(","), start=1):
        key_id, colon, encoded = (part.strip() for part in entry.partition(":"))
        if not entry.strip():
            raise KeyConfigError(f"{setting} entry {position} is empty (a stray comma?)")
        if not colon or not encoded:
            raise KeyConfigError(f"{setting} entry {position} is not of the form 'id:<base64 key>'")
        ring.append((key_id, _decode_key(encoded, f"the key of {setting} entry {position} ({key_id!r})")))
    _check_ring(ring, setting)
    return ring


def _check_ring(ring: list[tuple[str, bytes]], setting: str) -> None:
    if not ring:
        raise KeyConfigError(f"{setting} holds no keys; at least one 'id:<base64 key>' is needed")
    seen: dict[str, bytes] = {}
    for key_id, key in ring:
        if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
            raise KeyConfigError(
                f"key id {key_id!r} in {setting} is not valid: use 1-32 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if key_id in seen:
            raise KeyConfigError(f"key id {key_id!r} appears twice in {setting}; each key needs its own id")
        if not isinstance(key, bytes):
            raise KeyConfigError(f"key {key_id!r} in {setting} must be bytes, not {type(key).__name__}")
        if len(key) != KEY_BYTES:
            raise KeyConfigError(f"key {key_id!r} in {setting} is {len(key)} bytes; AES-256 needs exactly {KEY_BYTES}")
        for other_id, other in seen.items():
            if hmac.compare_digest(key, other):
                raise KeyConfigError(
                    f"keys {other_id!r} and {key_id!r} in {setting} are the same key; a rotation needs a new key"
                )
        seen[key_id] = key


def _as_bytes(token: object) -> bytes:
    if isinstance(token, bytes | bytearray | memoryview):
        return bytes(token)
    raise TypeError(f"a PII token is bytes, not {type(token).__name__}")


def _check_text(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode text (it holds a lone surrogate)") from None


class PiiCipher:
    """Encrypts and decrypts single PII values; the first key of the ring encrypts, every key decrypts.

    Token layout: version byte (1) · key-id length (1 byte) · key id (ASCII) · nonce (12 random bytes) ·
    AES-GCM ciphertext with its 16-byte tag. The associated data is the header (version and key id) followed
    by the UTF-8 context, e.g. ``"customers.phone:C00000001"``.
    """

    __slots__ = ("_aead", "_current")
    _aead: dict[str, AESGCM]
    _current: str

    def __init__(self, keys: Iterable[tuple[str, bytes]] | Mapping[str, bytes]) -> None:
        ring = list(keys.items() if isinstance(keys, Mapping) else keys)
        if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in ring):
            raise KeyConfigError("the key ring must be (key id, key bytes) pairs, the current key first")
        _check_ring(ring, "the key ring")
        self._aead = {key_id: AESGCM(key) for key_id, key in ring}
        self._current = ring[0][0]

    @classmethod
    def from_spec(cls, spec: str, setting: str = PII_KEYS_SETTING) -> PiiCipher:
        """A cipher from the ``"id:base64key[,…]"`` text of a setting."""
        return cls(parse_key_ring(spec, setting))

    @classmethod
    def from_settings(cls, settings: Settings) -> PiiCipher:
        """The cipher of ``settings.pii_keys``; there is never a default key."""
        spec = _secret_text(getattr(settings, "pii_keys", None), PII_KEYS_SETTING)
        if spec is None:
            raise KeyConfigError(
                f"{PII_KEYS_SETTING} is not set; personal data cannot be encrypted or read without keys "
                "(set it to 'id:<base64 key>', see docs/security.md)"
            )
        return cls.from_spec(spec)

    @property
    def current_key_id(self) -> str:
        """The id of the key new tokens are encrypted under."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id the cipher can decrypt, current first."""
        return tuple(self._aead)

    def __repr__(self) -> str:
        return f"PiiCipher(current={self._current!r}, keys={list(self._aead)!r})"

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """A fresh token for ``plaintext`` bound to ``context`` (its column and row); random nonce each call."""
        data = _check_text(plaintext, "plaintext")
        header = self._header(self._current)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._current].encrypt(nonce, data, header + _context_bytes(context))
        return header + nonce + sealed

    def encrypt_many(
        self, plaintexts: Sequence[str | bytes | None], contexts: Sequence[str | bytes]
    ) -> list[bytes | None]:
        """``encrypt`` over a column (``None`` stays ``None``): one key look-up and one read of random nonces.

        Values and contexts may come as UTF-8 ``bytes`` already (what Arrow hands out for a text column), which
        skips the per-value encode. The per-value AES-GCM call is what ``cryptography`` offers; everything around
        it is hoisted out of the loop, so a million values take about a second.
        """
        if len(plaintexts) != len(contexts):
            raise ValueError(f"{len(plaintexts)} values but {len(contexts)} contexts")
        header = self._header(self._current)
        seal = self._aead[self._current].encrypt
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        out: list[bytes | None] = []
        append = out.append
        for i, (value, context) in enumerate(zip(plaintexts, contexts, strict=True)):
            if value is None:
                append(None)
                continue
            data = value if type(value) is bytes else _check_text(value, "plaintext")
            aad = context if type(context) is bytes else _context_bytes(context)
            if not aad:
                raise ValueError("context is empty; name the field and row, e.g. 'customers.phone:C00000001'")
            nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
            append(header + nonce + seal(nonce, data, header + aad))
        return out

    def decrypt(self, token: bytes, context: str) -> str:
        """The plaintext of ``token``; ``DecryptError`` when the token was altered, moved or its key is gone."""
        raw = _as_bytes(token)
        aad_context = _context_bytes(context)
        key_id, body_start = _parse_header(raw)
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptError(
                f"the token was encrypted under key {key_id!r}, which is not in {PII_KEYS_SETTING} "
                f"(it holds {', '.join(map(repr, self._aead))})"
            )
        nonce, sealed = raw[body_start : body_start + NONCE_BYTES], raw[body_start + NONCE_BYTES :]
        try:
            data = aead.decrypt(nonce, sealed, raw[:body_start] + aad_context)
        except InvalidTag:
            raise DecryptError(
                "the token does not authenticate: it was altered, belongs to another field or row, "
                "or was made with a different key of the same id"
            ) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - only reachable with a token made outside this class
            raise DecryptError("the token decrypts to bytes that are not UTF-8 text") from None

    def decrypt_many(self, tokens: Sequence[bytes | None], contexts: Sequence[str | None]) -> list[str | None]:
        """``decrypt`` over a column (``None`` stays ``None``), with the same checks and errors for each token.

        AES-GCM opens one token at a time (each has its own nonce and tag). A column's tokens share a few
        headers (version and key id): each is read and checked once, not once per token.
        """
        if len(tokens) != len(contexts):
            raise ValueError(f"{len(tokens)} tokens but {len(contexts)} contexts")
        keys: dict[bytes, tuple[AESGCM, int]] = {}
        out: list[str | None] = []
        append = out.append
        for token, where in zip(tokens, contexts, strict=True):
            if token is None:
                append(None)
                continue
            raw = _as_bytes(token)
            known = keys.get(raw[: 2 + raw[1]]) if len(raw) >= _MIN_TOKEN else None
            if known is None or where is None:
                append(self.decrypt(raw, where))  # type: ignore[arg-type]  # the one-token path: its checks, its errors
                if len(raw) >= _MIN_TOKEN:
                    key_id, body_start = _parse_header(raw)
                    keys[raw[:body_start]] = (self._aead[key_id], body_start)
                continue
            aead, body_start = known
            nonce, sealed = raw[body_start : body_start + NONCE_BYTES], raw[body_start + NONCE_BYTES :]
            try:
                data = aead.decrypt(nonce, sealed, raw[:body_start] + _context_bytes(where))
                append(data.decode("utf-8"))
            except (InvalidTag, UnicodeDecodeError):
                append(self.decrypt(raw, where))  # raises the one-token path's DecryptError
        return out

    def key_id(self, token: bytes) -> str:
        """The id of the key ``token`` was encrypted under (read from its header, nothing decrypted)."""
        return _parse_header(_as_bytes(token))[0]

    def needs_rotation(self, token: bytes) -> bool:
        """True when ``token`` is under a key other than the current one and should be re-encrypted."""
        return self.key_id(token) != self._current

    def reencrypt(self, token: bytes, context: str) -> bytes:
        """``token`` re-encrypted under the current key (the rotation step); a fresh nonce even if already current."""
        return self.encrypt(self.decrypt(token, context), context)

    @staticmethod
    def _header(key_id: str) -> bytes:
        encoded = key_id.encode("ascii")
        return bytes((TOKEN_VERSION, len(encoded))) + encoded


def _context_bytes(context: object) -> bytes:
    data = _check_text(context, "context")
    if not data:
        raise ValueError("context is empty; name the field and row, e.g. 'customers.phone:C00000001'")
    return data


def _parse_header(raw: bytes) -> tuple[str, int]:
    """``(key_id, offset of the nonce)`` of a token, or ``DecryptError`` for anything that is not one."""
    if len(raw) < _MIN_TOKEN:
        raise DecryptError(f"the token is {len(raw)} bytes, too short to be a PII token (at least {_MIN_TOKEN})")
    if raw[0] != TOKEN_VERSION:
        raise DecryptError(f"the token has format version {raw[0]}; this build reads version {TOKEN_VERSION}")
    id_length = raw[1]
    body_start = 2 + id_length
    if id_length == 0 or len(raw) < body_start + NONCE_BYTES + TAG_BYTES:
        raise DecryptError("the token's key-id length does not fit the token: it is truncated or not a PII token")
    try:
        key_id = raw[2:body_start].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptError("the token's key id is not ASCII: the token is corrupted") from None
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise DecryptError("the token's key id is malformed: the token is corrupted")
    return key_id, body_start


def _identity(value: str) -> str:
    return value


class LookupHasher:
    """Keyed hash (HMAC-SHA256) of phones and ID numbers for look-up and de-duplication without decrypting.

    A plain SHA-256 of an 11-digit phone is reversed by trying all of them; the secret key prevents that.
    ``normalise`` runs first, so every way of writing a value gives the same digest.
    """

    __slots__ = ("_key", "_normalise")

    def __init__(self, key: bytes, normalise: Callable[[str], str] = _identity) -> None:
        if not isinstance(key, bytes):
            raise KeyConfigError(f"the look-up key must be bytes, not {type(key).__name__}")
        if len(key) < KEY_BYTES:
            raise KeyConfigError(f"the look-up key is {len(key)} bytes; it needs at least {KEY_BYTES} random bytes")
        self._key = key
        self._normalise = normalise

    @classmethod
    def from_settings(cls, settings: Settings, normalise: Callable[[str], str] = _identity) -> LookupHasher:
        """The hasher of ``settings.lookup_key`` (base64, at least 32 bytes); refuses a missing or short key."""
        text = _secret_text(getattr(settings, "lookup_key", None), LOOKUP_KEY_SETTING)
        if text is None or not text.strip():
            raise KeyConfigError(
                f"{LOOKUP_KEY_SETTING} is not set; phones and ID numbers cannot be looked up without it "
                "(set it to a base64 key, see docs/security.md)"
            )
        key = _decode_key(text, LOOKUP_KEY_SETTING)
        if len(key) < KEY_BYTES:
            raise KeyConfigError(f"{LOOKUP_KEY_SETTING} decodes to {len(key)} bytes; it needs at least {KEY_BYTES}")
        return cls(key, normalise)

    def __repr__(self) -> str:
        return f"LookupHasher(normalise={getattr(self._normalise, '__name__', self._normalise)!r})"

    def digest(self, value: str) -> bytes:
        """The 32-byte digest of ``value`` after normalisation; empty values are refused (they are not keys)."""
        _check_text(value, "value")
        normalised = self._normalise(value)
        data = _check_text(normalised, "the normalised value")
        if not data.strip():
            raise ValueError("the value is empty after normalisation; an empty value cannot be looked up")
        return hmac.digest(self._key, data, "sha256")  # the one-shot C path: the sync hashes millions

    def digest_many(self, values: Sequence[str | bytes | None]) -> list[bytes | None]:
        """``digest`` over a column; ``None`` and empty values stay ``None`` (nothing to look up).

        UTF-8 ``bytes`` are hashed as they are when the hasher does not normalise (the lake's values, trimmed at
        ingest), which skips a decode and an encode per value.
        """
        normalise = self._normalise
        raw = normalise is _identity
        inner, outer = _hmac_pads(self._key)
        inner_copy, outer_copy = inner.copy, outer.copy
        out: list[bytes | None] = []
        append = out.append
        for value in values:
            if value is None:
                append(None)
                continue
            if type(value) is bytes and raw:
                data = value
            else:
                text = normalise(value.decode("utf-8") if isinstance(value, bytes) else value)
                data = text.encode("utf-8")
            if not data.strip():
                append(None)
                continue
            # HMAC-SHA256 (RFC 2104) from the key's two padded states, hashed once: the one-shot hmac.digest
            # sets the key up again for every value, which cost more than the hashing.
            h = inner_copy()
            h.update(data)
            o = outer_copy()
            o.update(h.digest())
            append(o.digest())
        return out


def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after the inner (0x36) and outer (0x5c) key pads: what every HMAC with ``key`` starts from."""
    block = 64  # SHA-256's block size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
