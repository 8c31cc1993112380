"""Every CSV and XLSX file callwise writes goes through here, so no cell of it can start a formula.

Customer ids, agent ids, product and campaign names come from a bank's own files. A spreadsheet runs a text cell
that starts with ``=``, ``+``, ``-`` or ``@`` (some programs also after a leading tab or CR) as a formula, and a
formula can call out (DDE, HYPERLINK). OWASP's rule: such a cell gets a leading ``'`` and is shown as text. LF and
the full-width ``＝＋－＠`` (what a Chinese input method types) are quoted too, as a precaution. Text that is a
plain decimal number (``-12.5``, ``+8613800138000``) cannot call anything and stays as it is, and number columns
are never touched: a negative balance is a number, not a formula. Header cells follow the same rule.
XLSX cells are typed (number or string); none is ever written as a formula or an error. Files are written
atomically (a temporary file beside the target, then a rename), with an optional exact file mode.
See docs/decisions/0013-formula-safe-exports.md.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

from callwise.csv_text import csv_chunks, csv_columns, header_line
from callwise.xlsx import XML_ILLEGAL, sheet_columns, sheet_title, write_sheet

_LEADS = "^[=+\\-@\t\r\n＝＋－＠]"  # first characters that start a formula: OWASP's, LF and the full-width forms
_LEAD_CHARS = pa.array(list("=+-@\t\r\n＝＋－＠"))  # the characters of _LEADS, one by one
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_BOM = b"\xef\xbb\xbf"


def formula_safe(values: pa.Array | pa.ChunkedArray | pd.Series) -> Any:
    """The same values with every text cell that would start a formula given a leading ``'``; other types unchanged."""
    if isinstance(values, pd.Series):
        return _safe_series(values)
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    risky = pc.and_(pc.match_substring_regex(values, _LEADS), pc.invert(pc.match_substring_regex(values, _NUMBER)))
    quote, nothing = pa.scalar("'", values.type), pa.scalar("", values.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, values, nothing), values)


def formula_safe_text(value: str) -> str:
    """One text value (a header cell) under the same rule."""
    return formula_safe(pa.array([value])).to_pylist()[0]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text columns and its header under the rule."""
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        out.isetitem(i, _safe_series(out.iloc[:, i]))  # type: ignore[arg-type]  # pandas takes a Series; its stubs not
    out.columns = [formula_safe_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with its text columns and its header under the rule."""
    names = [formula_safe_text(n) for n in table.column_names]
    return pa.table([formula_safe(c) for c in table.columns], names=names)


def write_csv(
    data: pd.DataFrame | pa.Table,
    path: str | Path,
    *,
    mode: int | None = None,
    header: bool = True,
    bom: bool = True,
) -> Path:
    """CSV in UTF-8 with BOM (Excel reads the Chinese), ``\\n`` line ends, no index; written atomically.

    A pandas frame is written by pandas (numbers print as pandas prints them), an Arrow table by Arrow.
    ``mode`` (e.g. ``0o600``) is the file's permission from its first byte on; without it the umask decides.
    ``header=False`` and ``bom=False`` (pandas frames) are for loaders that read columns by position from the
    first byte on, such as a dialer's list loader.
    """
    path = Path(path)
    with atomic_file(path, mode) as handle:
        if isinstance(data, pa.Table):
            handle.write(_BOM)
            pacsv.write_csv(safe_table(data), handle)
        else:
            safe = safe_frame(data)
            # Python's csv module quotes a cell with LF but not one with a lone CR, which a spreadsheet reads as a
            # new row (whose first cell could be a formula): a file with such a cell quotes every text cell.
            quoting: Literal[0, 2] = csv.QUOTE_NONNUMERIC if _holds_cr(safe) else csv.QUOTE_MINIMAL
            columns = csv_columns(safe) if quoting == csv.QUOTE_MINIMAL else None
            if columns is None:  # a kind of column only pandas prints (dates, mixed objects, …), or quoting all
                _pandas_csv(safe, handle, header=header, bom=bom, quoting=quoting)
            else:  # the same bytes, joined by Arrow (callwise.csv_text)
                handle.write(_BOM if bom and (header or len(safe)) else b"")  # pandas writes no BOM into nothing
                handle.write(header_line([str(c) for c in safe.columns]) if header else b"")
                for chunk in csv_chunks(columns):
                    handle.write(chunk)
    return path


def _pandas_csv(safe: pd.DataFrame, handle: IO[bytes], *, header: bool, bom: bool, quoting: Literal[0, 2]) -> None:
    encoding = "utf-8-sig" if bom else "utf-8"
    safe.to_csv(handle, index=False, header=header, encoding=encoding, lineterminator="\n", quoting=quoting)


def write_xlsx(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    sheet: str = "Sheet1",
    header: list[str] | None = None,
    mode: int | None = None,
) -> Path:
    """One sheet: ``header`` (default: the column names), then the rows; numbers as numbers, text as text.

    Text, numbers and booleans are written a column at a time (:mod:`callwise.xlsx`); a frame with another kind
    of column goes through openpyxl, which types a string starting with ``=`` as a formula and ``#N/A`` and the
    like as errors, so such a value (none is left after the rule, but the writer does not rely on it) is handed
    over as a string cell there.
    """
    path = Path(path)
    safe = safe_frame(frame)
    names = [formula_safe_text(str(h)) for h in header] if header is not None else [str(c) for c in safe.columns]
    columns = sheet_columns(safe)
    if columns is None:  # a column of a kind the vectorised writer leaves to openpyxl (dates, mixed objects, …)
        return _write_xlsx_openpyxl(safe, path, sheet=sheet, names=names, mode=mode)
    title = sheet_title(sheet)  # a sheet name is never evaluated
    with atomic_file(path, mode) as handle:
        write_sheet(handle, title, names, columns, len(safe))
    return path


def _write_xlsx_openpyxl(safe: pd.DataFrame, path: Path, *, sheet: str, names: list[str], mode: int | None) -> Path:
    """The same sheet through openpyxl, a cell at a time: for the column kinds :mod:`callwise.xlsx` leaves out."""
    book = Workbook(write_only=True)
    out = book.create_sheet(sheet[:31])
    out.append([_string_cell(out, n) for n in names])
    columns = [_xlsx_column(out, safe.iloc[:, i]) for i in range(safe.shape[1])]
    for row in zip(*columns, strict=True):  # openpyxl takes cells one by one; the rule above is vectorised
        out.append(list(row))
    with atomic_file(path, mode) as handle:
        book.save(handle)
    return path


def _text_mask(s: pd.Series) -> np.ndarray | None:
    """Where ``s`` holds text (``None``: nowhere). Only an object column mixing types needs a look at each value."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return None if _text_mask(s.cat.categories.to_series()) is None else s.notna().to_numpy()
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("string", "empty"):
            return s.notna().to_numpy()
        return s.map(lambda v: isinstance(v, str)).to_numpy(bool) if kind.startswith("mixed") else None
    return s.notna().to_numpy() if pd.api.types.is_string_dtype(s.dtype) else None


def _safe_series(s: pd.Series) -> pd.Series:
    text = _text_mask(s)
    if text is None or not text.any():
        return s
    values = s[text].astype("str") if not text.all() else s.astype("str")
    # Only a cell whose first character is one of _LEADS can be risky: an Arrow look at the first characters
    # finds those few, and the rule's own regexes run on them alone.
    lead = pc.is_in(pc.utf8_slice_codeunits(_arrow_text(values), 0, 1), value_set=_LEAD_CHARS)
    candidates = lead.to_numpy(zero_copy_only=False)
    if not candidates.any():
        return s
    few = values[candidates]
    risky = np.zeros(len(values), dtype=bool)
    risky[candidates] = (few.str.match(_LEADS) & ~few.str.match(_NUMBER)).to_numpy(bool)
    if not risky.any():
        return s
    out = s.astype(s.cat.categories.dtype) if isinstance(s.dtype, pd.CategoricalDtype) else s.copy()
    where = text.nonzero()[0][risky]
    out.iloc[where] = "'" + values.iloc[risky].to_numpy(object)
    return out


def _holds_cr(frame: pd.DataFrame) -> bool:
    """Whether a header or text cell holds a carriage return."""
    if any("\r" in str(c) for c in frame.columns):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        text = _text_mask(column)
        if text is None or not text.any():
            continue
        values = column[text].astype("str") if not text.all() else column.astype("str")
        if pc.any(pc.match_substring(_arrow_text(values), "\r")).as_py():
            return True
    return False


def _arrow_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text series (no missing values) as Arrow; pandas' ``str`` columns hand over their Arrow data as it is."""
    return pa.array(values.array)  # values went through astype("str"): Arrow-backed, so this copies nothing


def _xlsx_column(sheet: Any, column: pd.Series) -> list[Any]:
    """The column's cells: missing values empty, text cleaned of what XLSX cannot hold, misread text typed."""
    cells = column.astype(object).where(column.notna(), None).tolist()
    text = _text_mask(column)
    if text is None or not text.any():
        return cells
    where = text.nonzero()[0]
    values = column.iloc[where].astype("str").str.replace(XML_ILLEGAL, "\ufffd", regex=True)
    misread = (values.str.startswith("=") | values.isin(ERROR_CODES)).to_numpy(bool)
    for i, value, typed in zip(where, values.tolist(), misread, strict=True):
        cells[i] = _string_cell(sheet, value) if typed else value
    return cells


def _string_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


@contextmanager
def atomic_file(path: Path, mode: int | None = None) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file beside ``path``; renamed onto ``path`` only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # exactly ``mode``, whatever the umask
            yield handle
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
