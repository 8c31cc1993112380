"""A one-sheet XLSX writer that builds the sheet's XML a column at a time with Arrow, not a cell at a time.

openpyxl makes an object and an XML element per cell: a day's dialer file of 60,000 calls took seconds. Here each
column becomes its cells' XML in a few Arrow kernels, each row is joined from them, and the sheet streams into
the zip. What is written is what openpyxl's write-only mode wrote for the same values (docs/decisions/
0024-vectorised-files.md): text as inline strings, numbers as ``%.16g`` would read, booleans as ``b``, a missing
value as no cell, text longer than 32,767 characters cut there, the same refusals for the sheet name and header.
A column of another kind (dates, mixed objects, infinities, …) is not handled: :func:`sheet_columns` answers
``None`` and the caller keeps openpyxl for that file. The package has no timestamps, so the same cells give the
same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.workbook.child import INVALID_TITLE_REGEX

from callwise.csv_text import arrow_text, end_to_end, joined

MAX_TEXT = 32_767  # the most characters a cell holds (openpyxl cuts there too)
COMPRESS_LEVEL = 1  # zlib's fastest: a 60,000-row sheet packs in 0.2 s instead of 0.5 s, 6.5 MB instead of 5
ROWS_PER_CHUNK = 50_000  # rows joined at once: bounds the memory of the XML
XML_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # control characters an XLSX file cannot hold
_STAMP = (1980, 1, 1, 0, 0, 0)  # the zip's oldest date: no save time in the file
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_BOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# A column's cells for rows [start, stop): Arrow text, one XML fragment per row ("" where there is no cell).
Cells = Callable[[int, int, pa.Array], pa.Array]


def sheet_title(sheet: str) -> str:
    """The sheet's name as openpyxl took it: cut to 31 characters, refused when empty or holding ``\\*?:/[]``."""
    title = sheet[:31]
    if not title:
        raise ValueError("Title must have at least one character")
    found = INVALID_TITLE_REGEX.search(title)
    if found:
        raise ValueError(f"Invalid character {found.group(0)} found in sheet title")
    _refuse_illegal(title)
    return title


def sheet_columns(frame: pd.DataFrame) -> list[Cells] | None:
    """How to write each column of ``frame`` (already formula-safe), or ``None`` if a column is of another kind."""
    out = []
    for i in range(frame.shape[1]):
        cells = _column_cells(frame.iloc[:, i], get_column_letter(i + 1))
        if cells is None:
            return None
        out.append(cells)
    return out


def write_sheet(handle: IO[bytes], title: str, header: list[str], columns: list[Cells], rows: int) -> None:
    """The package: workbook, styles and one sheet named ``title`` with ``header`` as row 1, then ``rows`` rows."""
    for name in header:
        _refuse_illegal(name)
    book = (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{_escape(title, attribute=True)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as package:
        for name, text in (
            ("[Content_Types].xml", _TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", book),
            ("xl/_rels/workbook.xml.rels", _BOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            package.writestr(_entry(name), text, compresslevel=COMPRESS_LEVEL)
        # Opened by name, the entry takes the package's compression and ZipInfo's default date (1980-01-01).
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            cells = "".join(
                _text_cell(f"{get_column_letter(i + 1)}1", name[:MAX_TEXT]) for i, name in enumerate(header)
            )
            sheet.write(f'<row r="1">{cells}</row>'.encode())
            for start in range(0, rows, ROWS_PER_CHUNK):
                sheet.write(_rows_xml(columns, start, min(rows, start + ROWS_PER_CHUNK)))
            sheet.write(b"</sheetData></worksheet>")


def _rows_xml(columns: list[Cells], start: int, stop: int) -> bytes:
    """Rows ``start``..``stop`` (0-based data rows; row 1 of the sheet is the header) as one run of XML bytes."""
    numbers = pc.cast(pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)), pa.string())
    parts = [
        pc.binary_join_element_wise('<row r="', numbers, '">', ""),
        *(cells(start, stop, numbers) for cells in columns),
        pa.scalar("</row>"),
    ]
    return end_to_end(joined(parts, ""))


def _column_cells(column: pd.Series, letter: str) -> Cells | None:
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        values = pa.array(column.to_numpy())
        return _typed(letter, "b", pc.if_else(values, "1", "0"))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return _typed(letter, "n", _integer_text(column.to_numpy()))
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        numbers = column.to_numpy().astype(np.float64)
        if np.isinf(numbers).any():
            return None
        return _typed(letter, "n", _float_text(numbers))
    text = _text_values(column)
    return None if text is None else _inline(letter, text)


def _text_values(column: pd.Series) -> pa.Array | None:
    """The column as Arrow text when every present value is text (missing values null); else ``None``."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if not (pd.api.types.is_string_dtype(categories.dtype) and pd.api.types.infer_dtype(categories) == "string"):
            return None
        column = column.astype(object)
    elif column.dtype == object:
        if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None
    elif not pd.api.types.is_string_dtype(column.dtype):
        return None
    values = arrow_text(column)
    if values is None:
        return None
    values = pc.replace_substring_regex(values, XML_ILLEGAL, "\ufffd")
    return pc.utf8_slice_codeunits(values, 0, MAX_TEXT)


def _integer_text(values: np.ndarray) -> pa.Array:
    """Integers as ``%.16g`` writes them: digits, except past 16 digits, where they are rounded (as before)."""
    text = pc.cast(pa.array(values), pa.string())
    wide = np.abs(values.astype(np.float64)) >= 1e16
    return _patched(text, wide, values)


def _float_text(values: np.ndarray) -> pa.Array:
    """Floats that read back as ``%.16g`` wrote them; NaN null (no cell).

    Arrow writes the shortest text that reads back as the same double; where that needs 17 digits, ``%.16g``
    rounds to another double, so those few are formatted as openpyxl did.
    """
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    digits = pc.utf8_ltrim(pc.replace_substring_regex(text, r"^-|e.*$|\.", ""), "0")
    long = pc.fill_null(pc.greater_equal(pc.utf8_length(digits), 17), False).to_numpy(zero_copy_only=False)
    return _patched(text, long, values)


def _patched(text: pa.Array, where: np.ndarray, values: np.ndarray) -> pa.Array:
    if not where.any():
        return text
    out = text.to_numpy(zero_copy_only=False).astype(object)
    out[where] = ["%.16g" % v for v in values[where]]  # noqa: UP031  # openpyxl's own format; rare values only
    return pa.array(out, type=pa.string(), from_pandas=True)


def _typed(letter: str, kind: str, text: pa.Array) -> Cells:
    def cells(start: int, stop: int, numbers: pa.Array) -> pa.Array:
        part = text.slice(start, stop - start)
        joined = pc.binary_join_element_wise(f'<c r="{letter}', numbers, f'" t="{kind}"><v>', part, "</v></c>", "")
        return pc.fill_null(joined, "")

    return cells


def _inline(letter: str, text: pa.Array) -> Cells:
    escaped = text
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):  # what ElementTree escapes in text
        escaped = pc.replace_substring(escaped, char, entity)
    # openpyxl writes "" as a typed cell with no text, and marks text whose ends are spaces as preserved.
    body = pc.if_else(
        pc.equal(text, ""),
        pa.scalar('" t="inlineStr"/>'),
        pc.binary_join_element_wise('" t="inlineStr"><is><t', _space(text), ">", escaped, "</t></is></c>", ""),
    )

    def cells(start: int, stop: int, numbers: pa.Array) -> pa.Array:
        joined = pc.binary_join_element_wise(f'<c r="{letter}', numbers, body.slice(start, stop - start), "")
        return pc.fill_null(joined, "")

    return cells


def _space(text: pa.Array) -> pa.Array:
    """`` xml:space="preserve"`` where the text starts or ends with white space and is not only white space."""
    stripped = pc.utf8_trim_whitespace(text)
    keep = pc.and_(pc.not_equal(stripped, text), pc.not_equal(stripped, ""))
    return pc.if_else(keep, pa.scalar(' xml:space="preserve"'), pa.scalar(""))


def _text_cell(ref: str, text: str) -> str:
    if text == "":
        return f'<c r="{ref}" t="inlineStr"/>'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def _refuse_illegal(text: str) -> None:
    if ILLEGAL_CHARACTERS_RE.search(text[:MAX_TEXT]):
        raise IllegalCharacterError(f"{text} cannot be used in worksheets.")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
