"""The keys that protect personal data, and what they do to a whole customers table before it is stored.

The lake and the operational DB hold the same three kinds of value for phone, name and ID number: an AES-GCM
token bound to ``customers.<column>:<customer_id>``, the masked form for display, and (phone, ID number) the
keyed look-up hash. Because the tokens and hashes are made exactly as the operational DB makes them, the sync
copies them across without decrypting anything (docs/decisions/0014-pii-in-the-lake.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.i18n import t
from callwise.schema.contract import LOOKUP_COLUMNS, PII_COLUMNS
from callwise.security.crypto import LOOKUP_KEY_SETTING, PII_KEYS_SETTING, LookupHasher, PiiCipher
from callwise.security.errors import KeyConfigError
from callwise.security.masking import mask_column

if TYPE_CHECKING:
    from callwise.settings import Settings


@dataclass(frozen=True)
class Pii:
    """The keys that protect personal data: encryption (reversible) and look-up hashing (one-way)."""

    cipher: PiiCipher
    hasher: LookupHasher

    @classmethod
    def from_settings(cls, settings: Settings, lang: str | None = None) -> Pii:
        """The keys of ``settings``; a missing one is refused in one sentence naming its setting (no default)."""
        lang = lang or settings.lang
        for setting, value in ((PII_KEYS_SETTING, settings.pii_keys), (LOOKUP_KEY_SETTING, settings.lookup_key)):
            if value is None or not value.get_secret_value().strip():
                raise KeyConfigError(t("security.keys.missing", lang, setting=setting))
        return cls(PiiCipher.from_settings(settings), LookupHasher.from_settings(settings))

    def seal(self, customer_id: str, field: str, value: Any) -> bytes | None:
        if value is None or (isinstance(value, float) and pd.isna(value)) or str(value) == "":
            return None
        return self.cipher.encrypt(str(value), context(field, customer_id))

    def open(self, customer_id: str, field: str, token: bytes | None) -> str | None:
        return None if token is None else self.cipher.decrypt(token, context(field, customer_id))

    def open_many(self, customer_ids: Sequence[str], field: str, tokens: Sequence[bytes | None]) -> list[str | None]:
        """``open`` over a column of one field: the contexts are built at once, the cipher's loop is lean."""
        contexts = [
            None if token is None else context(field, cid) for cid, token in zip(customer_ids, tokens, strict=True)
        ]
        return self.cipher.decrypt_many(tokens, contexts)

    def lookup(self, value: str | None) -> bytes | None:
        return None if not value else self.hasher.digest(value)


def context(field: str, customer_id: str) -> str:
    """What a customer's token is bound to: its column and its customer (the same in the lake and the ops DB)."""
    return f"customers.{field}:{customer_id}"


class ClearPiiError(ValueError):
    """A customers table holds personal data in clear (a lake written before sealing): it must be ingested again."""

    def __init__(self, where: str, column: str) -> None:
        self.where, self.column = where, column
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return t("security.pii.clear", lang, where=self.where, column=self.column)


def check_sealed(columns: list[str] | tuple[str, ...], where: str) -> None:
    """Refuse a customers table with a clear PII column; the message names the file and column, not a value."""
    clear = [name for name in PII_COLUMNS if name in columns]
    if clear:
        raise ClearPiiError(where, clear[0])


def seal_customers(table: pa.Table, pii: Pii) -> pa.Table:
    """``table`` with every PII column replaced by its token, masked form and (phone, ID number) look-up hash.

    Empty cells stay empty in all three. Column order: the sealed columns take the place of the clear one.
    """
    ids = pc.cast(table.column("customer_id"), pa.string())
    for name in PII_COLUMNS:
        if name not in table.column_names:
            continue
        sealed = _sealed(name, table.column(name), ids, pii)
        at = table.column_names.index(name)
        table = table.remove_column(at)
        for offset, (new_name, values) in enumerate(sealed.items()):
            table = table.add_column(at + offset, new_name, values)
    return table


def _sealed(name: str, column: pa.ChunkedArray, ids: pa.ChunkedArray, pii: Pii) -> dict[str, pa.Array]:
    text = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    present = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    # Arrow hands out UTF-8 bytes: the cipher and the hasher take them as they are (no encode per value).
    values = pc.cast(present, pa.binary()).to_pylist()
    contexts = pc.cast(pc.binary_join_element_wise(f"customers.{name}:", ids, ""), pa.binary()).to_pylist()
    out = {f"{name}_token": pa.array(pii.cipher.encrypt_many(values, contexts), pa.binary())}
    if name in LOOKUP_COLUMNS:
        out[f"{name}_lookup"] = pa.array(pii.hasher.digest_many(values), pa.binary())
    out[f"{name}_masked"] = mask_column(name, present)
    return out
