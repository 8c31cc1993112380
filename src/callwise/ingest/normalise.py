"""Vectorised normalisers: the many ways a bank writes a phone, a date or a yes into one typed value.

Each normaliser takes a column (already typed columns from Parquet pass through with a cast) and returns
the typed values and a mask of cells that were filled in but could not be understood. An empty cell is
null, not bad: whether it may be empty is the validator's business.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from callwise.schema.contract import Column, Kind

TRUE_WORDS = ("1", "true", "t", "yes", "y", "是", "对", "有", "同意", "已同意")
FALSE_WORDS = ("0", "false", "f", "no", "n", "否", "不", "无", "不同意", "未同意")
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S.%f", "%Y%m%d%H%M%S", *DATE_FORMATS)
# Words Chinese bank systems use for enum values, mapped to the contract's codes.
ENUM_SYNONYMS: dict[str, str] = {
    "男": "M",
    "女": "F",
    "male": "M",
    "female": "F",
    "正常": "active",
    "冻结": "frozen",
    "身故": "deceased",
    "死亡": "deceased",
    "收入": "in",
    "转入": "in",
    "支出": "out",
    "转出": "out",
    "对照组": "control",
    "实验组": "treatment",
    "外呼": "call",
    "短信": "sms",
    "微信": "wechat",
    "邮件": "email",
}
MOBILE = r"^1[3-9]\d{9}$"
# Dates outside these years are placeholders (0001-01-01, Excel's zero 1899-12-30, 9999-12-31 "no end"), not
# facts; refusing them also keeps every value inside what any downstream datetime type can hold.
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2200, 1, 1)
ZONE_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"


# A text column with few distinct values (enums, flags, a channel, a date per day) is cleaned and parsed once per
# value and spread back by index; one whose first rows are mostly distinct (ids, phones, times) cell by cell.
DISTINCT_SAMPLE = 50_000
DISTINCT_SHARE = 0.25


def normalise(values: pa.Array | pa.ChunkedArray, column: Column) -> tuple[pa.Array, np.ndarray]:
    """(typed values, bad mask) for one column of the contract."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    target = column.arrow_type
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return _cast_typed(values, column)
    if values.type != pa.string():
        values = pc.cast(values, pa.string())
    if _few_distinct(values):
        return _parse_distinct(values, column)
    text = _clean_arrow(values)
    parser = _PARSERS.get(column.kind)
    if parser is None:  # text stays text: no round trip through pandas
        return pc.cast(text, target), np.zeros(len(text), dtype=bool)
    cells = _as_series(text)
    parsed = parser(cells, column)
    bad = (cells.notna() & parsed.isna()).to_numpy(dtype=bool)
    return pa.Array.from_pandas(parsed, type=target), bad


def _clean_arrow(values: pa.Array) -> pa.Array:
    """Text with full-width characters folded (NFKC), surrounding spaces trimmed, blanks as null.

    NFKC leaves ASCII as it is, so an all-ASCII column (ids, codes, most dates) skips the fold.
    """
    if not _all_ascii(values):
        values = pc.utf8_normalize(values, "NFKC")
    text = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _all_ascii(values: pa.Array) -> bool:
    ascii_only = pc.all(pc.string_is_ascii(values), skip_nulls=True).as_py()
    return ascii_only is None or bool(ascii_only)


def _few_distinct(text: pa.Array) -> bool:
    sample = text.slice(0, DISTINCT_SAMPLE)
    return len(sample) > 0 and len(pc.unique(sample)) <= DISTINCT_SHARE * len(sample)


def _as_series(text: pa.Array) -> pd.Series:
    return pd.Series(text.to_pandas(), dtype="str")


def _parse_distinct(values: pa.Array, column: Column) -> tuple[pa.Array, np.ndarray]:
    """Each distinct value cleaned and parsed once, then taken back to every row (every step works value by value)."""
    encoded = pc.dictionary_encode(values)
    text = _clean_arrow(encoded.dictionary)
    indices = encoded.indices
    parser = _PARSERS.get(column.kind)
    if parser is None:
        return pc.cast(text, column.arrow_type).take(indices), np.zeros(len(values), dtype=bool)
    cells = _as_series(text)
    parsed = parser(cells, column)
    typed = pa.Array.from_pandas(parsed, type=column.arrow_type)
    if not len(cells):
        return typed.take(indices), np.zeros(len(values), dtype=bool)
    bad_distinct = (cells.notna() & parsed.isna()).to_numpy(dtype=bool)
    present = np.asarray(pc.is_valid(indices), dtype=bool)
    bad = bad_distinct[np.asarray(pc.fill_null(indices, 0), dtype=np.int64)] & present
    return typed.take(indices), bad


def _cast_typed(values: pa.Array, column: Column) -> tuple[pa.Array, np.ndarray]:
    target = column.arrow_type
    try:
        if column.kind is Kind.DATETIME and pa.types.is_timestamp(values.type) and values.type.tz is not None:
            # An aware timestamp becomes wall-clock time in the bank's zone (docs/decisions/0003-local-time.md).
            values = pc.local_timestamp(values.cast(pa.timestamp(values.type.unit, tz=bank_timezone())))
        if column.kind is Kind.INT and pa.types.is_floating(values.type):
            whole = pc.equal(values, pc.floor(values)).fill_null(True)
            cast = pc.cast(pc.if_else(whole, values, None), target)
            return cast, ~np.asarray(whole, dtype=bool)
        cast = pc.cast(values, target, safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _normalise_as_text(values, column)
    if column.kind in (Kind.PHONE, Kind.ENUM):  # still has to be a phone or an allowed value
        return _normalise_as_text(values, column)
    if column.kind in (Kind.DATE, Kind.DATETIME):
        low, high = (
            pa.scalar(d if column.kind is Kind.DATETIME else d.date()).cast(target) for d in (EARLIEST, LATEST)
        )
        inside = pc.and_(pc.greater_equal(cast, low), pc.less(cast, high))
        bad = ~np.asarray(pc.fill_null(inside, True), dtype=bool)
        return pc.if_else(pa.array(bad), pa.scalar(None, target), cast), bad
    return cast, np.zeros(len(values), dtype=bool)


def _normalise_as_text(values: pa.Array, column: Column) -> tuple[pa.Array, np.ndarray]:
    return normalise(pc.cast(values, pa.string()), column)


def parse_phone(text: pd.Series, column: Column | None = None) -> pd.Series:
    """Chinese mobiles as 11 digits: drops +86/0086/86, spaces, dashes, brackets and an Excel '.0'."""
    digits = text.str.replace(r"\.0$", "", regex=True).str.replace(r"[\s\-()（）]", "", regex=True)
    digits = digits.str.replace(r"^(\+|00)?86(?=1\d{10}$)", "", regex=True)
    return digits.where(digits.str.fullmatch(MOBILE).fillna(False).astype(bool), None)


def parse_number(text: pd.Series, column: Column | None = None) -> pd.Series:
    """Numbers with thousands separators, currency signs or a trailing 元."""
    cleaned = text.str.replace(r"[,，\s¥￥元]", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    if column is not None and column.kind is Kind.INT:
        numbers = numbers.where(numbers == np.floor(numbers))
    return numbers


def parse_bool(text: pd.Series, column: Column | None = None) -> pd.Series:
    lowered = text.str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[lowered.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
    out[lowered.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
    return out


def _date_text(text: pd.Series) -> pd.Series:
    """2024年3月5日 / 2024/3/5 / 2024.03.05 → 2024-3-5; keeps any time that follows."""
    out = text.str.replace(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", r"\1-\2-\3", regex=True)
    out = out.str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True)
    out = out.str.replace(r"(\d)T(\d)", r"\1 \2", regex=True)
    out = out.str.replace(r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分?", r"\1:\2", regex=True)
    return out.str.replace(r"\s+", " ", regex=True).str.strip()


def _parse_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    for fmt in formats:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        # Whole seconds are what the lake keeps; a dialer's milliseconds are dropped, not refused.
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").astype("datetime64[s]")
    return within_years(out)


def within_years(moments: pd.Series) -> pd.Series:
    """``moments`` with those before ``EARLIEST`` or from ``LATEST`` on as missing (so: unreadable)."""
    low, high = (pd.Timestamp(d, tz=moments.dt.tz) for d in (EARLIEST, LATEST))
    return moments.where((moments >= low) & (moments < high))


def parse_date(text: pd.Series, column: Column | None = None) -> pd.Series:
    parsed = _parse_formats(_date_text(text), DATETIME_FORMATS)
    # A date column given a datetime keeps the day; a time of day other than midnight is still a date.
    return parsed.dt.date.where(parsed.notna(), None)


def parse_one_date(text: str) -> date | None:
    """One date written any way ingest reads dates (configuration files use this, so both accept the same)."""
    value = parse_date(pd.Series([text], dtype="str")).iloc[0]
    return None if pd.isna(value) else date(value.year, value.month, value.day)


def parse_datetime(text: pd.Series, column: Column | None = None) -> pd.Series:
    """Naive local time; a value with a zone (``Z``, ``+08:00``) becomes wall-clock time in the bank's zone."""
    cleaned = _date_text(text)
    out = _parse_formats(cleaned, DATETIME_FORMATS)
    zoned = out.isna() & cleaned.str.contains(ZONE_SUFFIX, regex=True).fillna(False).astype(bool)
    if zoned.any():
        moments = pd.to_datetime(cleaned[zoned], utc=True, errors="coerce", format="ISO8601")
        out[zoned] = moments.dt.tz_convert(bank_timezone()).dt.tz_localize(None)
    return within_years(out)


def bank_timezone() -> str:
    from callwise.settings import get_settings

    return get_settings().timezone


def parse_enum(text: pd.Series, column: Column) -> pd.Series:
    """Allowed values matched regardless of case (c3 → C3), plus common Chinese words (男 → M)."""
    canonical = {v.lower(): v for v in column.values}
    canonical.update({k.lower(): v for k, v in ENUM_SYNONYMS.items() if v in column.values})
    return text.str.lower().map(canonical)


def parse_json(text: pd.Series, column: Column | None = None) -> pd.Series:
    """Valid JSON kept as compact text; only used for small tables (transcripts)."""

    def one(value: object) -> str | None:
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)  # type: ignore[arg-type]
        except (TypeError, ValueError, RecursionError):  # too deeply nested is not JSON a table keeps
            return None

    return text.map(one, na_action="ignore")


_PARSERS = {
    Kind.PHONE: parse_phone,
    Kind.INT: parse_number,
    Kind.FLOAT: parse_number,
    Kind.BOOL: parse_bool,
    Kind.DATE: parse_date,
    Kind.DATETIME: parse_datetime,
    Kind.ENUM: parse_enum,
    Kind.JSON: parse_json,
}
