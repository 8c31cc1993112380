"""Masking of personal data in every list, report and page (DESIGN: PII protected by default)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa


def mask_phone(phones: pd.Series) -> pd.Series:
    """``13800138000`` → ``138****8000``: enough for an agent to recognise, not enough to dial."""
    s = phones.astype("string")
    masked = s.str.slice(0, 3) + "****" + s.str.slice(-4)
    return masked.where(s.str.len() >= 7, "****")


def mask_name(names: pd.Series) -> pd.Series:
    """``张三丰`` → ``张**``: keeps the surname (how agents address customers); hides the rest and its length."""
    s = names.astype("string")
    return s.str.slice(0, 1) + "**"


ID_NUMBER_MIN = 15  # an old-format resident ID has 15 characters, the current one 18


def mask_id_number(id_numbers: pd.Series) -> pd.Series:
    """``440301199001011234`` → ``4403**********1234``: region and last digits to match a caller, no birth date.

    Values shorter than 15 characters (not a resident ID) become ``********`` whatever their length.
    """
    s = id_numbers.astype("string")
    masked = s.str.slice(0, 4) + s.str.slice(4, -4).str.replace(r"(?s).", "*", regex=True) + s.str.slice(-4)
    return masked.where(s.str.len() >= ID_NUMBER_MIN, "********")


MASKS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "phone": mask_phone,
    "name": mask_name,
    "id_number": mask_id_number,
}


def mask_column(kind: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An Arrow text column masked as ``kind`` (phone, name, id_number); empty cells stay empty."""
    cells = pd.Series(values.cast(pa.string()).to_pandas(), dtype="string")
    return pa.array(MASKS[kind](cells).where(cells.notna(), None), pa.string())


def _text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{what} to mask must be str or None, not {type(value).__name__}")
    return value


def mask_phone_value(phone: str | None) -> str:
    """One phone masked exactly as ``mask_phone`` masks a column (for pages and API answers); ``None`` → ``""``."""
    phone = _text(phone, "a phone")
    if phone is None:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_name_value(name: str | None) -> str:
    """One name masked exactly as ``mask_name`` masks a column; ``None`` → ``""``."""
    name = _text(name, "a name")
    return "" if name is None else f"{name[:1]}**"


def mask_id_number_value(id_number: str | None) -> str:
    """One ID number masked exactly as ``mask_id_number`` masks a column; ``None`` → ``""``."""
    id_number = _text(id_number, "an ID number")
    if id_number is None:
        return ""
    if len(id_number) < ID_NUMBER_MIN:
        return "********"
    return f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}"
